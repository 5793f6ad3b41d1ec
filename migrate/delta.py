"""The cutover delta: a run over a source already loaded reads only what changed, and finds what was deleted.

At each run's snapshot, for every part of every profile, :func:`plan` decides how
the part is read and records it with the snapshot (``source_snapshot.read_plan``):

- **delta** when the store already holds the part from an earlier finished run
  whose snapshot took a watermark (the newest value of the profile's ``modified``
  column), with the same profile and the same official mapping table: only the
  records whose ``modified`` is at or after that watermark minus a safety margin
  (``--delta-margin``, 1 hour by default: application servers' clocks and
  transactions that commit late can stamp a change earlier than the newest one
  already seen; loads are idempotent, so what the margin reads again changes nothing);
- **full** otherwise, with the reason: the first load, ``--full``, no ``modified``
  column in the profile, a profile or mapping table that changed since (a delta
  would leave the older records mapped the old way), records the store lacks
  spread over too many key ranges.

Whatever the mode, a part the store already holds gets a **key comparison**
(:mod:`migrate.keydiff`): the keys of the source and of the store's lineage,
keys only, streamed, never a table in memory (inside the store's PostgreSQL, the
source's keys copied into a temporary table; for an SQLite store, through a
scratch SQLite file on disk). It finds

- records the store does not hold whose watermark did not move past the last
  one (inserted with an old or empty ``modified``): a delta reads their key ranges
  too, so no new record is missed;
- records with a reviewer's decision the store does not show yet (``hopnhat map
  review import``): a delta reads them again by key too, so the next run applies
  the decision, as a full read would;
- records the store holds that the source no longer has: **deleted in source**.
  They stay in the store, marked (:mod:`migrate.deletions`); the run summary, the
  conservation equation and the reconciliation report name them.

Conservation after a delta: *extracted* is what this run read plus what it
carried over unchanged (the source records the comparison found in the store,
not read again), and loaded + merged + quarantined + excluded = extracted +
deleted in source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection

from adapters.base import side_by_side
from migrate import ledger
from migrate.core.i18n import Language
from migrate.core.messages import Message, msg
from migrate.core.records import Delta, EntitySpec, Key
from migrate.keydiff import KeyDiff, compare_keys

MAX_RANGES = 100  # key ranges of records the store lacks a delta reads besides the watermark; more: full read

Mode = Literal["full", "delta"]


@dataclass(frozen=True)
class ReadPlan:
    """How one run reads one part, and what its key comparison found (kept with the snapshot)."""

    mode: Mode
    reason: str = ""  # why the part is read in full ("" for a delta)
    watermark: object | None = None  # the newest ``modified`` at this snapshot: where the next delta starts
    since: object | None = None  # a delta reads records whose ``modified`` is at or after this
    previous: object | None = None  # the last snapshot's watermark (since = previous - margin)
    margin: float = 0.0  # seconds (Settings.delta_margin)
    ranges: tuple[tuple[Key, Key], ...] = ()  # key ranges of records the store lacked, read besides
    compared: bool = False  # the key comparison ran
    note: str = ""  # why it did not, when it did not
    kept: int = 0  # source records the store already held
    added: int = 0  # source records the store did not hold
    unreached: int = 0  # of those, whose watermark had not moved past the last one
    deleted: int = 0  # store records the source no longer has (all of them, marked)
    marked: int = 0  # of those, found gone by this run
    back: int = 0  # records marked before that are in the source again (mark taken off)
    retried: int = 0  # records with a reviewer's decision not applied yet: a delta reads them again by key
    apart: int = 0  # source records the comparison sets apart (a NULL or shared key): the store holds them apart
    pages: tuple[tuple[Key, Key], ...] = ()  # a delta's batches as the key comparison counted them (Delta.pages)

    @property
    def delta(self) -> bool:
        return self.mode == "delta"

    def spec(self, spec: EntitySpec) -> EntitySpec:
        """The part as this run reads it: with its delta filter for a delta."""
        if not self.delta:
            return spec
        return dataclasses.replace(spec, delta=Delta(self.since, self.ranges, self.pages))

    def carried(self, extracted: int) -> int:
        """Source records a delta did not read again (the store holds them unchanged); 0 for a full read."""
        return self.kept + self.added + self.apart - extracted if self.delta else 0

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["ranges"] = [[list(lo), list(hi)] for lo, hi in self.ranges]
        out["pages"] = [[list(lo), list(hi)] for lo, hi in self.pages]
        return out

    @classmethod
    def from_dict(cls, data: dict | None) -> ReadPlan | None:
        if not data:
            return None
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["ranges"] = tuple((tuple(lo), tuple(hi)) for lo, hi in data.get("ranges") or ())
        values["pages"] = tuple((tuple(lo), tuple(hi)) for lo, hi in data.get("pages") or ())
        return cls(**values)


class Kept(Message):
    """A read plan's reason or note as the ledger keeps it (English, a message id when it has no value in it),
    said in the reader's language where the catalogue has it, else as it is."""

    def __new__(cls, text: str) -> Kept:
        self = str.__new__(cls, text)
        self.text, self.values = text, {}
        return self

    def __reduce__(self):
        return (Kept, (self.text,))

    def render(self, lang: Language) -> str:
        return lang.gettext(self.text) if self.text else self.text


def kept(text: str) -> Message:
    """A read plan's reason or note to say: a message built by this run as it is, one read back from the
    ledger as :class:`Kept`."""
    return text if isinstance(text, Message) else Kept(text)


def census(adapter, spec: EntitySpec) -> tuple[int, object | None]:
    """The part's row count at the snapshot and its watermark (the newest ``modified``, None when the profile
    names none), taken together: one scan of a legacy table whose ``modified`` column has no index."""
    if not spec.modified:
        return adapter.count(spec), None
    return adapter.census(spec)


class Census:
    """The part's :func:`census`, taken in a thread beside the key comparison (both scan the legacy table;
    the database's driver reads without holding the interpreter) where the source reads each query on a
    connection of its own; a files source stages its sheet on first use, and is asked at once.

    Taken before any record is read, it keeps what :func:`plan` relies on: a record changed after the
    census's scan passed it has a ``modified`` past the watermark, and the next run reads it again.
    """

    def __init__(self, adapter, spec: EntitySpec) -> None:
        self._taken: tuple[int, object | None] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if side_by_side(adapter):
            self._thread = threading.Thread(target=self._take, args=(adapter, spec), name="census", daemon=True)
            self._thread.start()
        else:
            self._take(adapter, spec)

    def _take(self, adapter, spec: EntitySpec) -> None:
        try:
            self._taken = census(adapter, spec)
        except BaseException as exc:  # raised by result(), in the caller's thread
            self._error = exc

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> tuple[int, object | None]:
        """(count, watermark); the census's error raised here."""
        self.wait()
        if self._error is not None:
            raise self._error
        assert self._taken is not None  # taken, or an error was
        return self._taken


def plan(conn: Connection, adapter, spec: EntitySpec, *, source: str, run_id: int, profile_sha256: str,
         mapping_sha256: str, full: bool, margin: float, scratch: Path | None, census: Census,
         batch_size: int = 0) -> ReadPlan:
    """Decide how this run reads one part, run its key comparison (marking deletions), return the plan.

    Call inside the transaction that records the snapshot, with the part's :class:`Census` begun, before
    any record is read, so a record changed while the run reads is read again by the next one. With
    ``batch_size`` a delta's plan carries its batches' key ranges when the comparison can count them
    (:class:`Delta` ``pages``).
    """
    try:
        return _plan(conn, adapter, spec, source=source, run_id=run_id, profile_sha256=profile_sha256,
                     mapping_sha256=mapping_sha256, full=full, margin=margin, scratch=scratch, census=census,
                     batch_size=batch_size)
    finally:
        census.wait()  # the adapter stays in use until the census has ended, whatever happened here


def _plan(conn: Connection, adapter, spec: EntitySpec, *, source: str, run_id: int, profile_sha256: str,
          mapping_sha256: str, full: bool, margin: float, scratch: Path | None, census: Census,
          batch_size: int) -> ReadPlan:
    last = ledger.previous_snapshot(conn, source, spec.label, before=run_id)
    last_plan = ReadPlan.from_dict(last.read_plan) if last is not None else None
    holds = ledger.store_holds(conn, source, spec.table)
    mode: Mode = "full"
    reason, since, previous = "", None, None
    if not holds:  # nothing to compare with, nothing a watermark could leave out
        _, watermark = census.result()
        return ReadPlan(mode, "first load" if last is None else msg("the store holds none of it yet"), watermark,
                        margin=margin, note=msg("the store holds none of it yet"))
    if full:
        reason = "--full"
    elif not spec.modified:
        reason = msg("the profile names no watermark column (modified) for this part")
    elif last is None:
        reason = msg("no earlier finished run read this part")
    elif last_plan is None or last_plan.watermark is None:
        reason = msg("the last snapshot took no watermark")
    elif last.profile_sha256 != profile_sha256:
        reason = msg("the profile changed since the last run")
    elif last.mapping_sha256 != mapping_sha256:
        reason = msg("the official mapping table changed since the last run")
    else:
        mode, previous = "delta", last_plan.watermark
        since = minus_margin(previous, margin)
    diff = compare_keys(conn, adapter, spec, source=source, run_id=run_id, since=since, scratch=scratch,
                        now=ledger.now(), max_ranges=MAX_RANGES, batch_size=batch_size)
    count, watermark = census.result()
    if not diff.compared:  # a delta without the comparison could miss a new record with an old watermark
        if mode == "delta":
            mode, since, reason = "full", None, msg("the key comparison could not run ({note})", note=diff.note)
        return ReadPlan(mode, reason, watermark, since, previous, margin, note=diff.note)
    if mode == "delta" and len(diff.ranges) > MAX_RANGES:
        mode, since, reason = "full", None, msg(
            "{unreached} records the store lacks have no watermark past the last one and {retried} have a reviewer's "
            "decision not applied yet, spread over more than {ranges} key ranges", unreached=diff.unreached,
            retried=diff.retried, ranges=MAX_RANGES)
    return ReadPlan(mode, reason, watermark, since, previous, margin, diff.ranges if mode == "delta" else (),
                    True, "", diff.kept, diff.added, diff.unreached, diff.deleted, diff.marked, diff.back,
                    diff.retried if mode == "delta" else 0, max(0, count - diff.kept - diff.added),
                    diff.pages if mode == "delta" else ())


def minus_margin(watermark: object, margin: float) -> object:
    """The watermark moved back by ``margin`` seconds, in the form the source holds it.

    ISO timestamps (``2025-06-30 12:00:00`` or with a ``T``) move by the margin, dates by whole days
    (rounded up); a number (a row version, a counter) is left as it is: a margin of seconds means
    nothing to it.
    """
    if isinstance(watermark, str):
        text = watermark.strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return (day - dt.timedelta(days=math.ceil(margin / 86400))).isoformat()
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return watermark
        moved = moment - dt.timedelta(seconds=margin)
        return moved.isoformat(sep="T" if "T" in text else " ")
    return watermark


__all__ = ["MAX_RANGES", "Census", "KeyDiff", "ReadPlan", "census", "minus_margin", "plan"]
