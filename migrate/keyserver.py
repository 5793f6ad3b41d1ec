"""The key comparison inside the store's PostgreSQL: the source's keys copied into a temporary table.

The store side never leaves the server: the source's keys are streamed in with
one COPY (text form, a line a key; an SQLite source with one integer key writes
the lines itself, see :meth:`ServerKeys.write_lines`), and each question is one
statement against the lineage, the deletion marks and the review queue where
they are. One full join of the source's keys with the table's lineage keys (one
pass over each, hashed in memory: ``work_mem`` is raised for that statement
alone) keeps what differs in a second temporary table, a handful of rows after a
delta: the keys the store lacks and the keys it holds that the source no longer
has, marked and unmarked by ``INSERT ... SELECT`` and ``DELETE`` against an
indexed table of them. What comes back to the client is what changed, not the
table. The temporary tables live in the run's snapshot transaction and are
dropped when the comparison ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from psycopg import Copy
from sqlalchemy import (BigInteger, Column, ColumnElement, Connection, Exists, Identity, Insert, MetaData,
                        NestedTransaction, SmallInteger, Table, Text, exists, false, func, insert, literal_column, or_,
                        select, text, true, union_all)
from sqlalchemy.exc import DBAPIError

from migrate import deletions, quarantine
from migrate.core.records import Key, encode_key, jsonable
from migrate.keyrows import PLAIN, SET_APART, stored
from migrate.store.limits import column_limit
from migrate.store.models import lineage

_META = MetaData()


# every source key, in the source's order (pos: written with the key, or numbered by the server in the
# order the lines came, for keys written as the source's own text, see ServerKeys.write_lines)
SOURCE_KEYS = Table("hopnhat_source_keys", _META, Column("pos", BigInteger, Identity()), Column("k", Text),
                    Column("v", Text), Column("fresh", SmallInteger), prefixes=["TEMPORARY"])
# what the full join found: a source key the store does not hold (pos, k, v, fresh), or a lineage key the
# source no longer has (pos NULL, its key in ``held``)
DIFF = Table("hopnhat_key_diff", _META, Column("pos", BigInteger), Column("k", Text), Column("v", Text),
             Column("fresh", SmallInteger), Column("held", Text), prefixes=["TEMPORARY"])
RETRY = Table("hopnhat_retry_keys", _META, Column("k", Text), prefixes=["TEMPORARY"])
# indexed: the marks are matched against it one by one whatever the planner guesses of their number
GONE = Table("hopnhat_gone_keys", _META, Column("k", Text, primary_key=True), prefixes=["TEMPORARY"])
_TABLES = (SOURCE_KEYS, DIFF, RETRY, GONE)
JOIN_MEMORY = "64MB"  # work_mem of the full join: a million keys a side hashed without spilling to disk
_FRESH: dict[object, str] = {1: "1", 0: "0", None: "\\N"}  # watermark passed (or True), did not, not asked
_LINEAGE_KEY = column_limit(lineage.c.source_key)
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})  # COPY's text form


class ServerKeys:
    """The source's keys in temporary tables of the store's PostgreSQL, compared where the store's are."""

    def __init__(self, conn: Connection, source: str, table: str) -> None:
        self._conn, self._source, self._table = conn, source, table
        self._retry = 0
        self._savepoint: NestedTransaction | None = None

    def __enter__(self) -> ServerKeys:
        """Create the temporary tables, inside a savepoint: a comparison that fails (a source that
        stops answering mid-COPY) leaves the run's snapshot transaction as it found it."""
        self._savepoint = self._conn.begin_nested()
        for table in _TABLES:
            table.create(self._conn)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._savepoint is not None  # entered
        if kind is not None:  # the tables go with the savepoint, and whatever the comparison marked
            self._savepoint.rollback()
            return
        for table in _TABLES:
            table.drop(self._conn)
        self._savepoint.commit()

    def write(self, pages: Iterator[Sequence[Sequence[object]]], width: int) -> int:
        """COPY the source's keys in their order; how many were written (a key several rows share is
        set apart: left out, its position kept)."""
        pos = written = 0
        with self._copy("COPY hopnhat_source_keys (pos, k, v, fresh) FROM STDIN") as copy:
            for page in pages:
                lines = _lines(page, pos, width)
                pos += len(page)
                written += len(lines)
                copy.write("".join(lines))
        return self._written(written)

    def write_lines(self, pages: Iterator[str | Sequence[Sequence[object]]]) -> int:
        """COPY the keys of a unique one-column key as the source wrote them (``key<TAB>\\N<TAB>fresh``
        lines, :meth:`adapters.sqlsource.SqlSource.key_lines`), the server numbering them in their order;
        a page given as rows is written as :meth:`write` writes one. How many were written."""
        written = 0
        with self._copy("COPY hopnhat_source_keys (k, v, fresh) FROM STDIN") as copy:
            for page in pages:
                if isinstance(page, str):
                    written += page.count("\n")
                    copy.write(page)
                else:
                    lines = [line.split("\t", 1)[1] for line in _lines(page, 0, 1)]
                    written += len(lines)
                    copy.write("".join(lines))
        return self._written(written)

    @contextmanager
    def _copy(self, statement: str) -> Iterator[Copy]:
        driver = self._conn.connection.driver_connection
        if driver is None:
            raise DBAPIError("COPY of the source keys", None, Exception("the store connection is closed"),
                             connection_invalidated=True)
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            yield copy

    def _written(self, written: int) -> int:
        self._conn.execute(text("ANALYZE hopnhat_source_keys"))  # a fixed name: its size for the plans below
        self._retry = _inserted(self._conn, insert(RETRY).from_select(
            ["k"], quarantine.decided_keys_query(self._source, self._table)))
        return written

    def _held(self, key: ColumnElement[str]) -> Exists:
        return exists().where(lineage.c.source_system == self._source, lineage.c.source_table == self._table,
                              lineage.c.source_key == key)

    def added(self) -> int:
        """Source keys the store does not hold; the full join behind it also keeps, for
        :meth:`deletions`, the store keys the source no longer has."""
        s, d = SOURCE_KEYS.c, DIFF.c
        held = (select(lineage.c.source_key.label("k"))
                .where(lineage.c.source_system == self._source, lineage.c.source_table == self._table)
                .subquery("held"))
        both = SOURCE_KEYS.join(held, held.c.k == s.k, full=True)
        old = self._conn.execute(text("SELECT current_setting('work_mem')")).scalar_one()
        self._conn.execute(text("SELECT set_config('work_mem', :size, true)"), {"size": JOIN_MEMORY})
        try:
            _inserted(self._conn, insert(DIFF).from_select(
                ["pos", "k", "v", "fresh", "held"],
                select(s.pos, s.k, s.v, s.fresh, held.c.k).select_from(both)
                .where(or_(s.pos.is_(None), held.c.k.is_(None)))))
        finally:
            self._conn.execute(text("SELECT set_config('work_mem', :size, true)"), {"size": old})
        self._conn.execute(text("ANALYZE hopnhat_key_diff"))  # a fixed name: its size for the plans below
        return self._conn.execute(select(func.count()).select_from(DIFF).where(d.pos.is_not(None))).scalar_one()

    def wanted(self) -> Iterator[tuple[int, Key, object, bool]]:
        """(pos, key, fresh, held) of the source keys the store lacks or holds with a decision to apply,
        in the source's order."""
        a, s = DIFF.c, SOURCE_KEYS.c
        parts = [select(a.pos, a.k, a.v, a.fresh, false().label("held")).where(a.pos.is_not(None))]
        if self._retry:
            parts.append(select(s.pos, s.k, s.v, s.fresh, true().label("held"))
                         .where(exists().where(RETRY.c.k == s.k), self._held(s.k)))
        rows = self._conn.execute(union_all(*parts).order_by(literal_column("pos")))
        for pos, k, v, fresh, held in rows:
            yield pos, ((int(k),) if v is None else tuple(json.loads(v))), fresh, bool(held)

    def read_keys(self) -> Iterator[Key]:
        """The keys of the records a delta reads, in the source's order: whose watermark passed, that the
        store lacks (the full join kept them), or with a decision to apply."""
        a, s = DIFF.c, SOURCE_KEYS.c
        parts = [select(s.pos, s.k, s.v).where(s.fresh == 1),
                 select(a.pos, a.k, a.v).where(a.pos.is_not(None), a.fresh.is_distinct_from(1))]
        if self._retry:
            parts.append(select(s.pos, s.k, s.v).where(s.fresh.is_distinct_from(1), exists().where(RETRY.c.k == s.k),
                                                       self._held(s.k)))
        for _, k, v in self._conn.execute(union_all(*parts).order_by(literal_column("pos"))):
            yield (int(k),) if v is None else tuple(json.loads(v))

    def deletions(self, run_id: int, now) -> tuple[int, int, int]:
        """Mark the store keys the source no longer has, unmark those back: (gone, newly marked, back)."""
        key = DIFF.c.held
        apart = or_(key.startswith("~", autoescape=True), key.regexp_match(SET_APART.pattern))
        gone = _inserted(self._conn, insert(GONE).from_select(["k"], select(key).where(
            DIFF.c.pos.is_(None), or_(func.strpos(key, "~") == 0, ~apart))))
        marked = deletions.mark_found(self._conn, self._source, self._table, select(GONE.c.k), run_id, now)
        back = deletions.unmark_except(self._conn, self._source, self._table, select(GONE.c.k))
        return gone, marked, back


def _inserted(conn: Connection, stmt: Insert) -> int:
    """Run an ``INSERT ... SELECT``; how many rows it wrote."""
    return conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount


def _lines(page: Sequence[Sequence[object]], pos: int, width: int) -> list[str]:
    """COPY lines ``pos, k, v, fresh`` of a page of keys: ``k`` as the lineage writes the key
    (:func:`encode_key`), ``v`` NULL for one integer column (the key is ``int(k)``), else the key as
    :func:`migrate.keyrows.stored` keeps it, as a JSON list (ASCII: escapes for the rest)."""
    lines = []
    fresh = _FRESH
    if width == 1:
        for r in page:
            pos += 1
            if r[1] != 1:
                continue
            value = r[0]
            if type(value) is int:
                lines.append(f"{pos}\t{value}\t\\N\t{fresh[r[2]]}\n")
            else:
                kept = value if type(value) in PLAIN else stored((value,))
                lines.append(f"{pos}\t{_held_as(str(value))}\t{json.dumps([kept]).translate(_ESCAPE)}\t"
                             f"{fresh[r[2]]}\n")
        return lines
    for r in page:
        pos += 1
        if r[width] != 1:
            continue
        key = tuple(r[:width])
        lines.append(f"{pos}\t{_held_as(encode_key(key))}\t{json.dumps([jsonable(v) for v in key]).translate(_ESCAPE)}"
                     f"\t{fresh[r[width + 1]]}\n")
    return lines


def _held_as(key: str) -> str:
    """A source key in COPY's text form; NULL for one the lineage cannot hold (a NUL character, bytes that
    are not UTF-8, too long): its record is set apart under a stand-in key, so no lineage key matches it."""
    return "\\N" if _LINEAGE_KEY.problem(key) is not None else key.translate(_ESCAPE)
