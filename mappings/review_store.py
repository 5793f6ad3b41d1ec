"""The remap review queue in the unified store: export open items, import reviewers' decisions.

The loader writes one ``review_item`` row (kind ``remap``) per record no rule could place,
with the record's reference key (:attr:`mappings.rules.UnitRef.key`) in ``context``. A
reviewer decides per *reference*, not per record: :func:`export_open` groups the open items
by ``ref_key`` (one row covers every record that says the same thing about its place, with
their count), and :func:`import_decisions` writes the decision into every item of that
reference (``state='decided'``, ``decision``, ``decided_by``, ``decided_at``). The next run
reads them (:func:`migrate.pipeline.manual_decisions`) and records rule ``manual``.

Library functions take a SQLAlchemy :class:`~sqlalchemy.engine.Engine`; the CLI only
parses flags and prints the result.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, select, update

from mappings.explanations import PHRASEBOOK
from mappings.review import read_rows, write_table
from mappings.units import UnitTable
from migrate.core.errors import MappingError
from migrate.core.i18n import Language, language
from migrate.core.messages import Message, msg
from migrate.store.inlist import each_one_of
from migrate.store.models import lineage, review_item

log = logging.getLogger(__name__)

STORE_REVIEW_COLUMNS = (
    "ref_key", "records", "sources", "example_record", "old_province_code", "old_district_code",
    "old_commune_code", "address", "rule", "reason", "candidates", "decision_new_commune", "decided_by", "note",
)


@dataclass
class StoreReviewRow:
    """One open reference, as the reviewer sees it."""

    ref_key: str
    records: int = 0
    sources: set[str] = field(default_factory=set)
    example_record: str = ""
    old_province_code: str = ""
    old_district_code: str = ""
    old_commune_code: str = ""
    address: str = ""
    rule: str = ""
    reason: str = ""
    candidates: tuple[str, ...] = ()

    def as_row(self, table: UnitTable, lang: Language | None = None) -> dict[str, object]:
        names = []
        for code in self.candidates:
            new = table.new_commune(code)
            names.append(f"{code} {new.name}, {new.province_name}" if new else code)
        return dict(ref_key=self.ref_key, records=self.records, sources=", ".join(sorted(self.sources)),
                    example_record=self.example_record, old_province_code=self.old_province_code,
                    old_district_code=self.old_district_code, old_commune_code=self.old_commune_code,
                    address=self.address, rule=self.rule,
                    reason=PHRASEBOOK.say(self.reason, lang or language("en")), candidates="; ".join(names),
                    decision_new_commune="", decided_by="", note="")


@dataclass(frozen=True)
class ImportResult:
    decisions: int     # references decided
    items: int         # review items (records) those decisions cover

    def summary(self) -> Message:
        return msg("{decisions} decision(s) covering {items} record(s) stored; they apply on the "
                   "next run as rule 'manual'.", decisions=self.decisions, items=self.items)


def open_references(store: Engine) -> list[StoreReviewRow]:
    """The open remap review items, grouped by reference key (most records first)."""
    groups: dict[str, StoreReviewRow] = {}
    query = (
        select(review_item.c.source_system, review_item.c.source_table, review_item.c.source_key,
               review_item.c.reason, review_item.c.candidates, review_item.c.context,
               lineage.c.old_province_code, lineage.c.old_district_code, lineage.c.old_commune_code,
               lineage.c.remap_address.label("address"))
        .select_from(review_item.outerjoin(lineage, (  # the record's remap decision, held in its lineage row
            (lineage.c.source_system == review_item.c.source_system)
            & (lineage.c.source_table == review_item.c.source_table)
            & (lineage.c.source_key == review_item.c.source_key) & lineage.c.remap_rule.is_not(None))))
        .where(review_item.c.kind == "remap", review_item.c.state == "open")
        .order_by(review_item.c.id)
    )
    with store.connect() as conn:
        for r in conn.execute(query):
            context = r.context or {}
            ref_key = context.get("ref_key") or f"record:{r.source_system}/{r.source_table}/{r.source_key}"
            row = groups.get(ref_key)
            if row is None:
                row = groups[ref_key] = StoreReviewRow(
                    ref_key, example_record=f"{r.source_system}/{r.source_table}/{r.source_key}",
                    old_province_code=r.old_province_code or "", old_district_code=r.old_district_code or "",
                    old_commune_code=r.old_commune_code or "", address=r.address or "",
                    rule=context.get("rule") or "", reason=r.reason or "", candidates=tuple(r.candidates or ()))
            row.records += 1
            row.sources.add(r.source_system)
    return sorted(groups.values(), key=lambda g: (-g.records, g.ref_key))


def export_open(store: Engine, table: UnitTable, path: Path | str, lang: Language | None = None) -> int:
    """Write the open references to a .csv or .xlsx reviewer file, each reason said in ``lang``; returns how
    many rows."""
    rows = [g.as_row(table, lang) for g in open_references(store)]
    write_table(rows, STORE_REVIEW_COLUMNS, path)
    return len(rows)


def import_decisions(store: Engine, table: UnitTable, path: Path | str, *, decided_by: str | None = None,
                     now: datetime | None = None) -> ImportResult:
    """Validate a filled-in reviewer file and write its decisions into ``review_item``.

    Every problem is reported at once as ``row N, field F: reason`` in one
    :class:`MappingError`; nothing is written unless the whole file is valid. Rows with an
    empty ``decision_new_commune`` are still open and skipped. ``decided_by`` comes from the
    file's column, else from the ``decided_by`` argument (``--by``).
    """
    name = Path(path).name
    items = _items_by_ref(store)
    problems: list[str] = []
    chosen: dict[str, tuple[str, str]] = {}
    header_seen = False
    for n, row in read_rows(path):
        if not header_seen:
            missing = [c for c in ("ref_key", "decision_new_commune") if c not in row]
            if missing:
                raise MappingError(msg("{file}: not a review file (missing column(s) {columns}).", file=name,
                                       columns=", ".join(missing)))
            header_seen = True
        value = (row.get("decision_new_commune") or "").split(" ")[0].strip()
        if not value:
            continue
        ref_key = (row.get("ref_key") or "").strip()
        code = value.zfill(5) if value.isdigit() else value
        who = (row.get("decided_by") or "").strip() or (decided_by or "")
        row_no = str(n)  # a row number the reviewer finds in the file: plain digits in every language
        if not ref_key:
            problems.append(msg("row {row}, field ref_key: empty", row=row_no))
        elif ref_key not in items:
            problems.append(msg("row {row}, field ref_key: {ref_key} is not a remap review item in this store",
                                row=row_no, ref_key=ref_key))
        if not (code.isdigit() and len(code) == 5):
            problems.append(msg("row {row}, field decision_new_commune: {value} is not a 5-digit commune code",
                                row=row_no, value=repr(value)))
        elif table.new_commune(code) is None:
            problems.append(msg("row {row}, field decision_new_commune: {code} is not a new commune in table "
                                "{version}", row=row_no, code=code, version=table.version))
        if not who:
            problems.append(msg("row {row}, field decided_by: empty (fill the column or pass --by)", row=row_no))
        earlier = chosen.get(ref_key)
        if ref_key and earlier is not None and earlier[0] != code:
            problems.append(msg("row {row}, field decision_new_commune: {code} contradicts {earlier} given "
                                "earlier for ref_key {ref_key}", row=row_no, code=code, earlier=earlier[0],
                                ref_key=ref_key))
        chosen.setdefault(ref_key, (code, who))
    if not header_seen and not problems:
        raise MappingError(msg("{file}: the file has no rows.", file=name))
    if problems:
        raise MappingError(msg("{n} problem(s) in {file}: {problems}", n=len(problems), file=name,
                               problems=tuple(problems)))
    when = (now or datetime.now(timezone.utc)).replace(tzinfo=None)
    covered = 0
    with store.begin() as conn:
        for ref_key, (code, who) in chosen.items():
            ids = items[ref_key]
            for part in each_one_of(conn, review_item.c.id, ids):  # a reference many records share: many ids
                conn.execute(update(review_item).where(part)
                             .values(state="decided", decision=code, decided_by=who, decided_at=when))
            covered += len(ids)
    log.info(msg("stored {n} review decision(s) covering {items} item(s) from {file}", n=len(chosen), items=covered,
                 file=name))
    return ImportResult(len(chosen), covered)


def _items_by_ref(store: Engine) -> Mapping[str, list[int]]:
    """Reference key → ids of its remap review items that are open or already decided."""
    out: dict[str, list[int]] = {}
    with store.connect() as conn:
        rows = conn.execute(select(review_item.c.id, review_item.c.context)
                            .where(review_item.c.kind == "remap", review_item.c.state.in_(("open", "decided"))))
        for item_id, context in rows:
            ref_key = (context or {}).get("ref_key")
            if ref_key:
                out.setdefault(ref_key, []).append(item_id)
    return out


def decided_counts(store: Engine, ref_keys: Iterable[str]) -> dict[str, int]:
    """How many items of each reference are decided (for reports and tests)."""
    wanted = set(ref_keys)
    counts: dict[str, int] = {}
    with store.connect() as conn:
        for context, in conn.execute(select(review_item.c.context).where(
                review_item.c.kind == "remap", review_item.c.state == "decided")):
            key = (context or {}).get("ref_key")
            if key in wanted:
                counts[key] = counts.get(key, 0) + 1
    return counts
