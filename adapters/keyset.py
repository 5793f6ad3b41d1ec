"""Keyset pagination over any SQLAlchemy table: no OFFSET scans, constant memory.

Statements are built with SQLAlchemy Core on reflected tables, never by
formatting names or values into SQL text, so the same code compiles for
SQLite, PostgreSQL and SQL Server. Joined tables (a profile's ``join``) are
left outer joins onto the main table; pages stay keyset pages on the main
table's key, and a join that matches several rows for one key keeps the
first (ordered by the joined table's primary key) and counts the others in
``KeysetPager.duplicates``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import Date, DateTime, Select, Table, and_, func, or_, select

from migrate.core.records import DERIVED, EntitySpec, Key, RawRecord, jsonable
from adapters.text import TextRepair

log = logging.getLogger(__name__)

RAW = "~raw"  # payload entry keeping the original of values converted from a legacy encoding
_PLAIN = frozenset((str, int, float, bool, type(None)))  # values jsonable() returns as they are


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


def resolve_column(table: Table, joined: Mapping[str, Table], ref: str):
    """A profile column reference: ``"col"`` on the main table or ``"Table.col"`` on a joined one."""
    head, dot, tail = ref.partition(".")
    if dot and head in joined:
        return _column(joined[head], tail)
    return _column(table, ref)


def _column(table: Table, name: str):
    """By exact name, else ignoring case: Liferay on PostgreSQL folds camelCase names to lower case."""
    found = table.c.get(name)
    if found is None:
        folded = name.lower()
        found = next((c for c in table.c if c.name.lower() == folded), None)
    return found


class KeysetPager:
    """Pages of one entity ordered by its main table's key, each starting after the last key read."""

    def __init__(self, table: Table, entity: EntitySpec, joined: Mapping[str, Table] | None = None,
                 repair: TextRepair | None = None) -> None:
        self.table = table
        self.entity = entity
        self.joined = dict(joined or {})
        self.repair = repair or TextRepair(entity.text)
        self.duplicates = 0
        self.names = list(entity.legacy_columns())
        self.key_columns = [self.column(k) for k in entity.key]
        self.columns = [self.column(ref) for ref in self.names]
        self._source = table
        for join in entity.joins:
            other = self.joined[join.table]
            self._source = self._source.outerjoin(
                other, and_(*[self.column(left) == _column(other, right) for left, right in join.on]))
        self._tiebreak = [c for j in entity.joins for c in self.joined[j.table].primary_key.columns]

    def column(self, ref: str):
        column = resolve_column(self.table, self.joined, ref)
        if column is None:
            raise KeyError(ref)
        return column

    # --- statements ---------------------------------------------------------------------------
    def first_page(self, after: Key | None, limit: int, since: object | None = None) -> Select:
        labelled = [c.label(f"c{i}") for i, c in enumerate(self.columns)]
        stmt = select(*labelled).select_from(self._source).order_by(*self.key_columns, *self._tiebreak)
        stmt = stmt.limit(limit)
        if after is not None:
            stmt = stmt.where(after_clause(self.key_columns, after))
        return self._since(stmt, since)

    def range_page(self, lo: Key, hi: Key, after: Key | None, limit: int, since: object | None = None) -> Select:
        stmt = self.first_page(after, limit, since).where(at_most_clause(self.key_columns, hi))
        if after is None:
            stmt = stmt.where(at_least_clause(self.key_columns, lo))
        return stmt

    def count(self, since: object | None = None) -> Select:
        return self._since(select(func.count()).select_from(self.table), since)

    def count_range(self, lo: Key, hi: Key) -> Select:
        return (
            select(func.count())
            .select_from(self.table)
            .where(at_least_clause(self.key_columns, lo), at_most_clause(self.key_columns, hi))
        )

    def watermark(self) -> Select:
        """The newest modification time in the table: the next delta starts there."""
        return select(func.max(self._modified()))

    def _modified(self):
        if not self.entity.modified:
            raise ValueError(f"entity {self.entity.label} has no 'modified' column for delta extraction")
        return self.column(self.entity.modified)

    def _since(self, stmt: Select, since: object | None) -> Select:
        if since is None:
            return stmt
        column = self._modified()
        return stmt.where(column >= _typed_watermark(column, since))

    # --- rows -> records --------------------------------------------------------------------
    def to_records(self, rows: Sequence) -> list[RawRecord]:
        nkey = len(self.key_columns)
        spec = self.entity
        repair = self.repair if self.repair.active else None
        records: list[RawRecord] = []
        last_key: Key | None = None
        names = self.names
        derived = bool(spec.constants or spec.compose or spec.choose)
        for row in rows:
            key = tuple(row[:nkey])
            if key == last_key:
                self.duplicates += 1
                continue
            last_key = key
            originals: dict[str, str] = {}
            if repair is None and all(map(_PLAIN.__contains__, map(type, row))):
                payload: dict[str, object] = dict(zip(names, row))  # jsonable already: nothing to convert
                if not derived:
                    records.append(RawRecord(spec.table, key, payload))
                    continue
            else:
                payload = {}
                for name, value in zip(names, row):
                    if repair is not None and isinstance(value, str):
                        fixed = repair.fix(value, name)
                        if fixed != value and fixed != _nfc(value):
                            originals[name] = value
                        value = fixed
                    payload[name] = jsonable(value)
            for field_name, value in spec.constants.items():
                payload[DERIVED + field_name] = value
            for field_name, template in spec.compose.items():
                payload[DERIVED + field_name] = _compose(template, payload)
            for field_name, choice in spec.choose.items():
                taken = payload.get(choice.when) is not None and str(payload.get(choice.when)) in choice.values
                payload[DERIVED + field_name] = payload.get(choice.column) if taken else None
            if originals:
                payload[RAW] = originals
            records.append(RawRecord(spec.table, key, payload))
        return records


def _nfc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", text)


def _compose(template: str, payload: Mapping[str, object]) -> str | None:
    """Fill ``{column}`` slots; None when a referenced value is missing (nothing to point at)."""
    from string import Formatter

    parts = []
    for literal, name, spec, _ in Formatter().parse(template):
        parts.append(literal)
        if name:
            value = payload.get(name)
            if value is None or value == "":
                return None
            parts.append(format(value, spec) if spec else str(value))
    return "".join(parts)


def _typed_watermark(column, since: object) -> object:
    """A text watermark compared with a timestamp column is parsed first (drivers differ otherwise)."""
    if isinstance(since, str) and isinstance(column.type, (DateTime, Date)):
        parsed = dt.datetime.fromisoformat(since)
        return parsed if isinstance(column.type, DateTime) else parsed.date()
    return since


def pages(fetch, pager: KeysetPager, *, after: Key | None, limit: int, hi: Key | None = None,
          lo: Key | None = None, since: object | None = None) -> Iterator[list[RawRecord]]:
    """Drive a pager: ``fetch(stmt)`` runs one statement and returns its rows."""
    cursor = after
    nkey = len(pager.key_columns)
    while True:
        if hi is None:
            stmt = pager.first_page(cursor, limit, since)
        else:
            stmt = pager.range_page(lo if lo is not None else hi, hi, cursor, limit, since)
        rows = fetch(stmt)
        if not rows:
            return
        records = pager.to_records(rows)
        if records:
            yield records
        if len(rows) < limit:
            return
        cursor = tuple(rows[-1][:nkey])
