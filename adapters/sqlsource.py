"""A legacy source reached through SQLAlchemy: the engine modules configure it.

Tables are reflected (names are never formatted into SQL), rows are read in
keyset pages, and driver exceptions become :class:`SourceError` naming the
source and the table. Every statement is a SQLAlchemy Core construct, so the
tests can compile each one with the SQL Server dialect too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, Integer, MetaData, Row, Table, func, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError

from adapters.base import RangeDigest
from migrate.core.records import EntitySpec, Key, RawRecord, jsonable, rows_digest
from adapters.keyset import KeysetPager, RawRead, resolve_column
from adapters.paging import bounds, pages
from adapters.text import TextRepair
from migrate.core.errors import ConfigError, RetryableError, SourceError
from migrate.core.messages import msg

log = logging.getLogger(__name__)


class SqlSource:
    """Read-only access to one legacy database."""

    def __init__(self, name: str, engine: Engine, *, engine_name: str,
                 type_map: Mapping[str, str],
                 is_transient: Callable[[BaseException], bool] = lambda exc: False,
                 schema: str | None = None, raw: RawRead = "driver") -> None:
        self.name = name
        self.engine = engine_name
        self.type_map = type_map
        self.schema = schema
        self.raw = raw  # how typed columns are read (see adapters.keyset.raw_column)
        self._db = engine
        self._is_transient = is_transient
        self._tables: dict[str, Table] = {}
        self._metadata = MetaData(schema=schema)
        self._repairs: dict[str, TextRepair] = {}  # per entity part: conversions counted over the run
        self._unique: dict[tuple[str, tuple[str, ...]], bool] = {}  # (table, key) -> no two rows share a key

    # --- schema -------------------------------------------------------------
    def table(self, name: str) -> Table:
        """A reflected table by its profile name; matched ignoring case when the exact name is absent.

        ``"danhmuc.DonViHanhChinh"`` names a table of another schema than the source's. Names are
        quoted by SQLAlchemy wherever the engine needs it (``user``, ``order``, mixed case), never
        formatted into SQL.
        """
        if name not in self._tables:
            schema, table = self._split(name)
            with self._errors(name):
                try:
                    self._tables[name] = Table(table, self._metadata, schema=schema, autoload_with=self._db)
                except NoSuchTableError:
                    actual = next((t for t in self.table_names(schema) if t.lower() == table.lower()), None)
                    if actual is None or actual == table:
                        raise
                    self._tables[name] = Table(actual, self._metadata, schema=schema, autoload_with=self._db)
        return self._tables[name]

    def _split(self, name: str) -> tuple[str | None, str]:
        """(schema, table) of a profile table name: ``schema.table`` when the first part is a schema."""
        head, dot, tail = name.partition(".")
        if dot and head and tail:
            with self._errors(name):
                schemas = inspect(self._db).get_schema_names()
            match = next((s for s in schemas if s == head), None) or next(
                (s for s in schemas if s.lower() == head.lower()), None)
            if match is not None:
                return match, tail
        return self.schema, name

    def forget(self) -> None:
        """Drop reflected tables (their definition changed underneath)."""
        self._tables.clear()
        self._unique.clear()
        self._metadata = MetaData(schema=self.schema)

    def table_names(self, schema: str | None = None) -> list[str]:
        with self._errors(""):
            return sorted(inspect(self._db).get_table_names(schema=schema or self.schema))

    def columns(self, table: str, *, entity: EntitySpec | None = None) -> dict[str, str]:
        """Column name -> canonical type name (via TYPE_MAP; unknown types are 'text').

        ``entity`` (the profile part reading the table) matters to exports only (their layout)."""
        out = {}
        for col in self.table(table).columns:
            raw = type(col.type).__name__.lower()
            out[col.name] = self.type_map.get(raw, "text")
        return out

    def candidate_keys(self, table: str) -> list[tuple[str, ...]]:
        """The primary key, then unique constraints and unique indexes, as column tuples."""
        reflected = self.table(table)
        actual, schema = reflected.name, reflected.schema
        with self._errors(table):
            insp = inspect(self._db)
            keys: list[tuple[str, ...]] = []
            pk = insp.get_pk_constraint(actual, schema=schema).get("constrained_columns") or []
            if pk:
                keys.append(tuple(pk))
            for uc in insp.get_unique_constraints(actual, schema=schema):
                keys.append(tuple(uc["column_names"]))
            for ix in insp.get_indexes(actual, schema=schema):
                if ix.get("unique"):
                    keys.append(tuple(c for c in ix["column_names"] if c))
        return list(dict.fromkeys(k for k in keys if k))

    def row_count(self, table: str) -> int:
        with self._errors(table), self._db.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(self.table(table))).scalar_one())

    def distinct_values(self, table: str, column: str, *, limit: int = 200) -> list[object]:
        """Up to ``limit`` distinct values of one column (to check a profile's lookups)."""
        col = resolve_column(self.table(table), {}, column)
        if col is None:
            raise SourceError(msg("column {column} not found", column=column), source=self.name, table=table)
        stmt = select(col).distinct().where(col.is_not(None)).order_by(col).limit(limit)
        with self._errors(table), self._db.connect() as conn:
            return [jsonable(v) for v in conn.execute(stmt).scalars()]

    # --- protocol -----------------------------------------------------------
    def count(self, entity: EntitySpec, *, since: object | None = None) -> int:
        pager = self._pager(entity)
        with self._errors(entity.table), self._db.connect() as conn:
            return int(conn.execute(pager.count(since)).scalar_one())

    def read(self, entity: EntitySpec, *, after: Key | None, batch_size: int,
             since: object | None = None) -> Iterator[list[RawRecord]]:
        pager = self._pager(entity)
        yield from pages(self._fetcher(entity.table), pager, after=after, limit=batch_size, since=since)
        self._report(pager)

    def read_range(self, entity: EntitySpec, lo: Key, hi: Key, *, batch_size: int,
                   since: object | None = None) -> Iterator[list[RawRecord]]:
        pager = self._pager(entity)
        yield from pages(self._fetcher(entity.table), pager, after=None, limit=batch_size, lo=lo, hi=hi,
                         since=since)

    def bounds(self, entity: EntitySpec, *, after: Key | None, batch_size: int) -> tuple[Key, Key] | None:
        """The key range of the page :meth:`read` gives after ``after``, read from the keys alone (None past
        the last page): planning a batch reads no payload."""
        return bounds(self._fetcher(entity.table), self._pager(entity), after=after, limit=batch_size)

    def digest(self, entity: EntitySpec, lo: Key, hi: Key) -> RangeDigest:
        """Count and XOR of per-row digests: independent of row order and engine."""
        count, digest = rows_digest(self.read_range(entity, lo, hi, batch_size=5000))
        return RangeDigest(lo, hi, count, digest)

    def keys(self, entity: EntitySpec, *, batch_size: int, since: object | None = None) -> Iterator[Sequence[Row]]:
        """Every key of the part's main table in key order, in pages of rows
        ``(key columns..., rows sharing the key, fresh)``.

        Keys only, streamed: the key comparison of a delta run; ``fresh`` is 1 when the row's
        watermark is at or after ``since``, 0 when not, None without ``since``. Rows as the
        driver gives them (a million keys are compared in seconds, not in a million objects).
        """
        pager = self._pager(entity)
        # keys whose type SQLAlchemy converts nothing of (integers, text) are taken from the driver's
        # cursor as they are: no row object per key
        plain = all(c.type.result_processor(self._db.dialect, None) is None for c in pager.key_columns)

        def fetch(stmt):
            with self._errors(entity.table), self._db.connect() as conn:
                result = conn.execute(stmt)
                return result.cursor.fetchall() if plain and result.cursor is not None else result.all()

        nkey, after = len(pager.key_columns), None
        while True:
            rows = fetch(pager.keys_page(after, batch_size, since))
            if not rows:
                return
            yield rows
            if len(rows) < batch_size:
                return
            after = tuple(rows[-1][:nkey])

    def key_lines(self, entity: EntitySpec, *, batch_size: int,
                  since: object | None = None) -> Iterator[str | Sequence[Row]] | None:
        """:meth:`keys` as COPY text built by the engine, where it can: an SQLite source whose part has
        one unique integer key column; None elsewhere.

        Each page is the text of its keys, a line ``key<TAB>\\N<TAB>fresh`` a key in key order
        (:meth:`KeysetPager.key_lines_page`); a page holding a key that is not an integer is given as
        the rows of :meth:`keys` instead. A million keys cost SQLite's own scan and no Python object each.
        """
        pager = self._pager(entity)
        if (self._db.dialect.name != "sqlite" or not pager.unique or len(pager.key_columns) != 1
                or not isinstance(pager.key_columns[0].type, Integer)):
            return None
        return self._key_lines(pager, batch_size, since)

    def _key_lines(self, pager: KeysetPager, batch_size: int, since: object | None) -> Iterator[str | Sequence[Row]]:
        table = pager.entity.table
        after: Key | None = None
        while True:
            with self._errors(table), self._db.connect() as conn:
                text, last, count, odd = conn.execute(pager.key_lines_page(after, batch_size, since)).one()
                if odd:  # a key that is not an integer: the page as rows, each key as the driver gives it
                    rows = conn.execute(pager.keys_page(after, batch_size, since)).all()
                    last = rows[-1][0] if rows else last
            if not count:
                return
            yield rows if odd else text
            if count < batch_size:
                return
            after = (last,)

    def watermark(self, entity: EntitySpec) -> object | None:
        """The newest value of the entity's ``modified`` column, as the source holds it."""
        pager = self._pager(entity)
        with self._errors(entity.table), self._db.connect() as conn:
            return jsonable(conn.execute(pager.watermark()).scalar())

    def census(self, entity: EntitySpec) -> tuple[int, object | None]:
        """:meth:`count` and :meth:`watermark` at once: one scan of a table whose ``modified`` has no index."""
        pager = self._pager(entity)
        with self._errors(entity.table), self._db.connect() as conn:
            count, newest = conn.execute(pager.census()).one()
        return int(count), jsonable(newest)

    def one_row_per_key(self, entity: EntitySpec) -> bool:
        """Whether each record of the part is one row of one key (no join, a unique key): then the keys alone
        count its records, and the key comparison can tell a delta's batches (:mod:`migrate.keydiff`)."""
        pager = self._pager(entity)
        return pager.unique and not entity.joins

    def text_report(self) -> dict[str, dict[str, int]]:
        """Values converted from a legacy encoding so far, per entity part: {"table.column/enc": n}."""
        return {label: {f"{col}/{enc}": n for (col, enc), n in sorted(r.converted.items())}
                for label, r in self._repairs.items() if r.converted}

    def close(self) -> None:
        self._db.dispose()

    # --- helpers --------------------------------------------------------------
    def _pager(self, entity: EntitySpec) -> KeysetPager:
        table = self.table(entity.table)
        joined = {j.table: self.table(j.table) for j in entity.joins}
        missing = []
        for ref in (*entity.legacy_columns(), *(left for j in entity.joins for left, _ in j.on)):
            if resolve_column(table, joined, ref) is None:
                missing.append(ref)
        for join in entity.joins:
            missing += [f"{join.table}.{right}" for _, right in join.on
                        if resolve_column(joined[join.table], {}, right) is None]
        if missing:
            raise SourceError(msg("columns not found: {columns}", columns=", ".join(dict.fromkeys(missing))),
                              source=self.name, table=entity.table)
        repair = self._repairs.setdefault(entity.label, TextRepair(entity.text))
        return KeysetPager(table, entity, joined, repair, raw=self.raw, unique=self._is_unique(entity))

    def _is_unique(self, entity: EntitySpec) -> bool:
        """Whether the source guarantees the entity's key names one row (a primary key or a unique index on it)."""
        wanted = (entity.table, tuple(entity.key))
        if wanted not in self._unique:
            table = self.table(entity.table)
            names = {c.name.lower() for c in (resolve_column(table, {}, k) for k in entity.key) if c is not None}
            self._unique[wanted] = any({c.lower() for c in key} <= names
                                       for key in self.candidate_keys(entity.table))
        return self._unique[wanted]

    def _report(self, pager: KeysetPager) -> None:
        label = pager.entity.label
        if pager.duplicates:
            log.info(msg("{source}/{part}: joins matched {n} extra row(s); records whose join must match one row are "
                         "quarantined, the others keep the latest row", source=self.name, part=label,
                         n=pager.duplicates))
        if pager.repair.converted:
            log.info(msg("{source}/{part}: {repair}", source=self.name, part=label, repair=pager.repair.summary()))

    def _fetcher(self, table: str):
        def fetch(stmt):
            with self._errors(table), self._db.connect() as conn:
                return conn.execute(stmt).all()
        return fetch

    @contextmanager
    def _errors(self, table: str):
        try:
            yield
        except SourceError:
            raise
        except NoSuchTableError as exc:
            raise SourceError(msg("table {table} not found", table=str(exc)), source=self.name, table=table) from exc
        except DBAPIError as exc:
            kind = RetryableError if (exc.connection_invalidated or self._is_transient(exc)) else SourceError
            raise kind(_first_line(exc.orig), source=self.name, table=table) from exc
        except SQLAlchemyError as exc:
            raise SourceError(_first_line(exc), source=self.name, table=table) from exc


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def driver_url(url: str, *, driver: str, aliases: tuple[str, ...], what: str) -> URL:
    """The source URL pinned to the one driver hopnhat reads an engine with.

    ``aliases`` (e.g. ``postgresql``) are rewritten to ``driver``; any other driver is refused.
    """
    parsed = make_url(url)
    if parsed.drivername in aliases:
        parsed = parsed.set(drivername=driver)
    if parsed.drivername != driver:
        raise ConfigError(msg("{engine} sources are read through {module}: use {driver}://, not {given}://",
                              engine=what, module=driver.split('+')[1], driver=driver, given=parsed.drivername))
    return parsed


def split_schema(parsed: URL) -> tuple[URL, str | None]:
    """``?schema=legacy`` is hopnhat's, not the driver's: take it off the URL."""
    schema = parsed.query.get("schema")
    return parsed.difference_update_query(["schema"]), schema if isinstance(schema, str) else None
