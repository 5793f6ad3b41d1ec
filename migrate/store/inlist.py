"""``column IN (values)`` for lists of any length, the same call on SQLite and PostgreSQL.

On PostgreSQL the values travel as one array parameter (``column = ANY(:array)``):
one cached statement however many values. On SQLite they are bound one by one,
so a long list is cut into parts of ``SQLITE_PART`` values, below the 999
parameters older SQLite builds accept in one statement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

SQLITE_PART = 900


def one_of(conn: Connection, column, values: Collection[object]):
    """One condition ``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter.

    For lists no longer than a batch; longer ones: :func:`each_one_of`.
    """
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def each_one_of(conn: Connection, column, values: Collection[object]) -> Iterator:
    """Conditions that together cover ``values``: one on PostgreSQL, one per ``SQLITE_PART`` values on SQLite.

    Run one statement per condition and combine the results::

        for condition in each_one_of(conn, lineage.c.source_key, keys):
            found += conn.execute(select(...).where(..., condition)).all()
    """
    wanted = list(values)
    if not wanted:
        return
    if conn.dialect.name == "postgresql":
        yield one_of(conn, column, wanted)
        return
    for start in range(0, len(wanted), SQLITE_PART):
        yield column.in_(wanted[start:start + SQLITE_PART])
