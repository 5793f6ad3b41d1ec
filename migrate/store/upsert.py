"""Set-based upserts keyed on lineage, the same call on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Table, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

LINEAGE_KEY = ("source_system", "source_table", "source_key")


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, object]], *,
           keys: Sequence[str] = LINEAGE_KEY, changed: Sequence[str] = ("content_hash",),
           update: Sequence[str] | None = None) -> None:
    """Insert rows; on a key conflict update them only when one of ``changed`` differs.

    A row whose ``changed`` columns are all equal is left exactly as it is, so
    loading the same batch twice changes nothing.
    """
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    columns = update if update is not None else [c for c in rows[0] if c not in keys and c != "id"]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in columns},
        where=or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in changed]) if changed else None,
    )
    conn.execute(stmt, list(rows))
