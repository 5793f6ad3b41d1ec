"""Keyset pagination over any SQLAlchemy table: no OFFSET scans, constant memory.

Statements are built with SQLAlchemy Core on reflected tables, never by
formatting names or values into SQL text, so the same code compiles for
SQLite, PostgreSQL and SQL Server. Joined tables (a profile's ``join``) are
left outer joins onto the main table; pages stay keyset pages on the main
table's key. A join that matches several rows for one key marks the record
(``~several``: it is quarantined with that reason) unless the profile chose
``several = "latest:COLUMN"``, which keeps the row with the highest COLUMN.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

from sqlalchemy import JSON, Date, DateTime, Interval, Numeric, Select, String, Table, Text, Time, and_, cast, func, \
    or_, select, type_coerce

from migrate.core.records import DERIVED, SEVERAL, EntitySpec, Key, RawRecord, fold, jsonable
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
    """A profile column reference: ``"col"`` on the main table or ``"Table.col"`` on a joined one.

    A joined table may be named with its schema (``"danhmuc.DonVi.Ten"``): the longest joined
    name the reference starts with wins.
    """
    for name in sorted(joined, key=len, reverse=True):
        if ref.startswith(name + "."):
            return _column(joined[name], ref[len(name) + 1:])
    return _column(table, ref)


def _column(table: Table, name: str):
    """By exact name, else ignoring case: Liferay on PostgreSQL folds camelCase names to lower case."""
    found = table.c.get(name)
    if found is None:
        folded = name.lower()
        found = next((c for c in table.c if c.name.lower() == folded), None)
    return found


RawRead = Literal["driver", "as-stored", "as-text"]
_CONVERTED_ON_READ = (Date, DateTime, Time, Interval, Numeric, JSON)  # SQLAlchemy parses these in Python
_TEXT_ON_READ = (Date, DateTime, Time, Interval)  # the driver parses these: read their text form instead


def raw_column(column, how: RawRead):
    """A column as the source holds it, so a typed column holding text reaches the profile's conversion.

    - ``as-stored`` (SQLite): a DATE/TIMESTAMP/NUMERIC column may hold any text
      (``07/04/1973``, ``0000-00-00``); SQLAlchemy's Python-side parsing of such a
      value raises for the whole page. The value is taken as stored.
    - ``as-text`` (PostgreSQL): dates and timestamps are read as ISO text (the
      session's DateStyle is ISO), so values the driver cannot represent
      (``infinity``, years past 9999 or BC) are a conversion problem of one record.
    - ``driver``: values as the driver returns them.
    """
    if how == "as-stored" and isinstance(column.type, _CONVERTED_ON_READ):
        return type_coerce(column, String())
    if how == "as-text" and isinstance(column.type, _TEXT_ON_READ):
        return cast(column, Text())
    return column


class KeysetPager:
    """Pages of one entity ordered by its main table's key, each starting after the last key read."""

    def __init__(self, table: Table, entity: EntitySpec, joined: Mapping[str, Table] | None = None,
                 repair: TextRepair | None = None, raw: RawRead = "driver") -> None:
        self.raw = raw
        self.table = table
        self.entity = entity
        self.joined = dict(joined or {})
        self.repair = repair or TextRepair(entity.text)
        self.duplicates = 0
        self.names = list(entity.legacy_columns())
        self.key_columns = [self.column(k) for k in entity.key]
        self.columns = [self.column(ref) for ref in self.names]
        self._hidden: list = []  # selected after the named columns, never in a payload
        self._source = table
        for join in entity.joins:
            other = self.joined[join.table]
            self._source = self._source.outerjoin(
                other, and_(*[self.column(left) == _column(other, right) for left, right in join.on]))
        latest = [self.column(f"{j.table}.{j.latest}").desc() for j in entity.joins if j.latest]
        self._tiebreak = latest + [c for j in entity.joins for c in self.joined[j.table].primary_key.columns]
        # per join that must match one row: positions (in a selected row) of what tells its rows apart
        self._join_identity = []
        for join in entity.joins:
            if join.latest:
                continue
            other = self.joined[join.table]
            ident = list(other.primary_key.columns) or [c for ref, c in zip(self.names, self.columns)
                                                        if ref.startswith(join.table + ".")]
            positions = []
            for column in ident:
                positions.append(len(self.columns) + len(self._hidden))
                self._hidden.append(column)
            self._join_identity.append((join, positions))

    def column(self, ref: str):
        column = resolve_column(self.table, self.joined, ref)
        if column is None:
            raise KeyError(ref)
        return column

    # --- statements ---------------------------------------------------------------------------
    def first_page(self, after: Key | None, limit: int, since: object | None = None) -> Select:
        nkey = len(self.key_columns)
        labelled = [(c if i < nkey else raw_column(c, self.raw)).label(f"c{i}") for i, c in enumerate(self.columns)]
        labelled += [c.label(f"h{i}") for i, c in enumerate(self._hidden)]
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
        """One record per key; rows of a key matched by several rows of a join are one group."""
        nkey = len(self.key_columns)
        records: list[RawRecord] = []
        group: list = []
        for row in rows:
            if group and tuple(row[:nkey]) != tuple(group[0][:nkey]):
                records.append(self._record(group, nkey))
                group = []
            group.append(row)
        if group:
            records.append(self._record(group, nkey))
        return records

    def _record(self, group: Sequence, nkey: int) -> RawRecord:
        spec = self.entity
        row = group[0]  # joins with several = "latest:COLUMN" are ordered so that it is the latest
        key = tuple(row[:nkey])
        names = self.names
        width = len(names)
        several = self._several(group) if len(group) > 1 else None
        derived = bool(spec.constants or spec.compose or spec.choose or spec.fallbacks or spec.null_columns)
        repair = self.repair if self.repair.active else None
        originals: dict[str, str] = {}
        values = row[:width]
        if repair is None and all(map(_PLAIN.__contains__, map(type, values))):
            payload: dict[str, object] = dict(zip(names, values))  # jsonable already: nothing to convert
            if not derived and several is None:
                return RawRecord(spec.table, key, payload)
        else:
            payload = {}
            for name, value in zip(names, values):
                if repair is not None and isinstance(value, str):
                    fixed = repair.fix(value, name)
                    if fixed != value and fixed != _nfc(value):
                        originals[name] = value
                    value = fixed
                payload[name] = jsonable(value)
        seen = payload  # what derived values are computed from: a column's null sentinels read as NULL
        if spec.null_columns:
            seen = dict(payload)
            for column, nulls in spec.null_columns.items():
                if seen.get(column) is not None and fold(seen[column]) in nulls:
                    seen[column] = None
        for field_name, value in spec.constants.items():
            payload[DERIVED + field_name] = value
        for field_name, template in spec.compose.items():
            payload[DERIVED + field_name] = _compose(template, seen)
        for field_name, choices in spec.choose.items():
            payload[DERIVED + field_name] = _choose(choices, seen)
        for field_name, columns in spec.fallbacks.items():
            payload[DERIVED + field_name] = next(
                (seen[c] for c in columns if seen.get(c) is not None and str(seen[c]).strip() != ""), None)
        if originals:
            payload[RAW] = originals
        if several:
            payload[SEVERAL] = several
        return RawRecord(spec.table, key, payload)

    def _several(self, group: Sequence) -> str | None:
        """Joins (without ``several = "latest:..."``) that matched several rows for one record."""
        self.duplicates += len(group) - 1
        found = []
        for join, positions in self._join_identity:
            distinct = {tuple(row[i] for i in positions) for row in group}
            if len(distinct) > 1:
                found.append(f"{join.table} matched {len(distinct)} rows")
        return "; ".join(found) or None


def _choose(choices, payload: Mapping[str, object]) -> object:
    """The column of the first choice whose ``when`` column holds one of its values (case and spaces ignored)."""
    for choice in choices:
        value = payload.get(choice.when)
        if value is not None and fold(value) in choice.values:
            return payload.get(choice.column)
    return None


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
        full = len(rows) >= limit
        if full and pager.entity.joins:  # the last key's rows may go on in the next page: read them there
            last = tuple(rows[-1][:nkey])
            cut = next((i for i in range(len(rows) - 1, -1, -1) if tuple(rows[i][:nkey]) != last), None)
            if cut is not None:
                rows = rows[:cut + 1]
        records = pager.to_records(rows)
        if records:
            yield records
        if not full:
            return
        cursor = tuple(rows[-1][:nkey])
