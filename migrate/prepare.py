"""Turn a page of legacy rows into canonical records with their remap decisions.

No store access here: the result of preparing a record depends only on the
record, the profile and the mapping rules, which is what makes a rerun
reproduce the same outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.base import EntitySpec, RawRecord
from mappings.rules import Decision, Resolver, UnitRef
from migrate.canonical import Rejection, content_hash, to_canonical

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

    @property
    def source_key(self) -> str:
        return self.raw.source_key


def prepare_page(spec: EntitySpec, page: Sequence[RawRecord], resolver: Resolver,
                 default_province: str | None) -> list[Prepared]:
    return [prepare(spec, raw, resolver, default_province) for raw in page]


def prepare(spec: EntitySpec, raw: RawRecord, resolver: Resolver, default_province: str | None) -> Prepared:
    record, rejection = to_canonical(spec, raw)
    digest = content_hash(spec.name, record)
    if rejection is not None or spec.name not in PLACED:
        return Prepared(raw, record, digest, None, None, rejection)
    ref = unit_ref(record, default_province)
    decision = resolver.resolve(ref)
    if spec.name == "dossier" and not decision.resolved:
        # A dossier must land in a commune that can see it: unresolved means quarantine + review.
        rejection = Rejection(
            raw.source_key, "commune_code",
            f"no new commune: {decision.detail or decision.rule} (rule {decision.rule})", raw.payload,
        )
    return Prepared(raw, record, digest, ref, decision, rejection)


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
