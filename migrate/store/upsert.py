"""Set-based upserts keyed on lineage, the same call on SQLite and PostgreSQL.

On PostgreSQL a batch's rows are streamed with COPY (binary; the text form for
a value the binary one cannot send) into a temporary staging table and merged
with one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``; on
SQLite they go through one executemany. Either way it runs inside the batch's
transaction, and a row whose ``changed`` columns are unchanged is left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import itemgetter

from sqlalchemy import Column, Connection, MetaData, Table, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.schema import CreateTable

from migrate.store.copy import CopyValueError, copy_fresh, copy_tuples
from migrate.store.inlist import each_one_of

LINEAGE_KEY = ("source_system", "source_table", "source_key")
COPY_THRESHOLD = 50  # fewer rows than this: one multi-row INSERT is as fast as COPY


def ids_by_key(conn: Connection, table: Table, source_system: str, source_table: str,
               keys: Sequence[str]) -> dict[str, int]:
    """The ``id`` of the row of each of these records in ``table``, by source key (records without one left out)."""
    c = table.c
    out: dict[str, int] = {}
    for wanted in each_one_of(conn, c.source_key, keys):
        out.update((key, int(i)) for key, i in conn.execute(
            select(c.source_key, c.id).where(c.source_system == source_system, c.source_table == source_table,
                                             wanted)))
    return out


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, object]], *,
           keys: Sequence[str] = LINEAGE_KEY, changed: Sequence[str] = ("content_hash",),
           update: Sequence[str] | None = None, fresh: bool = False) -> None:
    """Insert rows; on a key conflict update them only when one of ``changed`` differs.

    A row whose ``changed`` columns are all equal is left exactly as it is, so
    loading the same batch twice changes nothing. ``fresh`` says the caller found
    none of the keys in the store: on PostgreSQL the rows are then copied straight
    into the table, and should a key turn up after all (a concurrent load), the
    copy is undone and the rows merged as usual.
    """
    if not rows:
        return
    columns = update if update is not None else [c for c in rows[0] if c not in keys and c != "id"]
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_THRESHOLD:
        if fresh and _copy_fresh(conn, table, rows):
            return
        _copy_upsert(conn, table, rows, keys, changed, columns)
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in columns},
        where=or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in changed]) if changed else None,
    )
    conn.execute(stmt, list(rows))


def _copy_fresh(conn: Connection, table: Table, rows: Sequence[Mapping[str, object]]) -> bool:
    """COPY rows straight into ``table`` inside a savepoint; False (and nothing written) on a key conflict."""
    names = tuple(rows[0])
    return copy_fresh(conn, table, names, list(_tuples(names, rows)))


def _copy_upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, object]], keys: Sequence[str],
                 changed: Sequence[str], columns: Sequence[str]) -> None:
    names = tuple(rows[0])
    stage = _staged(conn, table, names, list(_tuples(names, rows)))
    stmt = pg_insert(table).from_select(list(names), select(*[stage.c[n] for n in names]))
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in columns},
        where=or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in changed]) if changed else None,
    )
    conn.execute(stmt)


def _staged(conn: Connection, table: Table, names: tuple[str, ...], rows: Sequence[Sequence[object]]) -> Table:
    """The staging table of ``table``'s ``names`` holding ``rows`` alone (what an earlier statement of the
    transaction staged there is gone): one binary COPY, inside a savepoint so that a value the binary form
    cannot send leaves nothing behind and the rows go again in the text form."""
    stage = _stage(table, names)
    conn.execute(CreateTable(stage, if_not_exists=True))
    conn.execute(delete(stage))
    if not rows:
        return stage
    savepoint = conn.begin_nested()
    try:
        copy_tuples(conn, stage, names, rows, table, binary=True)
    except Exception as exc:  # a value the store refuses, too: the savepoint goes, the caller hears of it
        savepoint.rollback()
        if not isinstance(exc, CopyValueError):
            raise
        copy_tuples(conn, stage, names, rows, table)
        return stage
    savepoint.commit()
    return stage


def _tuples(names: tuple[str, ...], rows: Sequence[Mapping[str, object]]):
    if len(names) == 1:
        return ((row[names[0]],) for row in rows)
    values = itemgetter(*names)
    return (values(row) for row in rows)


@lru_cache(maxsize=64)
def _stage(table: Table, names: tuple[str, ...]) -> Table:
    """A session-scoped temporary table with the given columns of ``table``, emptied at each commit."""
    suffix = hashlib.sha1(",".join(names).encode()).hexdigest()[:8]
    return Table(f"stage_{table.name}_{suffix}", MetaData(), *[Column(n, table.c[n].type) for n in names],
                 prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")
