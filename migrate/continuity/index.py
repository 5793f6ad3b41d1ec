"""The ``old_identifier`` table: every old identifier, normalized, pointing at where its record is now.

Rebuilt from the store (entity tables, account aliases, lineage and
quarantine) by :func:`refresh`, chunk by chunk: each chunk's wanted rows are
compared with what the index holds for the same source records, and only new
or changed rows are written, so a second refresh changes nothing. Records no
longer in the store lose their identifiers at the end.

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

from sqlalchemy import Connection, Engine, Table, delete, exists, func, select, text

from adapters.profiles import SourceProfile
from migrate.continuity.identifiers import MAX_LENGTH, normalize
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
from migrate.store.upsert import upsert

log = logging.getLogger(__name__)

KEY = ("source_system", "source_table", "source_key", "kind")
_PAYLOAD = ("value", "normalized", "state", "target_table", "target_id")
CHUNK = 5000

# kind of the source key of a record of each entity
ID_KINDS = {"dossier": "dossier-id", "dossier_file": "file-id", "document": "document-id", "account": "account-id"}
# canonical fields read from a quarantined record's raw payload (through its profile), by entity
_RAW_FIELDS = {
    "dossier": {"dossier_no": "dossier-no", "receipt_code": "receipt-code",
                "applicant_id_number": "applicant-id-number"},
    "account": {"username": "username", "id_number": "id-number", "legacy_id_number": "legacy-id-number",
                "tax_code": "tax-code"},
}

Wanted = tuple[str, str, str, str | None, int | None]  # kind, value, state, target table, target id


@dataclass(frozen=True)
class _Family:
    """One place identifiers come from, and the kinds it is the only source of."""

    name: str
    table: Table
    kinds: frozenset[str]
    columns: tuple[str, ...]
    wanted: Callable[[object], Iterator[Wanted]]


@dataclass(frozen=True)
class IndexReport:
    counts: Mapping[str, int]  # kind -> identifiers in the index
    inserted: int
    updated: int
    deleted: int
    seconds: float

    def summary(self) -> str:
        lines = [f"Continuity index: {sum(self.counts.values())} old identifiers "
                 f"({self.inserted} new, {self.updated} changed, {self.deleted} removed) in {self.seconds:.1f}s"]
        lines += [f"  {kind:<22}{n:>10}" for kind, n in sorted(self.counts.items())]
        return "\n".join(lines)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text[:MAX_LENGTH] or None


def _dossier_rows(r) -> Iterator[Wanted]:
    yield "dossier-id", r.source_key, "migrated", "dossier", r.id
    for kind, value in (("dossier-no", r.dossier_no), ("applicant-id-number", r.applicant_id_number),
                        ("receipt-code", getattr(r, "receipt_code", None))):
        if _text(value):
            yield kind, value, "migrated", "dossier", r.id


def _account_rows(r) -> Iterator[Wanted]:
    for kind, value in (("id-number", r.id_number), ("legacy-id-number", r.legacy_id_number),
                        ("tax-code", r.tax_code)):
        if _text(value):
            yield kind, value, "migrated", "account", r.id


def _alias_rows(r) -> Iterator[Wanted]:
    state = "migrated" if r.match_rule == "self" else "merged"
    yield "account-id", r.source_key, state, "account", r.account_id
    if _text(r.username):
        yield "username", r.username, state, "account", r.account_id


def _families(profiles: Sequence[SourceProfile]) -> list[_Family]:
    dossier_columns = ("dossier_no", "applicant_id_number") + (
        ("receipt_code",) if "receipt_code" in dossier.c else ())
    raw_columns = {(p.name, entity): {field: spec.columns[field] for field in fields if field in spec.columns}
                   for p in profiles for entity, spec in p.entities.items()
                   if (fields := _RAW_FIELDS.get(entity))}

    def quarantined(r) -> Iterator[Wanted]:
        yield ID_KINDS[r.entity], r.source_key, "quarantined", None, None
        payload = r.raw_payload or {}
        for field, column in raw_columns.get((r.source_system, r.entity), {}).items():
            if _text(payload.get(column)):
                yield _RAW_FIELDS[r.entity][field], payload.get(column), "quarantined", None, None

    return [
        _Family("dossier", dossier, frozenset({"dossier-id", "dossier-no", "applicant-id-number", "receipt-code"}),
                dossier_columns, _dossier_rows),
        _Family("dossier_file", dossier_file, frozenset({"file-id"}), (),
                lambda r: iter([("file-id", r.source_key, "migrated", "dossier_file", r.id)])),
        _Family("document", document, frozenset({"document-id"}), (),
                lambda r: iter([("document-id", r.source_key, "migrated", "document", r.id)])),
        _Family("account", account, frozenset({"id-number", "legacy-id-number", "tax-code"}),
                ("id_number", "legacy_id_number", "tax_code"), _account_rows),
        _Family("account_alias", account_alias, frozenset({"account-id", "username"}),
                ("account_id", "username", "match_rule"), _alias_rows),
        _Family("quarantined", lineage, frozenset(), ("entity",), quarantined),
    ]


def refresh(store: Engine, profiles: Sequence[SourceProfile] = (), *,
            progress: Callable[[int], None] | None = None) -> IndexReport:
    """Bring ``old_identifier`` in line with the store; idempotent.

    With the source profiles, identifiers of quarantined records (dossier
    number, username, ID numbers) are read from their raw payload; without,
    quarantined records are found by their old record id only.
    """
    started = time.monotonic()
    tally: Counter[str] = Counter()
    for family in _families(profiles):
        last = 0
        while True:
            with store.begin() as conn:
                rows = _chunk(conn, family, last)
                if not rows:
                    break
                _sync(conn, family, rows, tally)
            last = rows[-1].id
            if progress is not None:
                progress(len(rows))
    with store.begin() as conn:
        tally["deleted"] += _remove_gone(conn)
        conn.execute(text("ANALYZE old_identifier"))  # planner statistics: the normalized index is selective
        counts = dict(conn.execute(select(old_identifier.c.kind, func.count()).group_by(old_identifier.c.kind)).all())
    report = IndexReport({k: int(n) for k, n in counts.items()}, tally["inserted"], tally["updated"],
                         tally["deleted"], time.monotonic() - started)
    log.info("continuity index: %s", report.summary().splitlines()[0])
    return report


def _chunk(conn: Connection, family: _Family, after: int) -> list:
    t = family.table
    cols = [t.c.id, t.c.source_system, t.c.source_table, t.c.source_key, *(t.c[c] for c in family.columns)]
    stmt = select(*cols).where(t.c.id > after).order_by(t.c.id).limit(CHUNK)
    if family.name == "quarantined":
        stmt = (select(*cols, quarantine.c.raw_payload)
                .select_from(t.outerjoin(quarantine, (quarantine.c.source_system == t.c.source_system)
                                         & (quarantine.c.source_table == t.c.source_table)
                                         & (quarantine.c.source_key == t.c.source_key)))
                .where(t.c.id > after, t.c.outcome == "quarantined", t.c.entity.in_(list(ID_KINDS)))
                .order_by(t.c.id).limit(CHUNK))
    return conn.execute(stmt).all()


def _sync(conn: Connection, family: _Family, rows: list, tally: Counter) -> None:
    wanted: dict[tuple, dict] = {}
    for r in rows:
        for kind, value, state, target_table, target_id in family.wanted(r):
            clean = _text(value)
            normalized = normalize(clean)
            if not normalized:
                continue
            wanted[(r.source_system, r.source_table, r.source_key, kind)] = dict(
                value=clean, normalized=normalized, state=state, target_table=target_table,
                target_id=int(target_id) if target_id is not None else None)
    have = _existing(conn, rows, family.kinds or None)
    writes = []
    for key, payload in wanted.items():
        old = have.pop(key, None)
        if old is None or any(old[c] != payload[c] for c in _PAYLOAD):
            tally["inserted" if old is None else "updated"] += 1
            writes.append(dict(zip(KEY, key), **payload))
    upsert(conn, old_identifier, writes, keys=KEY, changed=_PAYLOAD)
    if have:
        ids = [row["id"] for row in have.values()]
        conn.execute(delete(old_identifier).where(old_identifier.c.id.in_(ids)))
        tally["deleted"] += len(ids)


def _existing(conn: Connection, rows: list, kinds: frozenset[str] | None) -> dict[tuple, dict]:
    """What the index holds for these source records (all kinds, or only ``kinds``)."""
    by_table: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        by_table.setdefault((r.source_system, r.source_table), []).append(r.source_key)
    o = old_identifier.c
    out = {}
    for (system, table), keys in by_table.items():
        for part in range(0, len(keys), 900):
            stmt = select(o.id, *(o[c] for c in KEY), *(o[c] for c in _PAYLOAD)).where(
                o.source_system == system, o.source_table == table, o.source_key.in_(keys[part:part + 900]))
            if kinds:
                stmt = stmt.where(o.kind.in_(sorted(kinds)))
            for row in conn.execute(stmt).mappings():
                out[tuple(row[c] for c in KEY)] = dict(row)
    return out


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
    return conn.execute(select(old_identifier.c.id).limit(1)).first() is not None
