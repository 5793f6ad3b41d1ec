"""The quarantine: records that could not be loaded, with the field, the reason and the raw payload.

A quarantined record leaves the quarantine (``released_at`` is set) when a
later load of its batch loads it: after a mapping decision or a profile fix
(``hopnhat batches rerun --quarantined`` or a new ``hopnhat run``), or when
the parent it waited for reaches the store (:func:`unblocked_batches`, rerun
automatically after every run and rerun).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Connection, Select, and_, func, or_, select

from adapters.profiles import SourceProfile
from migrate.core.records import MAIN_ACCOUNT, RawRecord, split_link
from migrate.core.canonical import to_canonical
from migrate import reasons
from migrate.config import SourceSettings
from migrate.core.entities import REGISTRY
from migrate.core.errors import ConfigError
from migrate.core.i18n import Language
from migrate.core.messages import msg
from migrate.core.masking import PERSONAL_FIELDS, mask_reason, mask_tree
from migrate.core.masking import personal_columns as masked_columns
from migrate.core.tables import TableWriter
from migrate.store.inlist import each_one_of
from migrate.store.limits import column_limit
from migrate.store.models import lineage, quarantine, review_item

EXPORT_FORMATS = (".csv", ".xlsx", ".jsonl")


@dataclass(frozen=True)
class Entry:
    id: int
    batch_id: int
    source_system: str
    source_table: str
    source_key: str
    entity: str
    field: str
    reason: str
    raw_payload: Mapping[str, object]
    created_at: dt.datetime
    released_at: dt.datetime | None

    def line(self, lang: Language | None = None) -> str:
        """``source/table/key  field: reason``, the reason said in ``lang`` (as it is kept: English)."""
        reason = reasons.say(self.reason, lang) if lang is not None else self.reason
        return f"{self.source_system}/{self.source_table}/{self.source_key}  {self.field}: {reason}"


def entries(conn: Connection, *, source: str | None = None, include_released: bool = False,
            limit: int | None = None) -> list[Entry]:
    """Quarantine entries, oldest first; open ones only unless ``include_released``."""
    stmt = select(quarantine).order_by(quarantine.c.id)
    if source:
        stmt = stmt.where(quarantine.c.source_system == source)
    if not include_released:
        stmt = stmt.where(quarantine.c.released_at.is_(None))
    if limit:
        stmt = stmt.limit(limit)
    return [Entry(int(r.id), int(r.batch_id), r.source_system, r.source_table, r.source_key, r.entity, r.field,
                  r.reason, r.raw_payload or {}, r.created_at, r.released_at) for r in conn.execute(stmt)]


def export(rows: Iterable[Entry], path: Path | str, *, mask: bool = True,
           personal: Mapping[tuple[str, str], Collection[str]] | None = None) -> int:
    """Write entries with their raw payloads to .csv, .xlsx or .jsonl; returns how many.

    Unless ``mask`` is False, the one masking policy (:mod:`migrate.core.masking`)
    applies to payloads and reasons alike: the payload columns a profile maps to
    personal fields (``personal``: (source, table) -> legacy columns) are masked
    whole, and identifiers, phone numbers and e-mail addresses inside every other
    value and inside the reason are masked where they appear.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ConfigError(msg("cannot export quarantine to {file}: use one of {formats}", file=path.name,
                              formats=", ".join(EXPORT_FORMATS)))
    personal = personal or {}
    records = (_export_row(e, mask, personal.get((e.source_system, e.source_table), ())) for e in rows)
    columns = list(asdict(_template()).keys())
    if suffix == ".jsonl":
        path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
                count += 1
        return count
    with TableWriter(path, columns, sheet="quarantine") as table:
        for r in records:
            table.write(r)
    return table.rows


def _template() -> Entry:
    return Entry(0, 0, "", "", "", "", "", "", {}, dt.datetime.min, None)


def _export_row(e: Entry, mask: bool, personal: Collection[str]) -> dict:
    row = asdict(e)
    if mask:
        personal = PERSONAL_FIELDS | frozenset(personal)
        row["raw_payload"] = mask_tree(dict(e.raw_payload), personal)
        row["reason"] = mask_reason(e.reason, personal)
    row["created_at"] = e.created_at.isoformat(sep=" ") if e.created_at else None
    row["released_at"] = e.released_at.isoformat(sep=" ") if e.released_at else None
    return row


def personal_columns(profiles: Iterable[SourceProfile]) -> dict[tuple[str, str], frozenset[str]]:
    """(source, legacy table) -> the legacy columns its profile maps to personal fields."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for profile in profiles:
        for spec in profile.entities.values():
            key = (profile.name, spec.table)
            out[key] = out.get(key, frozenset()) | masked_columns(spec.columns)
    return out


# --- what a rerun should re-read -------------------------------------------------------------


def decided_keys(conn: Connection, source: str, table: str) -> Iterator[str]:
    """Source keys of one table's records with a reviewer's decision the store does not show yet: a remap
    decided in review whose record's decision is not that manual one, or any decided review of a record
    still in quarantine. The next run must read them again to apply it (a delta reads them by key)."""
    yield from conn.execute(decided_keys_query(source, table).execution_options(yield_per=5000)).scalars()


def decided_keys_query(source: str, table: str) -> Select:
    """The statement of :func:`decided_keys` (one column, ``source_key``), for a store that uses it in place."""
    same = and_(review_item.c.source_system == source, review_item.c.source_table == table,
                review_item.c.state == "decided")
    applied = (select(lineage.c.id)  # the record's remap decision, held in its lineage row
               .where(lineage.c.source_system == review_item.c.source_system,
                      lineage.c.source_table == review_item.c.source_table,
                      lineage.c.source_key == review_item.c.source_key, lineage.c.remap_rule == "manual",
                      lineage.c.new_commune_code == review_item.c.decision).exists())
    held = (select(quarantine.c.id)
            .where(quarantine.c.source_system == review_item.c.source_system,
                   quarantine.c.source_table == review_item.c.source_table,
                   quarantine.c.source_key == review_item.c.source_key, quarantine.c.released_at.is_(None)).exists())
    return (select(review_item.c.source_key).distinct()
            .where(same, or_(and_(review_item.c.kind == "remap", ~applied), held)))


def open_count(conn: Connection, source: str, table: str) -> int:
    """Open quarantine entries of one source table, whichever run put them there."""
    return int(conn.execute(select(func.count()).select_from(quarantine)
                            .where(quarantine.c.source_system == source, quarantine.c.source_table == table,
                                   quarantine.c.released_at.is_(None))).scalar_one())


def batches_with_open_entries(conn: Connection, sources: Sequence[str]) -> list[int]:
    """Batches that last quarantined a record still in quarantine."""
    if not sources:
        return []
    rows = conn.execute(
        select(quarantine.c.batch_id).distinct()
        .where(quarantine.c.released_at.is_(None), quarantine.c.source_system.in_(list(sources)))
        .order_by(quarantine.c.batch_id)
    )
    return [int(i) for i in rows.scalars()]


_LINEAGE_KEY = column_limit(lineage.c.source_key)


def unblocked_batches(conn: Connection, sources: Sequence[SourceSettings]) -> list[int]:
    """Batches holding records quarantined for a missing parent that is now in the store."""
    found: set[int] = set()
    for source in sources:
        for spec in source.profile.ordered():  # every part of every child entity
            parent_link = spec.entity.parent
            if parent_link is None:
                continue
            parent, link = parent_link.entity, parent_link.field
            if parent not in source.profile.entities:  # no main part of the parent entity: nothing to wait for
                continue
            waiting = conn.execute(
                select(quarantine.c.batch_id, quarantine.c.source_key, quarantine.c.raw_payload)
                .where(quarantine.c.source_system == source.name, quarantine.c.source_table == spec.table,
                       quarantine.c.field == link, quarantine.c.released_at.is_(None))
            ).all()
            if not waiting:
                continue
            parts = {label: e.table for label, e in source.profile.entities.items() if e.name == parent}
            wanted: dict[tuple[str, str], set[int]] = {}  # (parent table, source key) -> batches
            for batch_id, key, payload in waiting:
                record, _ = to_canonical(spec, RawRecord(spec.table, (key,), payload or {}))
                parent_key = record.get(link)
                if parent_key is not None:
                    part, parent_source_key = (split_link(parent_key, parts) if parent == MAIN_ACCOUNT
                                               else (parent, str(parent_key)))
                    if part in parts and _LINEAGE_KEY.problem(parent_source_key) is None:  # else no parent has it
                        wanted.setdefault((parts[part], parent_source_key), set()).add(int(batch_id))
            outcomes = ("loaded", "merged") if REGISTRY[parent].merges else ("loaded",)
            for table in sorted({t for t, _ in wanted}):
                keys = sorted(k for t, k in wanted if t == table)
                for some in each_one_of(conn, lineage.c.source_key, keys):
                    present = conn.execute(
                        select(lineage.c.source_key)
                        .where(lineage.c.source_system == source.name, lineage.c.source_table == table,
                               some, lineage.c.outcome.in_(outcomes))
                    ).scalars()
                    for key in present:
                        found |= wanted[(table, key)]
    return sorted(found)
