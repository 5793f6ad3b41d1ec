"""COPY rows, given as tuples, straight into a PostgreSQL store table, and reserve the ids they will carry.

The first load of a batch writes its rows this way: no staging table, no
per-row dictionaries, and the ids of the new entity rows taken from their
sequence before the write, so the lineage and the old-identifier index can
name them without reading the rows back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import JSON, Connection, Table, bindparam, text
from sqlalchemy.exc import DBAPIError, OperationalError


def copy_tuples(conn: Connection, into: Table, names: Sequence[str], rows: Iterable[Sequence[object]],
                types: Table | None = None) -> None:
    """COPY ``rows`` (values in the order of ``names``) into ``into``; ``types`` has the columns' types.

    A driver error is raised as SQLAlchemy's, like every other statement's.
    """
    import psycopg
    from psycopg import sql
    from psycopg.types.json import Json

    typed = types if types is not None else into
    json_at = [i for i, n in enumerate(names) if isinstance(typed.c[n].type, JSON)]
    driver = conn.connection.driver_connection
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(into.name), sql.SQL(", ").join(sql.Identifier(n) for n in names))
    try:
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            write = copy.write_row
            if not json_at:
                for row in rows:
                    write(row)
                return
            for row in rows:
                values = list(row)
                for i in json_at:
                    if values[i] is not None:
                        values[i] = Json(values[i])
                write(values)
    except psycopg.Error as exc:
        kind = OperationalError if isinstance(exc, psycopg.OperationalError) else DBAPIError
        raise kind(f"COPY into {into.name}", None, exc,
                   connection_invalidated=driver.closed or driver.broken) from exc


def reserve_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """``n`` new ids from the sequence of ``table``'s ``id`` column (one statement; gaps are harmless)."""
    if n == 0:
        return []
    return [int(i) for i in conn.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
        .bindparams(bindparam("table", table.name), bindparam("n", n))).scalars()]


def copy_fresh(conn: Connection, into: Table, names: Sequence[str], rows: Iterable[Sequence[object]]) -> bool:
    """``copy_tuples`` inside a savepoint: False, and nothing written, when a row's key is already in the table."""
    import psycopg

    savepoint = conn.begin_nested()
    try:
        copy_tuples(conn, into, names, rows)
    except Exception as exc:  # a value the driver cannot send, too: nothing of the copy stays
        savepoint.rollback()
        if isinstance(exc, DBAPIError) and isinstance(exc.orig, psycopg.errors.UniqueViolation):
            return False
        raise
    savepoint.commit()
    return True
