"""The ``old_identifier`` table: every old identifier, normalized, pointing at where its record is now.

Each batch keeps it up to date from its own rows, inside its transaction
(:func:`note_batch`): a first load copies the batch's identifiers straight in,
a reload compares them with what the index holds for the batch's records and
writes only the difference. :func:`refresh` rebuilds it from the store (entity
tables, account aliases, lineage and quarantine) chunk by chunk, the same way,
for a store loaded before the index existed or changed by hand; records no
longer in the store lose their identifiers at the end. Either way a second
pass changes nothing.

Why one table rather than querying the entity columns directly: a lookup is
one search on one indexed column whatever the kind of identifier; identifiers
of quarantined records (read from their raw payload through the profile) can
be found too; and closest matches are an index range scan over every kind.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Table, delete, exists, func, select, text

from adapters.profiles import SourceProfile
from migrate.continuity.identifiers import MAX_LENGTH, normalize
from migrate.core.entities import REGISTRY
from migrate.core.i18n import Language, language
from migrate.core.messages import N_, Message, msg, say
from migrate.core.progress import Progress, Tally
from migrate.store.limits import storable_reason
from migrate.store.models import (
    account,
    account_alias,
    dossier,
    dossier_file,
    document,
    lineage,
    old_identifier,
    quarantine,
)
from migrate.store.inlist import each_one_of
from migrate.store.copy import copy_fresh
from migrate.store.upsert import ids_by_key, upsert

log = logging.getLogger(__name__)

KEY = ("lineage_id", "kind")  # the record's lineage row names it: one narrow key (store revision 0009)
_SOURCE = ("source_system", "source_table", "source_key")  # the record's source key, kept for reading
_PAYLOAD = ("value", "normalized", "state", "target_table", "target_id")
CHUNK = 5000

# The kinds of old identifier each entity's records carry, from the entity registry: the kind of its
# source key, and (field, kind) of its fields holding identifiers, in its own row or in its alias row.
ID_KINDS = {e.name: e.key_kind for e in REGISTRY.values() if e.key_kind}
_ROW_IDENTIFIERS = {e.name: tuple((f.identifier, f.store_column) for f in e.identifier_fields() if not f.table)
                    for e in REGISTRY.values()}
# canonical fields read from a quarantined record's raw payload (through its profile), by entity
_RAW_FIELDS = {e.name: {f.name: f.identifier for f in e.identifier_fields()}
               for e in REGISTRY.values() if e.identifier_fields()}
# an account's old record id and its username are kept in its alias row (one per source account, merged or not)
_ACCOUNT = REGISTRY[account.name]
_ALIAS_IDENTIFIERS = tuple((f.identifier, f.store_column) for f in _ACCOUNT.identifier_fields()
                           if f.table == account_alias.name)
_USERNAME_KIND = dict((c, k) for k, c in _ALIAS_IDENTIFIERS)["username"]

Wanted = tuple[str, object, str, str | None, int | None]  # kind, value (as read), state, target table, target id


@dataclass(frozen=True)
class _Family:
    """One place identifiers come from, and the kinds it is the only source of."""

    name: str
    table: Table
    kinds: frozenset[str]
    columns: tuple[str, ...]
    wanted: Callable[[Any], Iterator[Wanted]]


@dataclass(frozen=True)
class IndexReport:
    counts: Mapping[str, int]  # kind -> identifiers in the index
    inserted: int
    updated: int
    deleted: int
    seconds: float
    unlinked: int = 0  # store rows with no lineage row: their identifiers cannot be indexed

    def headline(self) -> Message:
        """The summary's first line (also the log's)."""
        return msg("Continuity index: {n} old identifiers ({inserted} new, {updated} changed, {deleted} removed) in "
                   "{seconds}s", n=sum(self.counts.values()), inserted=self.inserted, updated=self.updated,
                   deleted=self.deleted, seconds=round(self.seconds, 1))

    def summary(self, lang: Language | None = None) -> str:
        """What ``hopnhat continuity index`` prints, in ``lang`` (English by default); kinds stay machine names."""
        lang = lang or language()
        lines = [say(self.headline(), lang)]
        if self.unlinked:
            lines.append(say(UNLINKED.format(n=lang.number(self.unlinked)), lang))
        lines += [f"  {kind:<22}{lang.number(n):>10}" for kind, n in sorted(self.counts.items())]
        return "\n".join(lines)


# a store row with no lineage row (a store changed by hand): its record's identifiers have no key in the index
UNLINKED = N_("  not indexed: {n} store rows have no lineage row (the store was changed outside hopnhat; "
              "see hopnhat reconcile)")


def _text(value: object) -> str | None:
    """An identifier as the index holds it: NFC, trimmed, cut to the column; a NUL character or bytes that
    were not UTF-8 (read from a quarantined record's raw payload) written escaped, as the store takes them."""
    if value is None:
        return None
    text = value if value.__class__ is str else str(value)
    if not text.isascii():  # the usual case, ASCII, is NFC already
        text = unicodedata.normalize("NFC", text)
    text = storable_reason(text.strip())
    return text[:MAX_LENGTH] or None


def _row_wanted(entity: str) -> Callable[[Any], Iterator[Wanted]]:
    """The identifiers of one stored row of ``entity``: its old record id (unless its records merge, when the
    alias rows hold it) and its identifier columns."""
    key_kind = "" if REGISTRY[entity].merges else ID_KINDS[entity]
    table = REGISTRY[entity].store_table_name
    pairs = _ROW_IDENTIFIERS[entity]

    def wanted(r: Any) -> Iterator[Wanted]:
        if key_kind:
            yield key_kind, r.source_key, "migrated", table, r.id
        for kind, column in pairs:
            yield kind, getattr(r, column), "migrated", table, r.id
    return wanted


def _alias_rows(r) -> Iterator[Wanted]:
    state = "migrated" if r.match_rule == "self" else "merged"
    yield _ACCOUNT.key_kind, r.source_key, state, account.name, r.account_id
    for kind, column in _ALIAS_IDENTIFIERS:
        yield kind, getattr(r, column), state, account.name, r.account_id


def _families(profiles: Sequence[SourceProfile]) -> list[_Family]:
    raw_columns = {(p.name, entity): {field: spec.columns[field] for field in fields if field in spec.columns}
                   for p in profiles for entity, spec in p.entities.items()
                   if (fields := _RAW_FIELDS.get(entity))}

    def quarantined(r) -> Iterator[Wanted]:
        yield ID_KINDS[r.entity], r.source_key, "quarantined", None, None
        payload = r.raw_payload or {}
        for field, column in raw_columns.get((r.source_system, r.entity), {}).items():
            yield _RAW_FIELDS[r.entity][field], payload.get(column), "quarantined", None, None

    rows = [_Family(e.name, e.store_table,
                    frozenset({*((e.key_kind,) if not e.merges else ()), *(k for k, _ in _ROW_IDENTIFIERS[e.name])}),
                    tuple(c for _, c in _ROW_IDENTIFIERS[e.name]), _row_wanted(e.name))
            for e in REGISTRY.values() if e.key_kind]
    return [
        *rows,
        _Family("account_alias", account_alias, frozenset({_ACCOUNT.key_kind, *(k for k, _ in _ALIAS_IDENTIFIERS)}),
                ("account_id", *(c for _, c in _ALIAS_IDENTIFIERS), "match_rule"), _alias_rows),
        _Family("quarantined", lineage, frozenset(), ("entity",), quarantined),
    ]


def refresh(store: Engine, profiles: Sequence[SourceProfile] = (), *,
            progress: Progress | None = None) -> IndexReport:
    """Bring ``old_identifier`` in line with the store; idempotent.

    With the source profiles, identifiers of quarantined records (dossier
    number, username, ID numbers) are read from their raw payload; without,
    quarantined records are found by their old record id only.
    """
    started = time.monotonic()
    tally: Counter[str] = Counter()
    for family in _families(profiles):
        last = 0
        indexed = Tally(progress, "indexing", "store", family.name).start()
        while True:
            with store.begin() as conn:
                rows = _chunk(conn, family, last)
                if not rows:
                    break
                _sync(conn, family, rows, tally)
            last = rows[-1].id
            indexed.add(len(rows))
    with store.begin() as conn:
        tally["deleted"] += _remove_gone(conn)
        conn.execute(text("ANALYZE old_identifier"))  # planner statistics: the normalized index is selective
        counts: dict[str, int] = dict(conn.execute(select(old_identifier.c.kind, func.count())
                                                   .group_by(old_identifier.c.kind)).all())
    report = IndexReport({k: int(n) for k, n in counts.items()}, tally["inserted"], tally["updated"],
                         tally["deleted"], time.monotonic() - started, tally["unlinked"])
    log.info(report.headline())
    return report


def _chunk(conn: Connection, family: _Family, after: int) -> Sequence[Any]:
    """The family's next rows after id ``after``, each with its record's lineage id (None: no lineage row)."""
    t = family.table
    cols = [t.c.id, t.c.source_system, t.c.source_table, t.c.source_key, *(t.c[c] for c in family.columns)]
    L = lineage.alias("record")
    stmt = (select(*cols, L.c.id.label("lineage_id"))
            .select_from(t.outerjoin(L, (L.c.source_system == t.c.source_system)
                                     & (L.c.source_table == t.c.source_table) & (L.c.source_key == t.c.source_key)))
            .where(t.c.id > after).order_by(t.c.id).limit(CHUNK))
    if family.name == "quarantined":
        stmt = (select(*cols, t.c.id.label("lineage_id"), quarantine.c.raw_payload)
                .select_from(t.outerjoin(quarantine, (quarantine.c.source_system == t.c.source_system)
                                         & (quarantine.c.source_table == t.c.source_table)
                                         & (quarantine.c.source_key == t.c.source_key)))
                .where(t.c.id > after, t.c.outcome == "quarantined", t.c.entity.in_(list(ID_KINDS)))
                .order_by(t.c.id).limit(CHUNK))
    return conn.execute(stmt).all()


class Held(NamedTuple):
    """One record of a batch as the index sees it: where it went and the values it carries (a named tuple:
    one is made for every record a batch loads)."""

    source_key: str
    outcome: str  # loaded, merged, quarantined
    target_id: int | None
    row: Mapping[str, object] | None  # the entity row written (loaded records)
    username: object = None  # accounts: the alias's username
    raw: Mapping[str, object] | None = None  # quarantined records: the raw payload
    lineage_id: int | None = None  # its lineage row, when the load knows it (a first load reserves it)


def batch_wanted(entity: str, records: Sequence[Held], raw_columns: Mapping[str, str] = {}) -> Iterator[
        tuple[str, Wanted]]:
    """(source key, identifier) of one batch's records: the rows a refresh would derive from the store.

    A value that is empty, or nothing once normalized, is dropped by the writers
    (:func:`_fresh_rows`, :func:`_normalized`), not here: it is looked at once.
    """
    kind_of_key = ID_KINDS.get(entity)
    if kind_of_key is None:
        return
    raw_kinds = {_RAW_FIELDS[entity][f]: c for f, c in raw_columns.items() if f in _RAW_FIELDS.get(entity, {})}
    for r in records:
        if r.outcome not in ("loaded", "merged", "quarantined"):
            continue  # excluded by a named rule: not in the store, not looked up
        if r.outcome == "quarantined":
            yield r.source_key, (kind_of_key, r.source_key, "quarantined", None, None)
            payload = r.raw or {}
            for kind, column in raw_kinds.items():
                yield r.source_key, (kind, payload.get(column), "quarantined", None, None)
            continue
        definition = REGISTRY[entity]
        if definition.merges:  # the old record id and the username, from the alias row every source account keeps
            state = "migrated" if r.outcome == "loaded" else "merged"
            yield r.source_key, (kind_of_key, r.source_key, state, entity, r.target_id)
            yield r.source_key, (_USERNAME_KIND, r.username, state, entity, r.target_id)
        if r.outcome != "loaded" or r.row is None:
            continue
        if not definition.merges:
            yield r.source_key, (kind_of_key, r.source_key, "migrated", entity, r.target_id)
        for kind, column in _ROW_IDENTIFIERS[entity]:
            yield r.source_key, (kind, r.row.get(column), "migrated", entity, r.target_id)


def note_batch(conn: Connection, source_system: str, source_table: str, entity: str, records: Sequence[Held],
               raw_columns: Mapping[str, str] = {}, *, fresh: bool = False) -> Counter[str]:
    """Bring the index in line with one batch's records, inside the batch's transaction; the changes counted.

    ``fresh`` (no record of the batch was in the store before) copies the
    identifiers straight in; otherwise what the index holds for the batch's
    records is compared and only new, changed and gone identifiers are written.
    """
    tally: Counter[str] = Counter()
    if entity not in ID_KINDS or not records:
        return tally
    keys = [r.source_key for r in records]
    ids: Mapping[str, int | None] = {r.source_key: r.lineage_id for r in records}
    found = batch_wanted(entity, records, raw_columns)
    if fresh and conn.dialect.name == "postgresql":
        if None in ids.values():
            ids = ids_by_key(conn, lineage, source_system, source_table, keys)
        rows = list(_fresh_rows(source_system, source_table, ids, found))
        if copy_fresh(conn, old_identifier, (*KEY, *_SOURCE, *_PAYLOAD), rows, binary=True):
            tally["inserted"] += len(rows)
            return tally
        found, fresh = batch_wanted(entity, records, raw_columns), False
    have: dict[tuple, dict]
    if fresh:
        have, ids = {}, ids_by_key(conn, lineage, source_system, source_table, keys)
    else:
        have, ids = _held(conn, source_system, source_table, keys)
    wanted = _normalized(((ids[key], w[0]), (source_system, source_table, key), w) for key, w in found)
    _write(conn, wanted, have, tally, fresh=fresh)
    return tally


def _fresh_rows(source_system: str, source_table: str, ids: Mapping[str, int | None],
                found: Iterator[tuple[str, Wanted]]) -> Iterator[tuple]:
    """The index rows of a batch none of whose records is in the store yet, in the order of
    ``KEY + _SOURCE + _PAYLOAD``."""
    for key, (kind, value, state, target_table, target_id) in found:
        if value is None:
            continue
        if value.__class__ is str and value.isascii() and "\x00" not in value:  # the usual case: _text inline
            clean = value.strip()[:MAX_LENGTH] or None
        else:
            clean = _text(value)
        normalized = normalize(clean)
        if normalized:
            yield (ids[key], kind, source_system, source_table, key, clean, normalized, state, target_table,
                   int(target_id) if target_id is not None else None)


def _normalized(items) -> dict[tuple, dict]:
    """What the index should hold, by key: each identifier's source key and payload."""
    wanted: dict[tuple, dict] = {}
    for key, (system, table, source_key), (kind, value, state, target_table, target_id) in items:
        clean = _text(value)
        normalized = normalize(clean)
        if not normalized:
            continue
        wanted[key] = dict(source_system=system, source_table=table, source_key=source_key, value=clean,
                           normalized=normalized, state=state, target_table=target_table,
                           target_id=int(target_id) if target_id is not None else None)
    return wanted


def _sync(conn: Connection, family: _Family, rows: Sequence[Any], tally: Counter) -> None:
    linked = [r for r in rows if r.lineage_id is not None]
    tally["unlinked"] += len(rows) - len(linked)
    wanted = _normalized(((r.lineage_id, w[0]), (r.source_system, r.source_table, r.source_key), w)
                         for r in linked for w in family.wanted(r))
    _write(conn, wanted, _existing(conn, [r.lineage_id for r in linked], family.kinds or None), tally)


def _write(conn: Connection, wanted: dict[tuple, dict], have: dict[tuple, dict], tally: Counter, *,
           fresh: bool = False) -> None:
    writes = []
    for key, payload in wanted.items():
        old = have.pop(key, None)
        if old is None or any(old[c] != payload[c] for c in _PAYLOAD):
            tally["inserted" if old is None else "updated"] += 1
            writes.append(dict(zip(KEY, key), **payload))
    upsert(conn, old_identifier, writes, keys=KEY, changed=_PAYLOAD, fresh=fresh)
    if have:
        by_kind: dict[str, list[int]] = {}
        for lineage_id, kind in have:
            by_kind.setdefault(kind, []).append(lineage_id)
        o = old_identifier.c
        for kind, ids in sorted(by_kind.items()):
            for part in each_one_of(conn, o.lineage_id, ids):
                conn.execute(delete(old_identifier).where(o.kind == kind, part))
        tally["deleted"] += len(have)


def _existing(conn: Connection, lineage_ids: Sequence[int], kinds: frozenset[str] | None) -> dict[tuple, dict]:
    """What the index holds for these records (all kinds, or only ``kinds``), by key."""
    o = old_identifier.c
    out = {}
    for wanted in each_one_of(conn, o.lineage_id, lineage_ids):
        stmt = select(*(o[c] for c in (*KEY, *_PAYLOAD))).where(wanted)
        if kinds:
            stmt = stmt.where(o.kind.in_(sorted(kinds)))
        out.update({(row["lineage_id"], row["kind"]): {c: row[c] for c in _PAYLOAD}
                    for row in conn.execute(stmt).mappings()})
    return out


def _held(conn: Connection, system: str, table: str, keys: Sequence[str]) -> tuple[dict[tuple, dict], dict[str, int]]:
    """What the index holds for these records of one source table, by key, and each record's lineage id: one
    statement through the lineage's unique key (one array parameter on PostgreSQL, parts on SQLite)."""
    o, L = old_identifier.c, lineage.c
    have: dict[tuple, dict] = {}
    ids: dict[str, int] = {}
    for wanted in each_one_of(conn, L.source_key, keys):
        stmt = (select(L.source_key.label("record_key"), L.id.label("record_id"), *(o[c] for c in (*KEY, *_PAYLOAD)))
                .select_from(lineage.outerjoin(old_identifier, o.lineage_id == L.id))
                .where(L.source_system == system, L.source_table == table, wanted))
        for row in conn.execute(stmt).mappings():
            ids[row["record_key"]] = row["record_id"]
            if row["lineage_id"] is not None:
                have[(row["lineage_id"], row["kind"])] = {c: row[c] for c in _PAYLOAD}
    return have, ids


def _remove_gone(conn: Connection) -> int:
    """Delete identifiers whose record is no longer in the store (or no longer quarantined)."""
    o = old_identifier.c
    deleted = 0
    for family in _families(()):
        t = family.table
        same = (t.c.source_system == o.source_system) & (t.c.source_table == o.source_table) \
            & (t.c.source_key == o.source_key)
        if family.name == "quarantined":
            stmt = delete(old_identifier).where(o.state == "quarantined",
                                                ~exists().where(same, t.c.outcome == "quarantined"))
        else:
            stmt = delete(old_identifier).where(o.state != "quarantined", o.kind.in_(sorted(family.kinds)),
                                                ~exists().where(same))
        deleted += conn.execute(stmt).rowcount or 0
    return deleted


def is_built(conn: Connection) -> bool:
    return conn.execute(select(old_identifier.c.lineage_id).limit(1)).first() is not None
