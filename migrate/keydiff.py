"""The key comparison of a run over a source already loaded: keys only, streamed, through a file on disk.

The source's keys (in key order, each with whether its watermark passed the
delta's ``since``) and the store's lineage keys of the same source table are
written into a scratch SQLite file, so the comparison holds neither side in
memory whatever the table's size; SQLite's indexes answer the two questions:

- which source records the store does not hold (*added*), and among them those
  whose watermark did not pass (*unreached*): consecutive ones in the source's key
  order become key ranges a delta reads besides the watermark, with the records
  whose reviewer's decision the store does not show yet (*retried*: the next run
  applies the decision, whether or not the source changed them);
- which store records the source no longer has (*deleted in source*): marked in
  the store (:mod:`migrate.deletions`); marks of records back in the source are
  taken off.

Set-apart records (a NULL key, a key several rows share, a key too long for the
lineage: their lineage key ends in ``~`` and a digest, see
:mod:`adapters.keyset`) cannot be matched by key and are left out of both sides.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from itertools import islice
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from migrate import deletions, quarantine
from migrate.core.errors import HopnhatError
from migrate.core.records import EntitySpec, Key, encode_key, jsonable
from migrate.store.models import lineage

log = logging.getLogger(__name__)

PAGE = 20_000  # keys per source statement and per write into the scratch file
_SET_APART = re.compile(r"~[0-9a-f]{12}(#\d+)?$")
_PLAIN = (int, str)  # key values the scratch file keeps as they are


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


def set_apart(source_key: str) -> bool:
    """A lineage key that names a set-apart record rather than a source key."""
    return source_key.startswith("~") or _SET_APART.search(source_key) is not None


def compare_keys(conn: Connection, adapter, spec: EntitySpec, *, source: str, run_id: int, since: object | None,
                 scratch: Path | None, now, max_ranges: int) -> KeyDiff:
    """Compare the part's source keys with the store's, mark deletions; see the module's docstring."""
    try:
        pages = adapter.keys(spec, batch_size=PAGE, since=since)
    except (AttributeError, NotImplementedError):
        return KeyDiff(False, f"the {getattr(adapter, 'engine', '?')} adapter cannot list keys")
    try:
        return _compare(conn, pages, spec, source=source, run_id=run_id, since=since, scratch=scratch, now=now,
                        max_ranges=max_ranges)
    except (sqlite3.Error, OSError) as exc:  # the scratch file (disk full, no temporary folder): say so
        return KeyDiff(False, f"the scratch file in {scratch or tempfile.gettempdir()} failed: {exc}")


def _compare(conn: Connection, pages, spec: EntitySpec, *, source: str, run_id: int, since: object | None,
             scratch: Path | None, now, max_ranges: int) -> KeyDiff:
    with tempfile.TemporaryDirectory(prefix="hopnhat-keys-", dir=scratch) as folder:
        db = sqlite3.connect(Path(folder) / "keys.sqlite")
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            # tables filled first and indexed after: an index built by sorting is faster than one grown
            db.execute("CREATE TABLE store (k TEXT NOT NULL)")
            db.execute("CREATE TABLE marked (k TEXT NOT NULL)")
            db.execute("CREATE TABLE retry (k TEXT NOT NULL)")
            db.execute("CREATE TABLE src (pos INTEGER PRIMARY KEY, k TEXT NOT NULL, key NOT NULL, fresh INTEGER)")
            _store_keys(conn, db, source, spec.table)
            for chunk in _chunks(deletions.keys(conn, source, spec.table)):
                db.executemany("INSERT INTO marked VALUES (?)", [(k,) for k in chunk])
            for chunk in _chunks(quarantine.decided_keys(conn, source, spec.table)):
                db.executemany("INSERT INTO retry VALUES (?)", [(k,) for k in chunk])
            try:
                total = _source_keys(db, pages, len(spec.key))
            except HopnhatError as exc:
                return KeyDiff(False, f"the source's keys could not be listed: {exc}")
            for index in ("store_k ON store (k)", "marked_k ON marked (k)", "retry_k ON retry (k)", "src_k ON src (k)"):
                db.execute(f"CREATE INDEX {index}")  # fixed names, no value
            kept, added, unreached, retried, ranges = _added(db, total, since is not None, max_ranges,
                                                             len(spec.key))
            found = _Gone(db.execute("SELECT k, EXISTS (SELECT 1 FROM marked WHERE marked.k = store.k) FROM store "
                                     "WHERE NOT EXISTS (SELECT 1 FROM src WHERE src.k = store.k)"))
            marked = deletions.mark(conn, source, spec.table, found, run_id, now)
            gone = found.count
            back = deletions.unmark(conn, source, spec.table, _column(db.execute(
                "SELECT k FROM marked WHERE EXISTS (SELECT 1 FROM src WHERE src.k = marked.k) "
                "OR NOT EXISTS (SELECT 1 FROM store WHERE store.k = marked.k) ORDER BY k")))
        finally:
            db.close()
    log.info("%s/%s: key comparison: %d kept, %d added (%d without a watermark past the last), %d deleted in "
             "the source (%d newly marked, %d back)", source, spec.label, kept, added, unreached, gone, marked, back)
    return KeyDiff(True, "", kept, added, unreached, ranges, gone, marked, back, retried)


class _Gone:
    """The store keys the source no longer has, counted as they go by; yields those not marked yet."""

    def __init__(self, rows) -> None:
        self._rows, self.count = rows, 0

    def __iter__(self) -> Iterator[str]:
        for key, already in self._rows:
            self.count += 1
            if not already:
                yield key


def _store_keys(conn: Connection, db: sqlite3.Connection, source: str, table: str) -> None:
    stmt = (select(lineage.c.source_key)
            .where(lineage.c.source_system == source, lineage.c.source_table == table)
            .execution_options(yield_per=PAGE))
    for chunk in conn.execute(stmt).scalars().partitions(PAGE):
        db.executemany("INSERT INTO store VALUES (?)", [(k,) for k in chunk if "~" not in k or not set_apart(k)])


def _source_keys(db: sqlite3.Connection, pages: Iterator[Sequence[Sequence[object]]], width: int) -> int:
    """Write the source's keys in their order (pos); a key several rows share is set apart: left out.
    Returns how many keys were written.

    The scratch file keeps each key as the lineage writes it (``k``, :func:`encode_key`) and, for
    the ranges a delta reads, as the source holds it: one column's value itself (SQLite keeps its
    type), several columns as JSON.
    """
    pos = written = 0
    for page in pages:
        if width == 1:  # the lineage writes one column's key as str(value); ints and text are kept as they are
            rows = [(pos + i, str(r[0]), r[0] if type(r[0]) in _PLAIN else _stored((r[0],)), r[2])
                    for i, r in enumerate(page, 1) if r[1] == 1]
        else:
            rows = [(pos + i, encode_key(tuple(r[:width])), _stored(tuple(r[:width])), r[width + 1])
                    for i, r in enumerate(page, 1) if r[width] == 1]
        pos += len(page)
        db.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", rows)
        written += len(rows)
    return written


def _stored(key: Key) -> object:
    if len(key) == 1:
        value = jsonable(key[0])
        return value if not isinstance(value, (list, dict)) else json.dumps(value)
    return json.dumps([jsonable(v) for v in key], ensure_ascii=False)


def _key(stored: object, width: int) -> Key:
    return (stored,) if width == 1 else tuple(json.loads(stored))  # type: ignore[arg-type]


def _added(db: sqlite3.Connection, total: int, delta: bool, max_ranges: int, width: int
           ) -> tuple[int, int, int, int, tuple[tuple[Key, Key], ...]]:
    """(kept, added, unreached, retried, ranges) of the ``total`` source keys written.

    A delta reads, besides the watermark, the records the store lacks whose watermark did not
    pass (*unreached*) and the records with a reviewer's decision not applied yet (*retried*): next
    to each other in the source's key order they make one range; a record the store holds
    otherwise ends it (one the watermark reaches is read either way and lets the range go on).
    """
    added = db.execute("SELECT count(*) FROM src WHERE NOT EXISTS (SELECT 1 FROM store WHERE store.k = src.k)"
                       ).fetchone()[0]
    if not delta:
        return total - added, added, 0, 0, ()
    unreached = retried = 0
    ranges: list[tuple[Key, Key]] = []
    lo = hi = None
    last = -1
    rows = db.execute("SELECT pos, key, fresh, EXISTS (SELECT 1 FROM store WHERE store.k = src.k) FROM src "
                      "WHERE NOT EXISTS (SELECT 1 FROM store WHERE store.k = src.k) "
                      "OR EXISTS (SELECT 1 FROM retry WHERE retry.k = src.k) ORDER BY pos")
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
            if lo is not None and len(ranges) <= max_ranges:
                ranges.append((_key(lo, width), _key(hi, width)))
            lo = hi = key
        last = pos
    if lo is not None and len(ranges) <= max_ranges:
        ranges.append((_key(lo, width), _key(hi, width)))
    return total - added, added, unreached, retried, tuple(ranges)


def _column(cursor) -> Iterator[str]:
    for (value,) in cursor:
        yield value


def _chunks(values) -> Iterator[list]:
    values = iter(values)
    while chunk := list(islice(values, PAGE)):
        yield chunk
