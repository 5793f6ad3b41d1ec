"""The store rows' content hashes computed by the store's PostgreSQL, for what they confirm.

Reconciliation rebuilds every store row as its canonical record and hashes it
(:mod:`reconciliation.rebuild`, SHA-256 over the record's canonical JSON,
:func:`migrate.core.canonical.content_hash`). On a PostgreSQL store the server
writes the same JSON text from the row's columns (one ``row_to_json`` of
the record's fields in sorted order) and takes its SHA-256 (``sha256``, PostgreSQL 11 and later) while it
reads the rows: the client receives keys and hashes instead of whole rows, and
rebuilds nothing.

The server's text is an exact, lossless writing of the stored values: text as
``row_to_json`` escapes it (the escapes Python's JSON encoder uses), timestamps and
dates in ISO form (a fraction only when there is one), whole numbers as they
print, NULL as ``null``. It is not the contract, only a shortcut to it: a row
is taken as confirmed only when the server's hash equals both hashes taken at
extraction (the row's and the lineage's), which the record's own canonical form
is the only way to reach. Every other row (changed, or written in a way the
server's text does not reproduce: text that is not NFC, a value out of range)
is rebuilt and hashed in Python as before, so every verdict and every problem
reported is the one the Python rebuild gives.
"""

from __future__ import annotations

from itertools import chain
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import BigInteger, Connection, Row, Date, DateTime, Integer, SmallInteger, String, Text, case, cast, func, \
    literal, null, select, true

from migrate.core.canonical import FIELDS
from migrate.core.entities import ALIAS, PARENT, REGISTRY, store_column
from migrate.core.records import MAIN_ACCOUNT, WALK_IN
from migrate.store.models import lineage
from reconciliation.rebuild import StoreRecord, lineage_join, parts_of, store_records

_STRING = (String, Text)
_WHOLE = (Integer, BigInteger, SmallInteger)
_CLOCK = 'YYYY-MM-DD"T"HH24:MI:SS'


def available(conn: Connection) -> bool:
    """Whether the store's server can hash rows: PostgreSQL 11 or later (``sha256``)."""
    return conn.dialect.name == "postgresql" and (conn.dialect.server_version_info or (0,)) >= (11,)


@contextmanager
def same_snapshot(conn: Connection) -> Iterator[Connection | None]:
    """A second connection to the store seeing exactly what ``conn`` sees, for the store's side of the
    comparison to run beside the source's: ``conn``'s snapshot exported and taken up (PostgreSQL, ``conn`` in a
    repeatable-read transaction, as reconciliation reads). None where there is none: the work runs on ``conn``."""
    if not available(conn) or conn.get_isolation_level() not in ("REPEATABLE READ", "SERIALIZABLE"):
        yield None
        return
    from psycopg import sql

    snapshot = conn.execute(select(func.pg_export_snapshot())).scalar_one()
    other = conn.engine.connect()
    try:
        driver = other.connection.driver_connection
        assert driver is not None  # a connection just opened has its driver's
        # the first statement of its transaction; the snapshot's name quoted by the driver
        other.exec_driver_sql(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)).as_string(driver))
        yield other
    finally:
        other.close()


def hashed_records(conn: Connection, source: str, table: str, entity: str, *,
                   parent_table: str | Mapping[str, str] | None, yield_per: int = 5000) -> Iterator[StoreRecord]:
    """What :func:`reconciliation.rebuild.store_records` gives, the rows the server's hash confirms without their
    rebuilt record (``record`` None), every other row rebuilt in Python; the same rows (neither reads in an order)."""
    rows = server_hashes(conn, source, table, entity, parent_table=parent_table, yield_per=yield_per)
    if rows is None:  # a column type the server's text does not write: the Python rebuild for every row
        yield from store_records(conn, source, table, entity, parent_table=parent_table, yield_per=yield_per)
        return
    for key, outcome, lineage_hash, row_id, row_hash, alias_hash, server_hash in rows:
        if row_id is None:
            yield StoreRecord(key, outcome, lineage_hash, None, None, alias_hash, None, None)
        elif server_hash is not None and server_hash == row_hash == lineage_hash:
            yield StoreRecord(key, outcome, lineage_hash, row_id, row_hash, alias_hash, None, server_hash)
        else:
            yield from store_records(conn, source, table, entity, parent_table=parent_table, keys=[key])


def server_hashes(conn: Connection, source: str, table: str, entity: str, *,
                  parent_table: str | Mapping[str, str] | None, yield_per: int = 5000) -> Iterator[Row] | None:
    """Per lineage row of the table: (source_key, outcome, lineage_hash, row_id, row_hash, alias_hash, the
    server's hash of the entity row); None when a field's type is not written here."""
    hashed = hashed_join(source, entity, parent_table)
    if hashed is None:
        return None
    joined, by_label, digest = hashed
    alias = by_label.get("alias_hash")
    stmt = (select(lineage.c.source_key, lineage.c.outcome, by_label["lineage_hash"], by_label["row_id"],
                   by_label["row_hash"], alias if alias is not None else null(),
                   case((by_label["row_id"].is_(None), None), else_=digest).label("server_hash"))
            .select_from(joined)
            .where(lineage.c.source_system == source, lineage.c.source_table == table)
            .execution_options(yield_per=yield_per))
    return chain.from_iterable(conn.execute(stmt).partitions())  # a page of rows at a time: less per row


def hashed_join(source: str, entity: str, parent_table: str | Mapping[str, str] | None
                ) -> tuple[Any, dict[str, Any], Any] | None:
    """The lineage joined to the entity rows (:func:`reconciliation.rebuild.lineage_join`) and to each row's
    canonical fields, the join's columns by label, and the SQL expression of the row's content hash; None when
    a field's type is not written here."""
    parts = parts_of(parent_table)
    joined, columns = lineage_join(source, entity, parts)
    by_label = {c.name: c for c in columns}
    canonical = _canonical_hash(entity, by_label, parts)
    if canonical is None:
        return None
    fields, digest = canonical
    return joined.join(fields, true()), by_label, digest


def _canonical_hash(entity: str, by_label: Mapping[str, Any], parts: Mapping[str, str]):
    """The lateral row of the record's fields and the SQL expression of its content hash (hex) over it, or None
    when a field's type is not written here.

    The record's JSON is one ``row_to_json`` of a row whose columns are its fields in sorted order, named as
    the fields (a lateral subquery of the row's own values): the server writes it in one pass, compact as the
    canonical JSON is, instead of one ``to_json`` a field and a concatenation of them all.
    """
    values: list[Any] = []
    for name in sorted(FIELDS[entity]):
        column = store_column(entity, name)
        if column == PARENT:
            value = _parent(entity, by_label, parts)
        else:
            value = _json(by_label[f"a_{name}" if column == ALIAS else f"r_{column}"])
            if value is None:
                return None
        values.append(value.label(name))
    if not values:
        return None
    fields = select(*values).correlate_except().lateral("canonical_fields")  # every column from the outer row
    text = cast(func.row_to_json(fields.table_valued()), Text)
    return fields, func.encode(func.sha256(func.convert_to(text, "UTF8")), "hex")


def _json(expr):
    """The column as ``row_to_json`` writes it the canonical way: text escaped as Python's JSON encoder does,
    whole numbers as they print, dates in ISO form, NULL as ``null``; a timestamp in ISO form with its
    fraction's six digits when it has one (``row_to_json`` would drop its trailing zeros). None for a type not
    written here. A value whose writing differs (an infinite timestamp) gives a hash the row's does not
    equal: that row is rebuilt in Python."""
    kind = expr.type
    if isinstance(kind, (*_STRING, *_WHOLE, Date)):
        return expr
    if isinstance(kind, DateTime) and not kind.timezone:
        return case((func.date_trunc("second", expr) != expr, func.to_json(func.to_char(expr, _CLOCK + ".US"))),
                    else_=func.to_json(expr))
    return None


def _parent(entity: str, by_label: Mapping[str, Any], parts: Mapping[str, str]):
    """The parent field as :func:`reconciliation.rebuild._parent_value` gives it: the parent row's source key
    (``part:key`` into an account part other than the main one), none for a walk-in's document."""
    link = REGISTRY[entity].parent
    assert link is not None  # a parent field belongs to an entity with a parent link
    key = by_label["parent_key"]
    if REGISTRY[link.entity].merges:
        named = [(by_label["parent_table"] == t, literal(f"{label}:").op("||")(key))
                 for t, label in sorted(parts.items()) if label != MAIN_ACCOUNT]
        key = case(*named, else_=key) if named else key
    return case((by_label["rule"] == WALK_IN, None), else_=key)

