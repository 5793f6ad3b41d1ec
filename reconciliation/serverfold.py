"""The store's side of the content check counted and folded into segments by the store's PostgreSQL.

:mod:`reconciliation.serverhash` has the server hash every row; the client
still received every key and hash, built a record of each and folded it into
its segment (:mod:`reconciliation.digests`). Here the server does that too, in
the same statement: per row the server's hash, whether it confirms the row,
the record's term ``sha256(key, 0, hash)``, its segment and the segment's count
and XOR (``bit_xor`` over ``bit(256)``, PostgreSQL 14 and later). What comes
back is one row per segment, one for the records deleted in the source (counted,
not compared with it), and the key of every record the server does not confirm.

A record is confirmed when the Python checks of the row would find nothing
(:func:`reconciliation.content._check_inside`): its entity row's hash, written
by the server, equals both hashes taken at extraction, or it has no row and was
not loaded; an account's alias row holds the lineage's hash. Its comparison
value is then the lineage's hash (:attr:`StoreRecord.digest_value`). Every other
record is rebuilt in Python as before (:func:`reconciliation.rebuild.store_records`),
a thousand keys a statement, and handed to the caller: every verdict and every
problem reported is the one the Python rebuild gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import ColumnElement, Connection, Integer, LargeBinary, and_, case, cast, false, func, literal, not_, null, or_, select
from sqlalchemy.dialects.postgresql import BIT

from migrate.core.entities import REGISTRY
from migrate.store.models import lineage, source_deletion
from reconciliation.digests import Segments
from reconciliation.rebuild import StoreRecord, store_records
from reconciliation.serverhash import hashed_join

CHUNK = 1000  # keys of records the server does not confirm, rebuilt in Python per statement
_GONE, _OPEN = -1, -2  # group numbers: deleted in the source (counted only); not confirmed (one row per key)


def available(conn: Connection) -> bool:
    """Whether the store's server can fold: PostgreSQL 14 or later (``bit_xor``, ``sha256``)."""
    return conn.dialect.name == "postgresql" and (conn.dialect.server_version_info or (0,)) >= (14,)


def fold(conn: Connection, source: str, table: str, entity: str, *, parent_table: str | Mapping[str, str] | None,
         into: Segments | None, each: Callable[[StoreRecord], None], yield_per: int = 5000) -> tuple[int, int] | None:
    """Fold one source table's confirmed records into ``into`` (None: count them only) and hand every other
    record, rebuilt, to ``each``; the confirmed records' (lineage rows, entity rows). None, having done
    nothing, when a field's type is not written by the server."""
    hashed_rows = hashed_join(source, entity, parent_table)
    if hashed_rows is None:
        return None
    joined, by_label, digest = hashed_rows
    row_id, row_hash, hashed = by_label["row_id"], by_label["row_hash"], by_label["lineage_hash"]
    outcome = lineage.c.outcome
    confirmed: ColumnElement[bool] = case((row_id.is_(None), outcome != "loaded"),
                                          else_=and_(digest == row_hash, row_hash == hashed))
    if REGISTRY[entity].merges:
        confirmed = and_(confirmed, or_(outcome.not_in(["loaded", "merged"]), by_label["alias_hash"] == hashed))
    marks = and_(source_deletion.c.source_system == lineage.c.source_system,
                 source_deletion.c.source_table == lineage.c.source_table,
                 source_deletion.c.source_key == lineage.c.source_key)
    checked = (select(lineage.c.source_key, hashed.label("hashed"), row_id.label("row_id"),
                      func.coalesce(confirmed, false()).label("ok"), source_deletion.c.source_key.is_not(None).label("gone"))
               .select_from(joined.outerjoin(source_deletion, marks))
               .where(lineage.c.source_system == source, lineage.c.source_table == table)
               .offset(0)  # a fence: each row's hash computed once, not once for each use of ``ok``
               .subquery("checked"))
    c = checked.c
    term = (case((and_(c.ok, not_(c.gone)), func.sha256(func.convert_to(c.source_key, "UTF8").op("||")(
        func.decode("00", "hex")).op("||")(func.convert_to(c.hashed, "UTF8")))))
        if into is not None else cast(null(), LargeBinary))  # counted only: no term
    rows = select(c.source_key, c.row_id, c.ok, c.gone, term.label("term")).offset(0).subquery("rows")  # the same
    width = into.width if into is not None else 1
    head = (func.get_byte(rows.c.term, 0) * 65536 + func.get_byte(rows.c.term, 1) * 256
            + func.get_byte(rows.c.term, 2)).op(">>")(24 - 4 * width)  # the term's first ``width`` hex digits
    group = case((not_(rows.c.ok), _OPEN), (rows.c.gone, _GONE),
                 else_=head if into is not None else literal(0, Integer)).label("grp")
    key = case((not_(rows.c.ok), rows.c.source_key)).label("open_key")
    bits = cast(literal("x").op("||")(func.encode(rows.c.term, "hex")), BIT(256))
    stmt = (select(group, key, func.count(), func.count(rows.c.row_id), func.bit_xor(bits))
            .group_by(group, key).execution_options(yield_per=yield_per))
    records = entity_rows = 0
    counts: dict[int, int] = {}
    xors: dict[int, int] = {}
    waiting: list[str] = []

    def rebuild() -> None:
        for rec in store_records(conn, source, table, entity, parent_table=parent_table, keys=waiting):
            each(rec)
        waiting.clear()

    # no JIT compilation: the planner, misled by the joins' estimates, compiled this statement for up to 0.8 s
    # on tables of no rows, and the compiled expressions were no faster on 440,000 rows (for this transaction)
    conn.exec_driver_sql("SET LOCAL jit = off")
    for seg, open_key, n, with_row, xor in conn.execute(stmt):
        if seg == _OPEN:
            waiting.append(open_key)
            if len(waiting) >= CHUNK:
                rebuild()
            continue
        records += n
        entity_rows += with_row
        if seg != _GONE and into is not None:
            counts[seg], xors[seg] = n, int(xor, 2)
    if waiting:
        rebuild()
    if into is not None:
        into.absorb(counts, xors)
    return records, entity_rows
