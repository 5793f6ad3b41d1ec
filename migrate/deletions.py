"""Records deleted in the source: kept in the store, marked in ``source_deletion``.

A run's key comparison (:mod:`migrate.delta`) finds the records the store holds
and the source no longer has. Nothing is removed from the store: the record,
its lineage, decisions and old identifiers stay, so an auditor sees what was
migrated and the new system decides what a deletion in the old one means. The
mark says which run found the record gone; a record that comes back in the
source loses its mark at the next comparison. Conservation counts the marks as
its own term (*deleted in source*): loaded + merged + quarantined + excluded =
extracted + deleted in source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, Select, delete, func, insert, literal, select

from migrate.store.inlist import each_one_of
from migrate.store.models import source_deletion

CHUNK = 5000  # keys written or read per statement


def count(conn: Connection, source: str, table: str) -> int:
    """How many records of one source table are marked deleted in the source."""
    return int(conn.execute(
        select(func.count()).select_from(source_deletion)
        .where(source_deletion.c.source_system == source, source_deletion.c.source_table == table)
    ).scalar_one())


def keys(conn: Connection, source: str, table: str) -> Iterator[str]:
    """The marked source keys of one source table, streamed in key order."""
    stmt = (select(source_deletion.c.source_key)
            .where(source_deletion.c.source_system == source, source_deletion.c.source_table == table)
            .order_by(source_deletion.c.source_key).execution_options(yield_per=CHUNK))
    yield from conn.execute(stmt).scalars()


def mark(conn: Connection, source: str, table: str, gone: Iterable[str], run_id: int, now) -> int:
    """Mark the keys (not marked yet: the caller leaves out those already marked); how many were marked."""
    total = 0
    for chunk in _chunks(gone):
        conn.execute(insert(source_deletion), [dict(source_system=source, source_table=table, source_key=k,
                                                    run_id=run_id, found_at=now) for k in chunk])
        total += len(chunk)
    return total


def mark_found(conn: Connection, source: str, table: str, gone: Select, run_id: int, now) -> int:
    """Mark the keys ``gone`` selects (one column) that are not marked yet, in one statement; how many.

    The marks already there are taken away with ``EXCEPT``, which reads them once before the first
    row is written: as ``NOT EXISTS`` against a table the planner believes empty (the first delta's),
    PostgreSQL scanned the growing table once for every key written (10,000 marks: 0.7 s)."""
    marked = select(source_deletion.c.source_key).where(source_deletion.c.source_system == source,
                                                        source_deletion.c.source_table == table)
    keys = gone.except_(marked).subquery("gone")
    key = next(iter(keys.c))
    rows = select(literal(source), literal(table), key, literal(run_id), literal(now, source_deletion.c.found_at.type)
                  ).select_from(keys)
    return conn.execute(insert(source_deletion).from_select(
        ["source_system", "source_table", "source_key", "run_id", "found_at"], rows)
        .execution_options(preserve_rowcount=True)).rowcount


def unmark_except(conn: Connection, source: str, table: str, gone: Select) -> int:
    """Take the mark off every record of the table but those ``gone`` selects (one column); how many."""
    keys = gone.subquery("gone")
    key = next(iter(keys.c))
    still = select(key).where(key == source_deletion.c.source_key).exists()
    return conn.execute(delete(source_deletion).where(
        source_deletion.c.source_system == source, source_deletion.c.source_table == table, ~still)).rowcount or 0


def unmark(conn: Connection, source: str, table: str, back: Iterable[str]) -> int:
    """Take the mark off records that are in the source again; how many."""
    total = 0
    for chunk in _chunks(back):
        for condition in each_one_of(conn, source_deletion.c.source_key, chunk):
            total += conn.execute(delete(source_deletion).where(
                source_deletion.c.source_system == source, source_deletion.c.source_table == table,
                condition)).rowcount or 0
    return total


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
