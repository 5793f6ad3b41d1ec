"""Keyset pagination over any SQLAlchemy table: no OFFSET scans, constant memory.

Statements are built with SQLAlchemy Core on reflected tables, never by
formatting names or values into SQL text, so the same code compiles for
SQLite, PostgreSQL and SQL Server.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Select, Table, and_, func, or_, select

from adapters.base import EntitySpec, Key, RawRecord, jsonable


def after_clause(columns: Sequence, after: Key):
    """(a, b) > (x, y) spelled as OR/AND so engines without row values accept it."""
    terms = []
    for i, col in enumerate(columns):
        equal = [columns[j] == after[j] for j in range(i)]
        terms.append(and_(*equal, col > after[i]))
    return or_(*terms)


def at_most_clause(columns: Sequence, hi: Key):
    """(a, b) <= (x, y)."""
    terms = []
    for i, col in enumerate(columns):
        equal = [columns[j] == hi[j] for j in range(i)]
        terms.append(and_(*equal, col < hi[i]))
    terms.append(and_(*[c == v for c, v in zip(columns, hi)]))
    return or_(*terms)


def at_least_clause(columns: Sequence, lo: Key):
    terms = []
    for i, col in enumerate(columns):
        equal = [columns[j] == lo[j] for j in range(i)]
        terms.append(and_(*equal, col > lo[i]))
    terms.append(and_(*[c == v for c, v in zip(columns, lo)]))
    return or_(*terms)


class KeysetPager:
    """Pages of one table ordered by its key, each page starting after the last key read."""

    def __init__(self, table: Table, entity: EntitySpec) -> None:
        self.table = table
        self.entity = entity
        self.key_columns = [table.c[k] for k in entity.key]
        self.columns = [table.c[c] for c in entity.legacy_columns()]

    def first_page(self, after: Key | None, limit: int) -> Select:
        stmt = select(*self.columns).order_by(*self.key_columns).limit(limit)
        if after is not None:
            stmt = stmt.where(after_clause(self.key_columns, after))
        return stmt

    def range_page(self, lo: Key, hi: Key, after: Key | None, limit: int) -> Select:
        stmt = self.first_page(after, limit).where(at_most_clause(self.key_columns, hi))
        if after is None:
            stmt = stmt.where(at_least_clause(self.key_columns, lo))
        return stmt

    def count(self) -> Select:
        return select(func.count()).select_from(self.table)

    def count_range(self, lo: Key, hi: Key) -> Select:
        return (
            select(func.count())
            .select_from(self.table)
            .where(at_least_clause(self.key_columns, lo), at_most_clause(self.key_columns, hi))
        )

    def to_records(self, rows: Sequence) -> list[RawRecord]:
        names = [c.name for c in self.columns]
        nkey = len(self.key_columns)
        records = []
        for row in rows:
            payload = {name: jsonable(value) for name, value in zip(names, row)}
            records.append(RawRecord(self.entity.table, tuple(row[:nkey]), payload))
        return records


def pages(fetch, pager: KeysetPager, *, after: Key | None, limit: int, hi: Key | None = None,
          lo: Key | None = None) -> Iterator[list[RawRecord]]:
    """Drive a pager: ``fetch(stmt)`` runs one statement and returns its rows."""
    cursor = after
    while True:
        if hi is None:
            stmt = pager.first_page(cursor, limit)
        else:
            stmt = pager.range_page(lo if lo is not None else hi, hi, cursor, limit)
        rows = fetch(stmt)
        if not rows:
            return
        records = pager.to_records(rows)
        yield records
        if len(rows) < limit:
            return
        cursor = tuple(rows[-1][: len(pager.key_columns)])
