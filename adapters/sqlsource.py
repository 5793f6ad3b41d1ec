"""A legacy source reached through SQLAlchemy: the engine modules configure it.

Tables are reflected (names are never formatted into SQL), rows are read in
keyset pages, and driver exceptions become :class:`SourceError` naming the
source and the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, Table, inspect
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError

from adapters.base import EntitySpec, Key, RangeDigest, RawRecord, row_digest
from adapters.keyset import KeysetPager, pages
from migrate.errors import RetryableError, SourceError


class SqlSource:
    """Read-only access to one legacy database."""

    def __init__(self, name: str, engine: Engine, *, engine_name: str,
                 type_map: Mapping[str, str],
                 is_transient: Callable[[BaseException], bool] = lambda exc: False) -> None:
        self.name = name
        self.engine = engine_name
        self.type_map = type_map
        self._db = engine
        self._is_transient = is_transient
        self._tables: dict[str, Table] = {}
        self._metadata = MetaData()

    # --- schema -------------------------------------------------------------
    def table(self, name: str) -> Table:
        if name not in self._tables:
            with self._errors(name):
                self._tables[name] = Table(name, self._metadata, autoload_with=self._db)
        return self._tables[name]

    def table_names(self) -> list[str]:
        with self._errors(""):
            return sorted(inspect(self._db).get_table_names())

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> canonical type name (via TYPE_MAP; unknown types are 'text')."""
        out = {}
        for col in self.table(table).columns:
            raw = type(col.type).__name__.lower()
            out[col.name] = self.type_map.get(raw, "text")
        return out

    # --- protocol -----------------------------------------------------------
    def count(self, entity: EntitySpec) -> int:
        pager = self._pager(entity)
        with self._errors(entity.table), self._db.connect() as conn:
            return int(conn.execute(pager.count()).scalar_one())

    def read(self, entity: EntitySpec, *, after: Key | None, batch_size: int) -> Iterator[list[RawRecord]]:
        pager = self._pager(entity)
        yield from pages(self._fetcher(entity.table), pager, after=after, limit=batch_size)

    def read_range(self, entity: EntitySpec, lo: Key, hi: Key, *, batch_size: int) -> Iterator[list[RawRecord]]:
        pager = self._pager(entity)
        yield from pages(self._fetcher(entity.table), pager, after=None, limit=batch_size, lo=lo, hi=hi)

    def digest(self, entity: EntitySpec, lo: Key, hi: Key) -> RangeDigest:
        """Count and XOR of per-row digests: independent of row order and engine."""
        acc = 0
        count = 0
        for page in self.read_range(entity, lo, hi, batch_size=5000):
            for record in page:
                acc ^= int(row_digest(record.payload), 16)
                count += 1
        return RangeDigest(lo, hi, count, hashlib.sha256(acc.to_bytes(32, "big")).hexdigest())

    def close(self) -> None:
        self._db.dispose()

    # --- helpers --------------------------------------------------------------
    def _pager(self, entity: EntitySpec) -> KeysetPager:
        table = self.table(entity.table)
        missing = [c for c in entity.legacy_columns() if c not in table.c]
        if missing:
            raise SourceError(f"columns not found: {', '.join(missing)}", source=self.name, table=entity.table)
        return KeysetPager(table, entity)

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
            raise SourceError(f"table {exc} not found", source=self.name, table=table) from exc
        except DBAPIError as exc:
            kind = RetryableError if (exc.connection_invalidated or self._is_transient(exc)) else SourceError
            raise kind(str(exc.orig).strip().splitlines()[0], source=self.name, table=table) from exc
        except SQLAlchemyError as exc:
            raise SourceError(str(exc).splitlines()[0], source=self.name, table=table) from exc
