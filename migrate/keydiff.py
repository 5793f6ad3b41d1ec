"""The key comparison of a run over a source already loaded: keys only, streamed, never a table in memory.

The source's keys (in key order, each with whether its watermark passed the
delta's ``since``) are compared with the store's lineage keys of the same source
table, where the store is: inside the store's PostgreSQL (:mod:`migrate.keyserver`,
the source's keys copied into a temporary table) or, for an SQLite store, through
a scratch SQLite file on disk (:mod:`migrate.keyscratch`). The comparison answers:

- which source records the store does not hold (*added*), and among them those
  whose watermark did not pass (*unreached*): consecutive ones in the source's key
  order become key ranges a delta reads besides the watermark, with the records
  whose reviewer's decision the store does not show yet (*retried*: the next run
  applies the decision, whether or not the source changed them);
- which store records the source no longer has (*deleted in source*): marked in
  the store (:mod:`migrate.deletions`); marks of records back in the source are
  taken off;
- for a delta, which records it will read, in the source's key order (those whose
  watermark passed, those the store lacks, those to read again): counted a batch
  size at a time they give the key ranges of its batches (*pages*), so planning
  a batch reads nothing more from the source (where one row has one key: no
  join, a unique key).

Set-apart records (a NULL key, a key several rows share, a key too long for the
lineage: their lineage key ends in ``~`` and a digest, see
:mod:`adapters.keyset`) cannot be matched by key and are left out of both sides.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from sqlalchemy import Connection

from migrate.core.errors import HopnhatError, message_of
from migrate.core.messages import msg
from migrate.core.records import EntitySpec, Key
from migrate.keyrows import PAGE, set_apart
from migrate.keyscratch import ScratchKeys
from migrate.keyserver import ServerKeys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyDiff:
    compared: bool
    note: str = ""  # why not compared
    kept: int = 0
    added: int = 0
    unreached: int = 0
    ranges: tuple[tuple[Key, Key], ...] = ()  # of unreached records, at most max_ranges + 1 of them
    deleted: int = 0
    marked: int = 0
    back: int = 0
    retried: int = 0  # records with a reviewer's decision not applied yet, read again by key
    pages: tuple[tuple[Key, Key], ...] = ()  # a delta's batches (lo, hi) in the source's key order


def compare_keys(conn: Connection, adapter, spec: EntitySpec, *, source: str, run_id: int, since: object | None,
                 scratch: Path | None, now, max_ranges: int, batch_size: int = 0) -> KeyDiff:
    """Compare the part's source keys with the store's, mark deletions; see the module's docstring.

    With ``since`` and ``batch_size``, a delta's pages too, where the adapter says the part has one row per key
    (``one_row_per_key``) and its ranges do not turn it into a full read."""
    try:
        pages = adapter.keys(spec, batch_size=PAGE, since=since)
    except (AttributeError, NotImplementedError):
        return KeyDiff(False, msg("the {engine} adapter cannot list keys", engine=getattr(adapter, "engine", "?")))
    server = conn.dialect.name == "postgresql"
    try:
        # the source's own text of its keys, where it writes one (no Python object per key)
        lines = getattr(adapter, "key_lines", None)
        text = lines(spec, batch_size=PAGE, since=since) if server and lines is not None else None
        sides = ServerKeys(conn, source, spec.table) if server else ScratchKeys(conn, source, spec.table, scratch)
        with sides:
            total = (sides.write_lines(text) if isinstance(sides, ServerKeys) and text is not None
                     else sides.write(pages, len(spec.key)))
            added = sides.added()
            unreached, retried, ranges = _ranges(sides.wanted(), max_ranges) if since is not None else (0, 0, ())
            paged = (since is not None and batch_size > 0 and len(ranges) <= max_ranges
                     and getattr(adapter, "one_row_per_key", lambda _: False)(spec))
            pages = _pages(sides.read_keys(), batch_size) if paged else ()
            gone, marked, back = sides.deletions(run_id, now)
    except HopnhatError as exc:  # raised by the source's key pages
        return KeyDiff(False, msg("the source's keys could not be listed: {error}", error=message_of(exc)))
    except (sqlite3.Error, OSError) as exc:  # the scratch file (disk full, no temporary folder): say so
        return KeyDiff(False, msg("the scratch file in {folder} failed: {error}",
                                  folder=str(scratch or tempfile.gettempdir()), error=str(exc)))
    kept = total - added
    log.info(msg("{source}/{part}: key comparison: {kept} kept, {added} added ({unreached} without a watermark past "
                 "the last), {gone} deleted in the source ({marked} newly marked, {back} back)", source=source,
                 part=spec.label, kept=kept, added=added, unreached=unreached, gone=gone, marked=marked, back=back))
    return KeyDiff(True, "", kept, added, unreached, ranges, gone, marked, back, retried, pages)


def _pages(keys: Iterable[Key], size: int) -> tuple[tuple[Key, Key], ...]:
    """(lo, hi) of each run of ``size`` keys (the last one shorter), in the order given."""
    rest = iter(keys)
    pages: list[tuple[Key, Key]] = []
    while run := list(islice(rest, size)):
        pages.append((run[0], run[-1]))
    return tuple(pages)


def _ranges(rows: Iterable[tuple[int, Key, object, bool]], max_ranges: int
            ) -> tuple[int, int, tuple[tuple[Key, Key], ...]]:
    """(unreached, retried, ranges) of the source keys the store lacks or must read again, given in
    the source's key order as (pos, key, fresh, held).

    A delta reads, besides the watermark, the records the store lacks whose watermark did not
    pass (*unreached*) and the records with a reviewer's decision not applied yet (*retried*): next
    to each other in the source's key order they make one range; a record the store holds
    otherwise ends it (one the watermark reaches is read either way and lets the range go on).
    """
    unreached = retried = 0
    ranges: list[tuple[Key, Key]] = []
    lo: Key | None = None
    hi: Key | None = None
    last = -1
    for pos, key, fresh, held in rows:
        if fresh:  # read by its watermark; inside a range it is read either way, so the range goes on
            if lo is not None and pos == last + 1:
                last = pos
            continue
        if held:
            retried += 1
        else:
            unreached += 1
        if lo is not None and pos == last + 1:
            hi = key
        else:
            if lo is not None and hi is not None and len(ranges) <= max_ranges:
                ranges.append((lo, hi))
            lo = hi = key
        last = pos
    if lo is not None and hi is not None and len(ranges) <= max_ranges:
        ranges.append((lo, hi))
    return unreached, retried, tuple(ranges)


__all__ = ["KeyDiff", "compare_keys", "set_apart"]
