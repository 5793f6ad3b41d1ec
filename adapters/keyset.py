"""Keyset pagination over any SQLAlchemy table: no OFFSET scans, constant memory.

Statements are built with SQLAlchemy Core on reflected tables, never by
formatting names or values into SQL text, so the same code compiles for
SQLite, PostgreSQL and SQL Server. Joined tables (a profile's ``join``) are
left outer joins onto the main table; pages stay keyset pages on the main
table's key. A join that matches several rows for one key marks the record
(``~several``: it is quarantined with that reason) unless the profile chose
``several = "latest:COLUMN"``, which keeps the row with the highest COLUMN.

Every row is accounted for, whatever its key (a table without a primary key
holds any): rows whose key is NULL cannot be paged by key, so the key pages
leave them out and one last pass reads them all (:func:`null_key` stands for
that pass in a batch's key range); rows sharing a key are read in one page
and each becomes its own record. Both kinds carry a ``key_problem`` (they are
quarantined, the reason naming the key and the other rows sharing it) and a
lineage key of their own (``7~3f2a9c0d1b4e``: the key and a digest of the row).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Literal

from sqlalchemy import JSON, Date, DateTime, Interval, Numeric, Select, String, Table, Text, Time, and_, case, cast, \
    func, literal, or_, select, type_coerce
from sqlalchemy.sql.expression import FromClause

from migrate.core.canonical import shown
from migrate.core.messages import N_
from migrate.core.records import DERIVED, SEVERAL, EntitySpec, Key, RawRecord, encode_key, fold, jsonable, \
    row_digest
from adapters.text import TextRepair

log = logging.getLogger(__name__)

RAW = "~raw"  # payload entry keeping the original of values converted from a legacy encoding
_PLAIN = frozenset((str, int, float, bool, type(None)))  # values jsonable() returns as they are
_LISTED = 10  # other rows named in a key problem's reason

# why a record whose key cannot name it is quarantined (catalogue messages, said where shown)
NULL_KEY = N_("key {names} is NULL, so it cannot identify the row: {n} row(s) of {table} have a NULL key (this one "
              "{this}); give each row a key in the source, then rerun the batch")
NULL_KEYS = N_("key {names} is NULL, so it cannot identify the row: {n} row(s) of {table} have a NULL key (this one "
               "{this}; the others {others}); give each row a key in the source, then rerun the batch")
SHARED_KEY = N_("key {key} is shared by {n} rows of {table} (this one {this}; the others {others}); a key must name "
                "one row: fix the source, then rerun the batch")
REASONS = (NULL_KEY, NULL_KEYS, SHARED_KEY)
PROBLEMS: tuple[str, ...] = ()


def null_key(width: int) -> Key:
    """The key range of the pass over rows whose key is NULL (a batch's lo and hi)."""
    return (None,) * width


def is_null_key(key: Key | None) -> bool:
    return key is not None and len(key) > 0 and all(k is None for k in key)


def after_clause(columns: Sequence, after: Key):
    """(a, b) > (x, y) spelled as OR/AND so engines without row values accept it, with ``a >= x`` beside it
    (implied) so that every engine reads the range from the key's index instead of filtering the table."""
    terms = []
    for i, col in enumerate(columns):
        equal = [columns[j] == after[j] for j in range(i)]
        terms.append(and_(*equal, col > after[i]))
    return _led(columns[0] >= after[0], terms)


def at_most_clause(columns: Sequence, hi: Key):
    """(a, b) <= (x, y), with ``a <= x`` beside it."""
    if len(columns) == 1:
        return columns[0] <= hi[0]
    terms = []
    for i, col in enumerate(columns):
        equal = [columns[j] == hi[j] for j in range(i)]
        terms.append(and_(*equal, col < hi[i]))
    terms.append(and_(*[c == v for c, v in zip(columns, hi)]))
    return _led(columns[0] <= hi[0], terms)


def at_least_clause(columns: Sequence, lo: Key):
    """(a, b) >= (x, y), with ``a >= x`` beside it."""
    if len(columns) == 1:
        return columns[0] >= lo[0]
    terms = []
    for i, col in enumerate(columns):
        equal = [columns[j] == lo[j] for j in range(i)]
        terms.append(and_(*equal, col > lo[i]))
    terms.append(and_(*[c == v for c, v in zip(columns, lo)]))
    return _led(columns[0] >= lo[0], terms)


def _led(bound, terms: list):
    """The OR of a row comparison's terms, behind the bound of its first column (one term needs none).

    An engine cannot use an index for an OR of ranges (SQLite read every row after a range's start and
    sorted them to keep a page of them); the first column's bound is one range it can seek."""
    return terms[0] if len(terms) == 1 else and_(bound, or_(*terms))


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
                 repair: TextRepair | None = None, raw: RawRead = "driver", unique: bool = True) -> None:
        self.raw = raw
        self.unique = unique  # the key is a primary key or unique: no two rows share one
        self.table = table
        self.entity = entity
        self.joined = dict(joined or {})
        self.repair = repair or TextRepair(entity.text)
        self.duplicates = 0
        self.names = list(entity.legacy_columns())
        self.key_columns = [self.column(k) for k in entity.key]
        self.nullable = any(c.nullable for c in self.key_columns)
        self.columns = [self.column(ref) for ref in self.names]
        self._hidden: list = []  # selected after the named columns, never in a payload
        self._source: FromClause = table
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
        stmt = select(*self._selected()).select_from(self._source).order_by(*self.key_columns, *self._tiebreak)
        stmt = stmt.limit(limit)
        if after is not None:
            stmt = stmt.where(after_clause(self.key_columns, after))
        return self._since(self._keyed(stmt), since)

    def range_page(self, lo: Key, hi: Key, after: Key | None, limit: int, since: object | None = None) -> Select:
        stmt = self.first_page(after, limit, since).where(at_most_clause(self.key_columns, hi))
        if after is None:
            stmt = stmt.where(at_least_clause(self.key_columns, lo))
        return stmt

    def bounds_page(self, after: Key | None, limit: int) -> Select:
        """The key columns alone of the rows :meth:`first_page` selects: where a page starts and ends."""
        stmt = select(*self.key_columns).select_from(self._source).order_by(*self.key_columns).limit(limit)
        if after is not None:
            stmt = stmt.where(after_clause(self.key_columns, after))
        return self._since(self._keyed(stmt), None)

    def last_key(self, after: Key | None) -> Select:
        """The key columns of the last row :meth:`bounds_page` would select without a limit."""
        stmt = (select(*self.key_columns).select_from(self._source)
                .order_by(*[c.desc() for c in self.key_columns]).limit(1))
        if after is not None:
            stmt = stmt.where(after_clause(self.key_columns, after))
        return self._since(self._keyed(stmt), None)

    def null_exists(self) -> Select:
        """One row (or none) when some row's key is NULL: whether the NULL-key pass reads anything."""
        stmt = select(literal(1)).select_from(self._source).where(or_(*[c.is_(None) for c in self.key_columns]))
        return self._since(stmt, None).limit(1)

    def key_page(self, key: Key) -> Select:
        """Every row of one key (more of them than a page holds)."""
        stmt = self.first_page(None, 1, None).limit(None)
        return stmt.where(*[c == v for c, v in zip(self.key_columns, key)])

    def null_page(self, since: object | None = None) -> Select:
        """Every row whose key (any key column) is NULL, in a stable order: the pass after the key pages."""
        stmt = select(*self._selected()).select_from(self._source).where(or_(*[c.is_(None) for c in self.key_columns]))
        return self._since(stmt.order_by(*self.columns, *self._tiebreak), since)

    def _selected(self) -> list:
        """The key columns, the other columns as the source holds them (see :func:`raw_column`), the hidden ones."""
        nkey = len(self.key_columns)
        labelled = [(c if i < nkey else raw_column(c, self.raw)).label(f"c{i}") for i, c in enumerate(self.columns)]
        return labelled + [c.label(f"h{i}") for i, c in enumerate(self._hidden)]

    def shared_keys(self, lo: Key, hi: Key) -> Select:
        """Keys in lo..hi that several rows of the main table share, with how many."""
        return (
            select(*self.key_columns, func.count())
            .select_from(self.table)
            .where(at_least_clause(self.key_columns, lo), at_most_clause(self.key_columns, hi))
            .group_by(*self.key_columns)
            .having(func.count() > 1)
        )

    def count(self, since: object | None = None) -> Select:
        return self._since(select(func.count()).select_from(self.table), since)

    def count_range(self, lo: Key, hi: Key) -> Select:
        stmt = select(func.count()).select_from(self.table)
        if is_null_key(lo):
            return stmt.where(or_(*[c.is_(None) for c in self.key_columns]))
        return stmt.where(at_least_clause(self.key_columns, lo), at_most_clause(self.key_columns, hi))

    def _keyed(self, stmt: Select) -> Select:
        """Key pages hold rows with a key: the NULL-key rows come in their own pass."""
        if not self.nullable:
            return stmt
        return stmt.where(*[c.is_not(None) for c in self.key_columns])

    def keys_page(self, after: Key | None, limit: int, since: object | None = None) -> Select:
        """Keys alone, in key order, from the main table: (key columns..., rows sharing the key, fresh).

        ``fresh`` is 1 when a row's ``modified`` column is at or after ``since`` (0 otherwise, NULL
        without ``since``): the key comparison of a delta run (:mod:`migrate.delta`). Rows whose key
        is NULL are left out (they are set apart, never compared by key). In a table whose key is
        not guaranteed unique, rows sharing a key come as one, with how many share it.
        """
        fresh = None if since is None else case((self._modified() >= _typed_watermark(self._modified(), since), 1),
                                                 else_=0)
        if self.unique:
            stmt = select(*self.key_columns, literal(1), fresh if fresh is not None else literal(None))
        else:
            stmt = select(*self.key_columns, func.count(),
                          func.max(fresh) if fresh is not None else literal(None)).group_by(*self.key_columns)
        stmt = stmt.select_from(self.table).order_by(*self.key_columns).limit(limit)
        if self.nullable:
            stmt = stmt.where(*[c.is_not(None) for c in self.key_columns])
        if after is not None:
            stmt = stmt.where(after_clause(self.key_columns, after))
        return stmt

    def key_lines_page(self, after: Key | None, limit: int, since: object | None = None) -> Select:
        """:meth:`keys_page` of a unique one-column integer key as one row: (COPY text, last key, keys,
        keys that are not integers), the text a line ``key<TAB>\\N<TAB>fresh`` a key in key order, built
        by the engine (SQLite's ``group_concat``): no Python object per key. A page with a key that is
        not an integer (SQLite keeps any value in any column) is read again as :meth:`keys_page`."""
        key = self.key_columns[0]
        fresh = literal("\\N") if since is None else case(
            (self._modified() >= _typed_watermark(self._modified(), since), "1"), else_="0")
        page = select(key.label("k"), fresh.label("f")).select_from(self.table).order_by(key).limit(limit)
        if self.nullable:
            page = page.where(key.is_not(None))
        if after is not None:
            page = page.where(after_clause(self.key_columns, after))
        keys = page.subquery("page")
        line = cast(keys.c.k, String) + literal("\t\\N\t") + keys.c.f + literal("\n")
        return select(func.group_concat(line, literal("")), func.max(keys.c.k), func.count(),
                      func.coalesce(func.sum(case((func.typeof(keys.c.k) != "integer", 1), else_=0)), 0))

    def watermark(self) -> Select:
        """The newest modification time in the table: the next delta starts there."""
        return select(func.max(self._modified()))

    def census(self) -> Select:
        """The table's row count and its newest modification time, in one pass over it."""
        return select(func.count(), func.max(self._modified())).select_from(self.table)

    def _modified(self):
        if not self.entity.modified:
            raise ValueError(f"entity {self.entity.label} has no 'modified' column for delta extraction")
        return self.column(self.entity.modified)

    def _since(self, stmt: Select, since: object | None) -> Select:
        """Rows whose watermark is at or after ``since``; and, for a part read as a delta
        (``entity.delta``), the rows it names: watermark at or after its ``since``, or a key in one
        of its ranges (records the store did not hold whose watermark had not moved)."""
        delta = self.entity.delta
        if since is not None:
            column = self._modified()
            stmt = stmt.where(column >= _typed_watermark(column, since))
        if delta is not None:
            terms = [and_(at_least_clause(self.key_columns, lo), at_most_clause(self.key_columns, hi))
                     for lo, hi in delta.ranges]
            if delta.since is not None:
                column = self._modified()
                terms.insert(0, column >= _typed_watermark(column, delta.since))
            stmt = stmt.where(or_(*terms)) if terms else stmt.where(literal(False))
        return stmt

    # --- rows -> records --------------------------------------------------------------------
    def to_records(self, rows: Sequence, shared: Mapping[Key, int] | None = None) -> list[RawRecord]:
        """One record per key; rows of a key matched by several rows of a join are one group.

        In a table whose key is not unique, the rows sharing a key are one record each
        (``shared``: how many main-table rows share each key, needed when joins multiply rows).
        """
        nkey = len(self.key_columns)
        if self.unique and not self.entity.joins:  # a row is a record
            return self._row_records(rows, nkey)
        records: list[RawRecord] = []
        group: list = []
        for row in rows:
            if group and tuple(row[:nkey]) != tuple(group[0][:nkey]):
                records += self._group(group, nkey, shared)
                group = []
            group.append(row)
        if group:
            records += self._group(group, nkey, shared)
        return records

    def _row_records(self, rows: Sequence, nkey: int) -> list[RawRecord]:
        """A record per row (a unique key, no join): :meth:`_record` of each, a row of plain values with
        nothing derived or repaired taken as it is (most rows of most tables)."""
        spec = self.entity
        if (spec.constants or spec.compose or spec.choose or spec.fallbacks or spec.null_columns
                or self.repair.active):
            return [self._record((row,), nkey) for row in rows]
        names, table, plain = self.names, spec.table, _PLAIN.__contains__
        width = len(names)
        records: list[RawRecord] = []
        add = records.append
        for row in rows:
            values = row[:width]
            if all(map(plain, map(type, values))):
                add(RawRecord(table, tuple(row[:nkey]), dict(zip(names, values))))
            else:
                add(self._record((row,), nkey))
        return records

    def null_records(self, rows: Sequence) -> list[RawRecord]:
        """The rows of the NULL-key pass: one record each, quarantined with the rows sharing the NULL key."""
        nkey = len(self.key_columns)
        records = [self._record([row], nkey)._replace(key=null_key(nkey)) for row in rows]
        names = ", ".join(self.entity.key)
        return _set_apart(records, "~null", lambda this, others: (NULL_KEYS if others else NULL_KEY).format(
            names=names, n=len(records), table=self.entity.table, this=this, others=others))

    def _group(self, group: Sequence, nkey: int, shared: Mapping[Key, int] | None) -> list[RawRecord]:
        key = tuple(group[0][:nkey])
        if self.unique or len(group) == 1:
            return [self._record(group, nkey)]
        if not self.entity.joins:
            rows = [[row] for row in group]
        else:
            count = (shared or {}).get(key, 1)
            if count < 2:
                return [self._record(group, nkey)]
            rows = main_rows(group, [i for i, ref in enumerate(self.names) if not self.is_joined(ref)], count)
        records = [self._record(part, nkey) for part in rows]
        shown_key = ", ".join(f"{name}={shown(value)}" for name, value in zip(self.entity.key, key))
        return _set_apart(records, encode_key(key), lambda this, others: SHARED_KEY.format(
            key=shown_key, n=len(records), table=self.entity.table, this=this, others=others))

    def is_joined(self, ref: str) -> bool:
        return any(ref.startswith(name + ".") for name in self.joined)

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


def main_rows(group: Sequence, main: Sequence[int], count: int) -> list[list]:
    """The rows of one key split by main-table row: ``count`` parts (identical main rows repeat a part)."""
    parts: dict[tuple, list] = {}
    for row in group:
        parts.setdefault(tuple(row[i] for i in main), []).append(row)
    out = list(parts.values())
    while len(out) < count:
        out.append(out[-1])
    return out


def _set_apart(records: list[RawRecord], stem: str, reason) -> list[RawRecord]:
    """Records whose key cannot name them: each gets a lineage key of its own (the stem and a digest of
    its row, numbered when rows are identical) and a key problem naming the others."""
    seen: dict[str, int] = {}
    keys = []
    for record in records:
        ident = f"{stem}~{row_digest(record.payload)[:12]}"
        seen[ident] = seen.get(ident, 0) + 1
        keys.append(ident if seen[ident] == 1 else f"{ident}#{seen[ident]}")
    out = []
    for i, record in enumerate(records):
        others = [k for j, k in enumerate(keys) if j != i]
        listed = ", ".join(others[:_LISTED]) + (f" and {len(others) - _LISTED} more" if len(others) > _LISTED else "")
        text = reason(keys[i], listed if others else "")
        out.append(RawRecord(record.table, record.key, record.payload, key_problem=text, lineage_key=keys[i]))
    return out


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
