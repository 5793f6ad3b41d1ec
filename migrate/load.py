"""Write one prepared batch into the store: entity rows, lineage with remap decisions, quarantine.

Everything here runs inside the batch's transaction. Rows are upserted on
their lineage key and left untouched when their content hash is unchanged,
so loading a batch twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, String, select, text, update
from sqlalchemy.exc import DBAPIError

from mappings.agencies import RemapTable
from migrate.core.records import WALK_IN, split_link
from migrate import attachments, catalog
from migrate.continuity import index
from migrate.walkin import accounts_by_number, compact
from migrate.core.canonical import Rejection
from migrate.dedupe import Match, match_accounts
from migrate.isolate import CLIENT_REFUSALS, is_refusal, store_message, write_isolating
from migrate.ledger import Counts
from migrate.prepare import IMPLAUSIBLE, Prepared
from migrate.core.entities import REGISTRY, Entity, ParentLink
from migrate.core.messages import N_, msg
from migrate.store.models import (
    account_alias,
    lineage,
    old_identifier,
    quarantine,
    review_item,
)
from migrate.store.copy import copy_tuples, reserve_ids
from migrate.store.inlist import one_of
from migrate.store.limits import storable_payload, storable_reason
from migrate.store.upsert import ids_by_key, upsert

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchContext:
    batch_id: int
    source_system: str
    parent_tables: Mapping[str, str]  # entity -> legacy table, for parent lookups
    files_root: Path | None
    files_dir: Path
    now: dt.datetime
    optional_file: bool = False  # the part's attachment is optional: a record naming no file loads without one
    remaps: RemapTable | None = None  # agency/procedure remaps for the catalogue
    raw_columns: Mapping[str, str] = field(default_factory=dict)  # canonical field -> legacy column of the part


@dataclass(slots=True)  # one for every record of a batch: slots make it in two thirds of the time
class _Outcome:
    prepared: Prepared
    outcome: str  # loaded, merged, quarantined, excluded
    row: dict | None = None
    target_id: int | None = None
    batch_target: str | None = None  # merged into a record of this batch
    rule: str | None = None
    rejection: Rejection | None = None
    match: Match | None = None
    place: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)
    lineage_id: int | None = None  # its lineage row, reserved by a first load's copy


def load_batch(conn: Connection, ctx: BatchContext, entity: str, table: str,
               prepared: Sequence[Prepared], identifiers: Counter[str] | None = None) -> Counts:
    """Write one batch; the agency/procedure catalogue and the old-identifier index follow its rows.

    On PostgreSQL a batch none of whose records is in the store yet (its first
    load) is copied straight into the final tables (:func:`_copy_first`); a
    batch holding a record already in the store, or a row the store refuses,
    takes the upsert path, which leaves unchanged rows alone and quarantines a
    refused row alone. ``identifiers`` counts the index rows written (inserted,
    updated, deleted).
    """
    outcomes = [_first_pass(p) for p in prepared]
    live = [o for o in outcomes if o.outcome == "loaded"]
    _rows(conn, ctx, REGISTRY[entity], table, live)
    first = _first_load(conn, ctx, entity, table, outcomes)
    fresh = first == "copied"
    if not fresh:
        fresh = first == "refused" and _fresh(conn, ctx, table, [o.prepared.source_key for o in outcomes])
        _upsert_batch(conn, ctx, entity, table, outcomes, fresh)
    catalog.note_batch(conn, ctx.source_system, entity,
                       [o.row for o in outcomes if o.outcome == "loaded" and o.row is not None], ctx.remaps)
    held = [index.Held(o.prepared.source_key, o.outcome, o.target_id, o.row,
                       o.prepared.record.get(named) if (named := _ALIAS_NAMES.get(entity)) else None,
                       o.prepared.raw.payload if o.outcome == "quarantined" else None, o.lineage_id)
            for o in outcomes]
    changed = index.note_batch(conn, ctx.source_system, table, entity, held, ctx.raw_columns, fresh=fresh)
    if identifiers is not None:
        identifiers.update(changed)
    return Counts(
        extracted=len(outcomes),
        loaded=sum(o.outcome == "loaded" for o in outcomes),
        merged=sum(o.outcome == "merged" for o in outcomes),
        quarantined=sum(o.outcome == "quarantined" for o in outcomes),
        excluded=sum(o.outcome == "excluded" for o in outcomes),
    )


def _upsert_batch(conn: Connection, ctx: BatchContext, entity: str, table: str, outcomes: Sequence[_Outcome],
                  fresh: bool) -> None:
    """The upsert path: entity rows (a refused one isolated and quarantined), then lineage and side tables."""
    target = REGISTRY[entity].store_table
    _write_entities(conn, ctx, target, table, [o for o in outcomes if o.outcome == "loaded"], outcomes, fresh)
    ids = ids_by_key(conn, target, ctx.source_system, table, [o.prepared.source_key for o in outcomes])
    for o in outcomes:
        if o.outcome == "loaded":
            o.target_id = ids[o.prepared.source_key]
        elif o.outcome == "merged" and o.batch_target is not None:
            o.target_id = ids[o.batch_target]
    if REGISTRY[entity].merges:  # every source account keeps its alias row, merged or not
        _aliases(conn, ctx, table, outcomes, fresh)
    _bookkeeping(conn, ctx, entity, table, outcomes, fresh)


FirstLoad = Literal["copied", "exists", "refused", "upsert"]


def _first_load(conn: Connection, ctx: BatchContext, entity: str, table: str,
                outcomes: Sequence[_Outcome]) -> FirstLoad:
    """Copy the batch straight into the final tables, inside one savepoint, when it is its first load.

    ``"copied"``: done. ``"exists"``: a record of the batch is in the store (the
    lineage's unique key said so on its first row); ``"refused"``: the store
    refused a value. Either way nothing of the copy stays, and the batch takes
    the upsert path. ``"upsert"``: not PostgreSQL, the upsert path from the start.
    """
    if conn.dialect.name != "postgresql":
        return "upsert"
    if outcomes and _in_store(conn, ctx, table, outcomes[0].prepared.source_key):
        return "exists"  # a delta's batch of records loaded before: no copy formatted for the store to stop
    import psycopg

    savepoint = conn.begin_nested()
    try:
        targets = _copy_first(conn, ctx, entity, table, outcomes)
    except (DBAPIError, *CLIENT_REFUSALS) as exc:
        savepoint.rollback()
        if not is_refusal(exc):
            raise
        if isinstance(exc, DBAPIError) and isinstance(exc.orig, psycopg.errors.UniqueViolation):
            return "exists"
        log.info(msg("batch {id}: the store refused its first copy ({error}); it takes the upsert path",
                     id=str(ctx.batch_id), error=store_message(exc)))
        return "refused"
    savepoint.commit()
    for o, (target_id, lineage_id) in zip(outcomes, targets):
        o.target_id, o.lineage_id = target_id, lineage_id
    return "copied"


def _in_store(conn: Connection, ctx: BatchContext, table: str, source_key: str) -> bool:
    """Whether the store holds a lineage row of this record (one probe of the lineage's unique key)."""
    return conn.execute(select(lineage.c.id).where(
        lineage.c.source_system == ctx.source_system, lineage.c.source_table == table,
        lineage.c.source_key == source_key)).first() is not None


def _copy_first(conn: Connection, ctx: BatchContext, entity: str, table: str,
                outcomes: Sequence[_Outcome]) -> list[tuple[int | None, int]]:
    """COPY the lineage rows with their remap decisions (first: a key already in the store stops the copy at
    once), the entity rows, both with ids reserved beforehand, the aliases, quarantine and review rows; each
    outcome's target id and lineage id."""
    definition = REGISTRY[entity]
    target = definition.store_table
    loaded = [o for o in outcomes if o.outcome == "loaded"]
    ids = dict(zip((o.prepared.source_key for o in loaded), reserve_ids(conn, target, len(loaded))))
    targets = [ids[o.prepared.source_key] if o.outcome == "loaded"
               else ids[o.batch_target] if o.outcome == "merged" and o.batch_target is not None
               else o.target_id for o in outcomes]
    lineage_ids = reserve_ids(conn, lineage, len(outcomes))  # the old-identifier index is keyed by them
    copy_tuples(conn, lineage, ("id", *LINEAGE_COLUMNS),
                ((i, *_lineage_row(ctx, table, entity, o, t)) for i, o, t in zip(lineage_ids, outcomes, targets)),
                binary=True)
    if loaded:
        names = tuple(loaded[0].row or ())
        values = itemgetter(*names) if len(names) > 1 else lambda row: tuple(row[n] for n in names)
        copy_tuples(conn, target, ("id", *_LINEAGE_VALUES, *names),
                    ((ids[o.prepared.source_key], ctx.source_system, table, o.prepared.source_key, ctx.batch_id,
                      o.prepared.content_hash, *values(o.row or {})) for o in loaded), binary=True)
    if definition.merges:
        copy_tuples(conn, account_alias, ALIAS_COLUMNS,
                    (_alias_row(ctx, table, o, t) for o, t in zip(outcomes, targets)
                     if o.outcome in ("loaded", "merged")), binary=True)
    rejected = [_rejected_row(ctx, table, entity, o) for o in outcomes
                if o.outcome == "quarantined" and o.rejection is not None]
    if rejected:
        copy_tuples(conn, quarantine, QUARANTINE_COLUMNS, rejected, binary=True)
    # no review item can be open for a record new to the store: they are written with its lineage row
    upsert(conn, review_item, [r for o in outcomes for r in _reviews(ctx, table, o)],
           keys=("kind", "source_system", "source_table", "source_key"), changed=("reason",),
           update=("reason", "candidates", "context"))
    return list(zip(targets, lineage_ids))


def _write_entities(conn: Connection, ctx: BatchContext, target, table: str, live: Sequence[_Outcome],
                    outcomes: Sequence[_Outcome], fresh: bool) -> None:
    """Upsert the entity rows; a row the store refuses quarantines its record with the store's message
    (and the records of this batch merged into it), the others load."""
    rows = [(o, dict(_lineage_values(ctx, table, o.prepared), **(o.row or {}))) for o in live]
    refused = write_isolating(conn, rows, lambda part: upsert(conn, target, [r for _, r in part], fresh=fresh))
    if not refused:
        return
    for refusal in refused:
        _quarantine(refusal.item[0], "record", REFUSED.format(message=refusal.message))
    gone = {r.item[0].prepared.source_key for r in refused}
    for o in outcomes:
        if o.outcome == "merged" and o.batch_target in gone:
            _quarantine(o, "record", MERGED_REFUSED.format(key=o.batch_target))


class Statistics:
    """Keeps PostgreSQL's planner statistics of the tables a load looks rows up in close to their size.

    A table created empty and filled by the run has no statistics until autovacuum
    gets to it; meanwhile the planner takes ``source_system = ... AND source_table = ...``
    for a handful of rows and checks ``source_key = ANY(keys)`` row by row over the
    whole table, which grows with every batch. Refreshing each table when the rows
    written to it since the last refresh reach its size then (at least ``first``
    rows) costs a few ANALYZEs per table over a whole run. A table that already has
    statistics (a store loaded before: a delta run) counts from the size they give
    it, so a few thousand rows changed in a large store refresh nothing; and so
    does a table another worker refreshed since, with the rows of both: workers
    do not refresh a table each at its own doublings.
    """

    def __init__(self, first: int = 2000) -> None:
        self.first = first
        self._written: dict[str, int] = {}
        self._analyzed: dict[str, int] = {}

    def loaded(self, entity: str, counts: Counts) -> list[str]:
        """Count a loaded batch; the tables whose statistics are now due."""
        due = []
        for table in _looked_up(entity):
            written = self._written.get(table, 0) + counts.extracted
            self._written[table] = written
            if written >= max(self.first, self._analyzed.get(table, 0)):
                due.append(table)
        return due

    def refresh(self, conn: Connection, tables: Sequence[str]) -> None:
        if conn.dialect.name != "postgresql":
            return  # SQLite plans IN lists through the unique index without statistics
        quote = conn.dialect.identifier_preparer.quote
        tables = [t for t in tables if not self._known_larger(conn, t)]
        for table in [*tables, *(c for t in tables for c in _COMPANIONS.get(t, ()))]:
            # store table and column names from the models, never input
            columns = _LOOKED_UP_BY.get(table, LOOKUP_COLUMNS)
            conn.execute(text(f"ANALYZE {quote(table)} ({', '.join(quote(c) for c in columns)})"))
            if table in tables:
                self._analyzed[table] = self._analyzed.get(table, 0) + self._written.pop(table, 0)

    def _known_larger(self, conn: Connection, table: str) -> bool:
        """Whether the table's statistics give it more rows than this process knows it holds (from before it
        wrote to it, or from another worker's refresh since its own); if so they count as its last refresh."""
        size = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                            {"name": table}).scalar()
        if size is None or size <= self._analyzed.get(table, 0) + self._written.get(table, 0):
            return False
        self._analyzed[table] = int(size)
        self._written.pop(table, None)
        return True


_FIELD_TYPE = quarantine.c.field.type
assert isinstance(_FIELD_TYPE, String)
FIELD_LENGTH = _FIELD_TYPE.length
LOOKUP_COLUMNS = ("source_system", "source_table", "source_key")  # what lookups by source key filter on
_LOOKED_UP_BY = {review_item.name: ("kind", *LOOKUP_COLUMNS), old_identifier.name: ("lineage_id",)}
# Tables that grow in step with another and are refreshed with it: each lineage row brings its
# record's old identifiers (a reloaded batch looks them up by lineage id).
_COMPANIONS = {lineage.name: (old_identifier.name,)}


def _looked_up(entity: str) -> tuple[str, ...]:
    """Store tables a batch of ``entity`` looks keys up in, and that it grows."""
    tables = (REGISTRY[entity].store_table_name, lineage.name, quarantine.name, review_item.name)
    return tables + (account_alias.name,) if REGISTRY[entity].merges else tables


# --- per entity: what the registry says of it -----------------------------------------------

# a placed record's store columns filled from its remap decision (those its table has), and the decision's
_NEW_PLACE = (("new_commune_code", "new_commune"), ("new_province_code", "new_province"))
# an entity whose records merge keeps each source record's name (its username) in the record's alias row
_ALIAS_NAMES = {e.name: f.name for e in REGISTRY.values() for f in e.side_fields(account_alias.name) if f.identifier}


def _first_pass(p: Prepared) -> _Outcome:
    place: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)
    if p.ref is not None:
        place = (p.ref.province_code, p.ref.district_code, p.ref.commune_code,
                 p.decision.new_commune if p.decision else None)
    if p.excluded is not None:
        return _Outcome(p, "excluded", rule=f"exclude:{p.excluded}", place=place)
    if p.rejection is not None:
        return _Outcome(p, "quarantined", rejection=p.rejection, place=place)
    return _Outcome(p, "loaded", place=place)


# why a record is quarantined while it is written (catalogue messages, said where shown)
REFUSED = N_("the store refused the record: {message}")
MERGED_REFUSED = N_("merged into account {key} of this batch, which the store refused (see its quarantine entry)")
NO_OWNER = N_("the {entity} names no {named} and no {number}; a {entity} must belong to an account or an id number "
              "(fix the source or the profile's owner columns, then rerun --quarantined)")
PARENT_MISSING = N_("{named} {key} is not in the store ({why})")
PARENT_QUARANTINED = N_("quarantined")
PARENT_GONE = N_("quarantined or missing in the source")
PARENT_NOT_EXTRACTED = N_("not extracted or missing in the source")
REASONS = (REFUSED, MERGED_REFUSED, NO_OWNER, PARENT_MISSING)
PROBLEMS = (PARENT_QUARANTINED, PARENT_GONE, PARENT_NOT_EXTRACTED)


def _quarantine(o: _Outcome, field: str, reason: str) -> None:
    o.outcome = "quarantined"
    o.rejection = Rejection(o.prepared.source_key, field, reason, o.prepared.raw.payload)


def _rows(conn: Connection, ctx: BatchContext, definition: Entity, table: str, live: list[_Outcome]) -> None:
    """The entity row of each live record, as the registry describes the entity: records that merge are
    matched first; a child is linked to its parent (and takes its place unless placed by its own fields);
    a placed record gets its new commune; an attachment is copied into the file area. A record that
    cannot be written so goes to quarantine with the field and the reason."""
    if definition.merges:
        _merge(conn, ctx, table, live)
    link = definition.parent
    parents = _parents(conn, ctx, link.entity, [o.prepared.record.get(link.field) for o in live]) if link else {}
    walk_in = {} if link is None or not link.by_number else accounts_by_number(
        conn, [o.prepared.record.get(link.by_number) for o in live if o.prepared.record.get(link.field) is None])
    placed = tuple((c, attr) for c, attr in _NEW_PLACE if definition.placed and c in definition.store_table.c)
    for o in live:
        r, more = o.prepared.record, {}
        if link is not None:
            parent = _parent(o, definition, link, parents, walk_in)
            if o.outcome == "quarantined":
                continue
            more[link.column] = parent["target_id"] if parent else None
            if parent and not definition.placed:
                o.place = parent["place"]
        if placed:
            d = o.prepared.decision
            for column, attr in placed:
                more[column] = getattr(d, attr) if d is not None else None
        if definition.files:
            stored = attachments.store_file(ctx.files_root, _text(r["path"]), ctx.files_dir, _text(r["sha256"]))
            optional = definition.file_optional or ctx.optional_file
            if not stored.ok and not (optional and stored.state == "no-path"):
                _quarantine(o, "path", stored.reason)
                continue
            more.update(sha256=stored.sha256, file_state=stored.state)
        o.row = definition.store_row(r, **more)


def _merge(conn: Connection, ctx: BatchContext, table: str, live: list[_Outcome]) -> None:
    """Records that merge (accounts): each one merged into a record of the store or of this batch, or a
    conflict to review, or a record of its own."""
    matches = match_accounts(conn, ctx.source_system, table, [o.prepared for o in live])
    for o in live:
        m = matches[o.prepared.source_key]
        if m.kind == "merged":
            o.outcome, o.target_id, o.batch_target = "merged", m.account_id, m.batch_key
            o.rule = f"merge:{m.rule}"
        elif m.kind == "conflict":
            o.rule = f"conflict:{m.rule}"
        o.match = m


def _parent(o: _Outcome, definition: Entity, link: ParentLink, parents: Mapping[Any, dict],
            walk_in: Mapping[str, list[int]]) -> dict | None:
    """The parent of a record (target id and place), None when it names none and needs none; a record whose
    parent is not in the store is quarantined."""
    r = o.prepared.record
    key = r.get(link.field)
    if key is None:
        number = r.get(link.by_number) if link.by_number else None
        if number:  # a walk-in applicant with no account: owned by the id number, linked when one account has it
            matches = walk_in.get(compact(number), [])
            o.rule = WALK_IN
            return {"target_id": matches[0] if len(matches) == 1 else None, "place": o.place}
        if not link.required:
            return None
        if link.by_number:
            _quarantine(o, link.field, NO_OWNER.format(entity=definition.name, named=link.named,
                                                       number=link.by_number.replace("_", " ")))
            return None
    parent = parents.get(key)
    if parent is None or parent["outcome"] != "loaded":
        why = (PARENT_QUARANTINED if parent else PARENT_GONE if REGISTRY[link.entity].merges
               else PARENT_NOT_EXTRACTED)
        _quarantine(o, link.field, PARENT_MISSING.format(named=link.named, key=key, why=why))
        return None
    return parent


# --- lookups ------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    """A record's text field as text (None stays None)."""
    return None if value is None else str(value)


def _parents(conn: Connection, ctx: BatchContext, entity: str, keys: Sequence[object]) -> dict[Any, dict]:
    """Parent records by link value, through the lineage (so merged accounts resolve too).

    An account link names its part (``"account.business:5"``, see ``migrate.core.records.split_link``):
    it is looked up in that part's table only, never by the bare number in another.
    """
    values = sorted({str(k) for k in keys if k is not None})
    by_table: dict[str, dict[str, str]] = {}  # table -> source key -> link value
    for value in values:
        if REGISTRY[entity].merges:  # accounts: a link may name the account part it points into
            part, key = split_link(value, ctx.parent_tables)
        else:
            part, key = entity, value
        table = ctx.parent_tables.get(part)
        if table is not None:
            by_table.setdefault(table, {})[key] = value
    out = {}
    for table, wanted in by_table.items():
        rows = conn.execute(
            select(lineage.c.source_key, lineage.c.target_id, lineage.c.outcome, lineage.c.old_province_code,
                   lineage.c.old_district_code, lineage.c.old_commune_code, lineage.c.new_commune_code)
            .where(lineage.c.source_system == ctx.source_system, lineage.c.source_table == table,
                   one_of(conn, lineage.c.source_key, sorted(wanted)))
        )
        for r in rows:
            outcome = "loaded" if r.outcome == "merged" else r.outcome  # a merged account lives on in another
            if outcome == "loaded" or not REGISTRY[entity].merges:  # a dossier's children say why it is not there
                out[wanted[r.source_key]] = {
                    "target_id": r.target_id, "outcome": outcome,
                    "place": (r.old_province_code, r.old_district_code, r.old_commune_code, r.new_commune_code),
                }
    return out


def _fresh(conn: Connection, ctx: BatchContext, table: str, keys: Sequence[str]) -> bool:
    """On PostgreSQL: True when no record of the batch has a lineage row yet (its first load).

    Every entity, alias and quarantine row is written with its lineage row (which
    holds the remap decision), so such a batch's rows can be copied straight into
    their tables.
    """
    if conn.dialect.name != "postgresql" or not keys:
        return False
    seen = conn.execute(
        select(lineage.c.id)
        .where(lineage.c.source_system == ctx.source_system, lineage.c.source_table == table,
               one_of(conn, lineage.c.source_key, keys))
        .limit(1)
    ).first()
    return seen is None


# --- bookkeeping ----------------------------------------------------------------------------


_LINEAGE_VALUES = ("source_system", "source_table", "source_key", "batch_id", "content_hash")
LINEAGE_COLUMNS = (*_LINEAGE_VALUES, "entity", "outcome", "target_id", "rule", "old_province_code",
                   "old_district_code", "old_commune_code", "new_commune_code",
                   "remap_rule", "remap_score", "remap_detail", "remap_address", "new_province_code")
_NO_DECISION = (None, None, None, None, None)
QUARANTINE_COLUMNS = ("batch_id", "source_system", "source_table", "source_key", "entity", "field", "reason",
                      "raw_payload", "created_at", "released_at")
ALIAS_COLUMNS = (*_LINEAGE_VALUES, "account_id", "username", "password_hash", "match_rule", "match_score")


def _lineage_values(ctx: BatchContext, table: str, p: Prepared) -> dict:
    return {"source_system": ctx.source_system, "source_table": table, "source_key": p.source_key,
            "batch_id": ctx.batch_id, "content_hash": p.content_hash}


def _lineage_row(ctx: BatchContext, table: str, entity: str, o: _Outcome, target_id: int | None) -> tuple:
    """The record's lineage row; with the remap decision of a record whose place was remapped (the new
    commune is the place's, ``o.place[3]``)."""
    p, d = o.prepared, o.prepared.decision
    decision = _NO_DECISION if d is None else (
        d.rule, d.score, _storable_detail(d.detail) if d.detail else d.detail, p.record.get("address"),
        d.new_province)
    return (ctx.source_system, table, p.source_key, ctx.batch_id, p.content_hash, entity, o.outcome, target_id,
            o.rule, *o.place, *decision)


# The records of one old commune share its decision's detail: made storable once, not once a record (a pure
# function of the text; address matches, each with a detail of its own, pass through the cache).
_storable_detail = lru_cache(maxsize=4096)(storable_reason)


def _rejected_row(ctx: BatchContext, table: str, entity: str, o: _Outcome) -> tuple:
    p, r = o.prepared, o.rejection
    assert r is not None
    return (ctx.batch_id, ctx.source_system, table, p.source_key, entity, r.field[:FIELD_LENGTH],
            storable_reason(r.reason), storable_payload(p.raw.payload), ctx.now, None)


def _alias_row(ctx: BatchContext, table: str, o: _Outcome, target_id: int | None) -> tuple:
    p, m = o.prepared, o.match
    merged = o.outcome == "merged"
    return (ctx.source_system, table, p.source_key, ctx.batch_id, p.content_hash, target_id,
            p.record.get("username"), p.record.get("password_hash"),
            m.rule if merged and m else "self", m.score if merged and m else None)


def _reviews(ctx: BatchContext, table: str, o: _Outcome) -> list[dict]:
    """The review items a record opens: an unresolved remap, an account conflict, an implausible date."""
    p, d, out = o.prepared, o.prepared.decision, []
    if d is not None and not d.resolved:
        out.append(_review("remap", ctx, table, p, d.detail or d.rule, list(d.candidates),
                           {"ref_key": p.ref.key if p.ref else None, "rule": d.rule}))
    if o.rule and o.rule.startswith("conflict:"):
        m = o.match
        out.append(_review("account-conflict", ctx, table, p, m.reason if m else o.rule, [], {}))
    if o.outcome == "quarantined" and o.rejection is not None and f"(rule {IMPLAUSIBLE})" in o.rejection.reason:
        out.append(_review(IMPLAUSIBLE, ctx, table, p, o.rejection.reason, [],
                           {"field": o.rejection.field, "rule": IMPLAUSIBLE}))
    return out


def _aliases(conn: Connection, ctx: BatchContext, table: str, outcomes: Sequence[_Outcome], fresh: bool) -> None:
    rows = [dict(zip(ALIAS_COLUMNS, _alias_row(ctx, table, o, o.target_id))) for o in outcomes
            if o.outcome in ("loaded", "merged")]
    upsert(conn, account_alias, rows, changed=("content_hash", "account_id"), fresh=fresh)


def _bookkeeping(conn: Connection, ctx: BatchContext, entity: str, table: str,
                 outcomes: Sequence[_Outcome], fresh: bool) -> None:
    lineage_rows = [dict(zip(LINEAGE_COLUMNS, _lineage_row(ctx, table, entity, o, o.target_id))) for o in outcomes]
    rejected = [dict(zip(QUARANTINE_COLUMNS, _rejected_row(ctx, table, entity, o))) for o in outcomes
                if o.outcome == "quarantined" and o.rejection is not None]
    reviews = [r for o in outcomes for r in _reviews(ctx, table, o)]
    upsert(conn, lineage, lineage_rows, changed=("content_hash", "outcome", "target_id", "new_commune_code", "rule",
                                                 "remap_rule", "remap_score"), fresh=fresh)
    upsert(conn, quarantine, rejected, changed=("reason", "field", "released_at", "batch_id"),
           update=("batch_id", "field", "reason", "raw_payload", "released_at"), fresh=fresh)
    upsert(conn, review_item, reviews, keys=("kind", "source_system", "source_table", "source_key"),
           changed=("reason",), update=("reason", "candidates", "context"))
    settled = [o.prepared.source_key for o in outcomes
               if o.prepared.decision is not None and o.prepared.decision.resolved]
    if settled:
        conn.execute(
            update(review_item)
            .where(review_item.c.kind == "remap", review_item.c.source_system == ctx.source_system,
                   review_item.c.source_table == table, one_of(conn, review_item.c.source_key, settled),
                   review_item.c.state == "open")
            .values(state="resolved", decided_at=ctx.now, decided_by="rules")
        )
    released = [o.prepared.source_key for o in outcomes if o.outcome != "quarantined"]
    if released and not fresh:  # quarantine rows are written only with lineage rows: none for fresh keys
        conn.execute(  # a date judged implausible no longer is (the earliest date was moved, the source fixed)
            update(review_item)
            .where(review_item.c.kind == IMPLAUSIBLE, review_item.c.source_system == ctx.source_system,
                   review_item.c.source_table == table, one_of(conn, review_item.c.source_key, released),
                   review_item.c.state == "open")
            .values(state="resolved", decided_at=ctx.now, decided_by="rules")
        )
        conn.execute(
            update(quarantine)
            .where(quarantine.c.source_system == ctx.source_system, quarantine.c.source_table == table,
                   one_of(conn, quarantine.c.source_key, released), quarantine.c.released_at.is_(None))
            .values(released_at=ctx.now)
        )


def _review(kind: str, ctx: BatchContext, table: str, p: Prepared, reason: str, candidates: list,
            context: dict) -> dict:
    return dict(kind=kind, source_system=ctx.source_system, source_table=table, source_key=p.source_key,
                reason=storable_reason(reason), candidates=candidates, context=context, state="open")
