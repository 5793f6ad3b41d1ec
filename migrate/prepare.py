"""Turn a page of legacy rows into canonical records with their remap decisions.

No store access here: the result of preparing a record depends only on the
record, the profile and the mapping rules, which is what makes a rerun
reproduce the same outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from migrate.core.records import EntitySpec, RawRecord
from mappings.rules import Decision, Resolver, UnitRef
from migrate.core.canonical import Converter, Rejection, content_hash, converter, excluder

# Entities whose own fields say where they belong; the others inherit their parent's place.
PLACED = ("account", "dossier")


@dataclass(frozen=True)
class Prepared:
    raw: RawRecord
    record: dict[str, object]
    content_hash: str
    ref: UnitRef | None
    decision: Decision | None
    rejection: Rejection | None
    source_key: str  # the lineage form of raw.key, computed once
    excluded: str | None = None  # the reason of the profile's exclude rule this record meets


def prepare_page(spec: EntitySpec, page: Sequence[RawRecord], resolver: Resolver,
                 default_province: str | None) -> list[Prepared]:
    convert, exclude = converter(spec), excluder(spec)
    return [prepare(spec, raw, resolver, default_province, convert, exclude) for raw in page]


def prepare(spec: EntitySpec, raw: RawRecord, resolver: Resolver, default_province: str | None,
            convert: Converter | None = None, exclude=None) -> Prepared:
    record, rejection = (convert or converter(spec))(raw)
    digest = content_hash(spec.name, record)
    source_key = raw.source_key
    excluded = (exclude or excluder(spec))(raw)
    if excluded is not None:  # set aside by a named rule: counted as excluded, never converted further
        return Prepared(raw, record, digest, None, None, None, source_key, excluded)
    if rejection is not None or spec.name not in PLACED or not spec.remap:
        return Prepared(raw, record, digest, None, None, rejection, source_key)
    ref = unit_ref(record, default_province)
    decision = resolver.resolve(ref)
    if spec.name == "dossier" and not decision.resolved:
        # A dossier must land in a commune that can see it: unresolved means quarantine + review.
        rejection = Rejection(
            source_key, "commune_code",
            f"no new commune: {decision.detail or decision.rule} (rule {decision.rule})", raw.payload,
        )
    return Prepared(raw, record, digest, ref, decision, rejection, source_key)


def unit_ref(record: dict[str, object], default_province: str | None) -> UnitRef:
    def text(name: str) -> str | None:
        value = record.get(name)
        return None if value is None else str(value)

    return UnitRef(
        province_code=text("province_code") or default_province,
        district_code=text("district_code"),
        commune_code=text("commune_code"),
        address=text("address"),
    )
