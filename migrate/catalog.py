"""Agencies and procedures: what the sources used, and where each went after the reform.

District-level agencies no longer exist; their procedures moved to communes
or to the province. After a run, every agency and procedure code seen in the
loaded dossiers (and on staff accounts) is written to the store's ``agency``
and ``procedure`` tables with its remap from the province-supplied table
(:mod:`mappings.agencies`). A code the table does not map is reported, never
dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from mappings.agencies import RemapTable
from migrate.store.models import account, agency, dossier, procedure
from migrate.store.upsert import upsert


@dataclass(frozen=True)
class CatalogReport:
    agencies: int
    procedures: int
    unmapped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "source/kind" -> codes
    remaps_given: bool = False

    @property
    def complete(self) -> bool:
        return self.remaps_given and not any(self.unmapped.values())

    def summary(self) -> str:
        head = f"Catalog: {self.agencies} agencies, {self.procedures} procedures"
        if not self.remaps_given:
            return head + "; no agency/procedure remap table given (--remaps), none remapped"
        missing = {k: v for k, v in self.unmapped.items() if v}
        if not missing:
            return head + "; every code maps"
        lines = [head + "; codes without a remap:"]
        lines += [f"  {k}: {', '.join(v[:20])}{' …' if len(v) > 20 else ''} ({len(v)})" for k, v in missing.items()]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"agencies": self.agencies, "procedures": self.procedures, "remaps_given": self.remaps_given,
                "unmapped": {k: list(v) for k, v in self.unmapped.items()}}


def build_catalog(store: Engine, remaps: RemapTable | None = None) -> CatalogReport:
    table = remaps or RemapTable.of(())
    with store.begin() as conn:
        agencies = _distinct(conn, dossier.c.agency_code, dossier.c.agency_name)
        for source, code in conn.execute(
                select(account.c.source_system, account.c.agency_code).distinct()
                .where(account.c.agency_code.is_not(None))):
            agencies.setdefault((source, code), None)
        procedures = _distinct(conn, dossier.c.procedure_code, dossier.c.procedure_name)
        agency_rows = [_row(table, "agency", s, c, n) for (s, c), n in agencies.items()]
        procedure_rows = [_row(table, "procedure", s, c, n) for (s, c), n in procedures.items()]
        for row in procedure_rows:
            row.pop("level")
            row.pop("new_unit_code")
        upsert(conn, agency, agency_rows, keys=("source_system", "code"), changed=("name", "level", "new_code"))
        upsert(conn, procedure, procedure_rows, keys=("source_system", "code"), changed=("name", "new_code"))
    unmapped: dict[str, tuple[str, ...]] = {}
    if remaps is None:
        return CatalogReport(len(agencies), len(procedures), unmapped, False)
    for kind, found in (("agency", agencies), ("procedure", procedures)):
        for source in sorted({s for s, _ in found}):
            codes = [c for s, c in found if s == source]
            unmapped[f"{source}/{kind}"] = table.check(kind, codes).unmapped  # type: ignore[arg-type]
    return CatalogReport(len(agencies), len(procedures), unmapped, True)


def _distinct(conn, code_col, name_col) -> dict[tuple[str, str], str | None]:
    rows = conn.execute(
        select(dossier.c.source_system, code_col, name_col).distinct().where(code_col.is_not(None))
        .order_by(dossier.c.source_system, code_col)
    )
    out: dict[tuple[str, str], str | None] = {}
    for source, code, name in rows:
        out.setdefault((source, code), name)
    return out


def _row(table: RemapTable, kind: str, source: str, code: str, name: str | None) -> dict:
    remap = table.get(kind, code)  # type: ignore[arg-type]
    return {
        "source_system": source, "code": code, "name": name,
        "level": remap.target_level if remap else "unmapped",
        "new_code": remap.target_code if remap else None,
        "new_unit_code": None,
    }
