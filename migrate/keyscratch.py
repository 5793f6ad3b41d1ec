"""The key comparison through a scratch SQLite file: for a store that is an SQLite file itself.

The store's lineage keys of the source table, its deletion marks and the keys
with a reviewer's decision not applied yet are written into the file with the
source's keys; SQLite's indexes answer the comparison's questions, so neither
side is held in memory whatever the table's size.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection, select

from migrate import deletions, quarantine
from migrate.core.records import Key, encode_key
from migrate.keyrows import PAGE, PLAIN, key_of, set_apart, stored
from migrate.store.models import lineage


class ScratchKeys:
    """Both sides' keys in a scratch SQLite file in ``folder`` (the temporary folder when None)."""

    def __init__(self, conn: Connection, source: str, table: str, folder: Path | None) -> None:
        self._conn, self._source, self._table = conn, source, table
        self._folder = tempfile.TemporaryDirectory(prefix="hopnhat-keys-", dir=folder)
        self._db = sqlite3.connect(Path(self._folder.name) / "keys.sqlite")
        self._width = 1

    def __enter__(self) -> ScratchKeys:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._db.close()
        self._folder.cleanup()

    def write(self, pages: Iterator[Sequence[Sequence[object]]], width: int) -> int:
        """Write the store's keys, then the source's in their order; how many source keys were written."""
        db, conn = self._db, self._conn
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        # tables filled first and indexed after: an index built by sorting is faster than one grown
        db.execute("CREATE TABLE store (k TEXT NOT NULL)")
        db.execute("CREATE TABLE marked (k TEXT NOT NULL)")
        db.execute("CREATE TABLE retry (k TEXT NOT NULL)")
        db.execute("CREATE TABLE src (pos INTEGER PRIMARY KEY, k TEXT NOT NULL, key NOT NULL, fresh INTEGER)")
        stmt = (select(lineage.c.source_key)
                .where(lineage.c.source_system == self._source, lineage.c.source_table == self._table)
                .execution_options(yield_per=PAGE))
        for chunk in conn.execute(stmt).scalars().partitions(PAGE):
            db.executemany("INSERT INTO store VALUES (?)", [(k,) for k in chunk if "~" not in k or not set_apart(k)])
        for chunk in _chunks(deletions.keys(conn, self._source, self._table)):
            db.executemany("INSERT INTO marked VALUES (?)", [(k,) for k in chunk])
        for chunk in _chunks(quarantine.decided_keys(conn, self._source, self._table)):
            db.executemany("INSERT INTO retry VALUES (?)", [(k,) for k in chunk])
        self._width = width
        total = self._source_keys(pages, width)
        for index in ("store_k ON store (k)", "marked_k ON marked (k)", "retry_k ON retry (k)", "src_k ON src (k)"):
            db.execute(f"CREATE INDEX {index}")  # fixed names, no value
        return total

    def _source_keys(self, pages: Iterator[Sequence[Sequence[object]]], width: int) -> int:
        """The source's keys in their order (pos); a key several rows share is set apart: left out.

        The file keeps each key as the lineage writes it (``k``, :func:`encode_key`) and, for the
        ranges a delta reads, as the source holds it (:func:`migrate.keyrows.stored`; one column's
        plain value as it is: SQLite keeps its type).
        """
        pos = written = 0
        for page in pages:
            if width == 1:  # the lineage writes one column's key as str(value)
                rows = [(pos + i, str(r[0]), r[0] if type(r[0]) in PLAIN else stored((r[0],)), r[2])
                        for i, r in enumerate(page, 1) if r[1] == 1]
            else:
                rows = [(pos + i, encode_key(tuple(r[:width])), stored(tuple(r[:width])), r[width + 1])
                        for i, r in enumerate(page, 1) if r[width] == 1]
            pos += len(page)
            self._db.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", rows)
            written += len(rows)
        return written

    def added(self) -> int:
        """Source keys the store does not hold."""
        return self._db.execute("SELECT count(*) FROM src WHERE NOT EXISTS (SELECT 1 FROM store WHERE store.k = "
                                "src.k)").fetchone()[0]

    def wanted(self) -> Iterator[tuple[int, Key, object, bool]]:
        """(pos, key, fresh, held) of the source keys the store lacks or holds with a decision to apply,
        in the source's order."""
        rows = self._db.execute(
            "SELECT pos, key, fresh, EXISTS (SELECT 1 FROM store WHERE store.k = src.k) FROM src "
            "WHERE NOT EXISTS (SELECT 1 FROM store WHERE store.k = src.k) "
            "OR EXISTS (SELECT 1 FROM retry WHERE retry.k = src.k) ORDER BY pos")
        for pos, key, fresh, held in rows:
            yield pos, key_of(key, self._width), fresh, bool(held)

    def read_keys(self) -> Iterator[Key]:
        """The keys of the records a delta reads, in the source's order: whose watermark passed, that the
        store lacks, or with a decision to apply."""
        rows = self._db.execute(
            "SELECT key FROM src WHERE fresh = 1 OR NOT EXISTS (SELECT 1 FROM store WHERE store.k = src.k) "
            "OR EXISTS (SELECT 1 FROM retry WHERE retry.k = src.k) ORDER BY pos")
        for (key,) in rows:
            yield key_of(key, self._width)

    def deletions(self, run_id: int, now) -> tuple[int, int, int]:
        """Mark the store keys the source no longer has, unmark those back: (gone, newly marked, back)."""
        found = _Gone(self._db.execute(
            "SELECT k, EXISTS (SELECT 1 FROM marked WHERE marked.k = store.k) FROM store "
            "WHERE NOT EXISTS (SELECT 1 FROM src WHERE src.k = store.k)"))
        marked = deletions.mark(self._conn, self._source, self._table, found, run_id, now)
        back = deletions.unmark(self._conn, self._source, self._table, _column(self._db.execute(
            "SELECT k FROM marked WHERE EXISTS (SELECT 1 FROM src WHERE src.k = marked.k) "
            "OR NOT EXISTS (SELECT 1 FROM store WHERE store.k = marked.k) ORDER BY k")))
        return found.count, marked, back


class _Gone:
    """The store keys the source no longer has, counted as they go by; yields those not marked yet."""

    def __init__(self, rows) -> None:
        self._rows, self.count = rows, 0

    def __iter__(self) -> Iterator[str]:
        for key, already in self._rows:
            self.count += 1
            if not already:
                yield key


def _column(cursor) -> Iterator[str]:
    for (value,) in cursor:
        yield value


def _chunks(values) -> Iterator[list]:
    values = iter(values)
    while chunk := list(islice(values, PAGE)):
        yield chunk
