"""COPY rows, given as tuples, straight into a PostgreSQL store table, and reserve the ids they will carry.

The first load of a batch writes its rows this way: no staging table, no
per-row dictionaries, and the ids of the new entity rows taken from their
sequence before the write, so the lineage and the old-identifier index can
name them without reading the rows back.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from sqlalchemy import (JSON, BigInteger, Boolean, Connection, Date, DateTime, Float, Integer, SmallInteger, String,
                        Table, bindparam, text)
from sqlalchemy.exc import DBAPIError, OperationalError


class CopyValueError(ValueError):
    """A value the binary COPY cannot send as its column's type (the text form may still take it)."""


def copy_tuples(conn: Connection, into: Table, names: Sequence[str], rows: Iterable[Sequence[object]],
                types: Table | None = None, *, binary: bool = False) -> None:
    """COPY ``rows`` (values in the order of ``names``) into ``into``; ``types`` has the columns' types.

    ``binary`` sends the values in PostgreSQL's binary form (a fifth of the
    client's work of the text form for text and timestamps), for rows whose
    Python types are those of their columns; a value that is not raises
    :class:`CopyValueError` and nothing of the copy stays. A driver error is
    raised as SQLAlchemy's, like every other statement's.
    """
    import psycopg
    from psycopg import sql
    from psycopg.types.json import Json

    typed = types if types is not None else into
    json_at = [i for i, n in enumerate(names) if isinstance(typed.c[n].type, JSON)]
    wire = binary_types(typed, names) if binary else None
    driver = conn.connection.driver_connection
    if driver is None:
        raise DBAPIError(f"COPY into {into.name}", None, Exception("the store connection is closed"),
                         connection_invalidated=True)
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(into.name), sql.SQL(", ").join(sql.Identifier(n) for n in names),
        sql.SQL(" (FORMAT BINARY)" if wire is not None else ""))
    try:
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            if wire is not None:
                copy.set_types(wire)
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
    except (TypeError, AttributeError, OverflowError, struct.error) as exc:  # a value of another type
        raise CopyValueError(f"COPY into {into.name}: {type(exc).__name__}: {exc}") from exc


# Column types by the name of their binary form; a table with a column of another type is copied as text.
_BINARY = ((BigInteger, "int8"), (SmallInteger, "int2"), (Integer, "int4"), (Float, "float8"),
           (DateTime, "timestamp"), (Date, "date"), (Boolean, "bool"), (JSON, "json"), (String, "text"))


def binary_types(table: Table, names: Sequence[str]) -> list[str] | None:
    """The binary COPY types of ``names``' columns, or None when one has no binary form here."""
    out = []
    for name in names:
        kind = table.c[name].type
        found = next((wire for cls, wire in _BINARY if isinstance(kind, cls)), None)
        if found is None or (found == "timestamp" and getattr(kind, "timezone", False)):
            return None
        out.append(found)
    return out


def reserve_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """``n`` new ids from the sequence of ``table``'s ``id`` column (one statement; gaps are harmless)."""
    if n == 0:
        return []
    return list(conn.execute(  # one row holding an array: read in one piece by the driver; the sequence is
        # looked up once (an InitPlan), not for every id: 4.5 -> 0.6 us an id
        text("SELECT array_agg(nextval((SELECT pg_get_serial_sequence(:table, 'id')::regclass))) "
             "FROM generate_series(1, :n)")
        .bindparams(bindparam("table", table.name), bindparam("n", n))).scalar_one())


def copy_fresh(conn: Connection, into: Table, names: Sequence[str], rows: Sequence[Sequence[object]], *,
               binary: bool = False) -> bool:
    """``copy_tuples`` inside a savepoint: False, and nothing written, when a row's key is already in the table.

    A value the binary form cannot send is sent again in the text form.
    """
    import psycopg

    savepoint = conn.begin_nested()
    try:
        copy_tuples(conn, into, names, rows, binary=binary)
    except Exception as exc:  # a value the driver cannot send, too: nothing of the copy stays
        savepoint.rollback()
        if isinstance(exc, CopyValueError) and binary:
            return copy_fresh(conn, into, names, rows)
        if isinstance(exc, DBAPIError) and isinstance(exc.orig, psycopg.errors.UniqueViolation):
            return False
        raise
    savepoint.commit()
    return True
