"""Agencies and procedures: what the sources used, and where each went after the reform.

District-level agencies no longer exist; their procedures moved to communes
or to the province. Every agency and procedure code seen in the loaded
dossiers (and on staff accounts) is written to the store's ``agency`` and
``procedure`` tables by the batch that loads it, in the batch's transaction,
so the catalogue costs what a run changed, never a scan of the entity tables.
At the end of a run each code gets its remap from the province-supplied table
(:mod:`mappings.agencies`). A code the table does not map is reported, never
dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mappings.agencies import RemapTable
from migrate.core.entities import REGISTRY
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from migrate.store.models import agency, procedure

CATALOGUED = frozenset({"agency_code", "procedure_code"})  # the fields whose codes the catalogue keeps


@dataclass(frozen=True)
class CatalogReport:
    agencies: int
    procedures: int
    unmapped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "source/kind" -> codes
    remaps_given: bool = False

    @property
    def complete(self) -> bool:
        return self.remaps_given and not any(self.unmapped.values())

    def summary(self, lang: Language | None = None) -> str:
        """One line (and the codes without a remap), in ``lang`` (English by default)."""
        lang = lang or language()
        counts = {"agencies": self.agencies, "procedures": self.procedures}
        if not self.remaps_given:
            return say(msg("Catalog: {agencies} agencies, {procedures} procedures; no agency/procedure remap table "
                           "given (--remaps), none remapped", **counts), lang)
        missing = {k: v for k, v in self.unmapped.items() if v}
        if not missing:
            return say(msg("Catalog: {agencies} agencies, {procedures} procedures; every code maps", **counts), lang)
        lines = [say(msg("Catalog: {agencies} agencies, {procedures} procedures; codes without a remap:", **counts),
                     lang)]
        lines += [f"  {k}: {', '.join(v[:20])}{' …' if len(v) > 20 else ''} ({lang.number(len(v))})"
                  for k, v in missing.items()]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"agencies": self.agencies, "procedures": self.procedures, "remaps_given": self.remaps_given,
                "unmapped": {k: list(v) for k, v in self.unmapped.items()}}


def note_batch(conn: Connection, source_system: str, entity: str, rows: Sequence[Mapping[str, object]],
               remaps: RemapTable | None) -> None:
    """Catalogue the agency and procedure codes of one batch's rows, inside the batch's transaction.

    A code already catalogued is left alone (``ON CONFLICT DO NOTHING`` takes no
    lock on it), except that a name fills a code catalogued without one (agency
    codes of staff accounts come before the dossiers that name them).
    """
    table = remaps or RemapTable.of(())
    agencies, procedures = _codes(entity, rows)
    for target, kind, found in ((agency, "agency", agencies), (procedure, "procedure", procedures)):
        if not found:
            continue
        values = [_row(table, kind, source_system, code, name) for code, name in sorted(found.items())]
        if kind == "procedure":
            for row in values:
                row.pop("level")
                row.pop("new_unit_code")
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(target).on_conflict_do_nothing(index_elements=["source_system", "code"]), values)
        named = [{"s": source_system, "c": code, "n": name} for code, name in sorted(found.items()) if name]
        if named:
            conn.execute(update(target).where(target.c.source_system == bindparam("s"),
                                              target.c.code == bindparam("c"), target.c.name.is_(None))
                         .values(name=bindparam("n")), named)


def _name(value: object) -> str | None:
    return None if value is None else str(value)


def _codes(entity: str, rows: Sequence[Mapping[str, object]]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Agency and procedure codes of a batch's entity rows, each with the first name given to it."""
    agencies: dict[str, str | None] = {}
    procedures: dict[str, str | None] = {}
    if not CATALOGUED & set(REGISTRY[entity].field_names):
        return agencies, procedures
    for row in rows:
        code = row.get("agency_code")
        if code is not None and agencies.get(str(code)) is None:
            agencies[str(code)] = _name(row.get("agency_name"))
        code = row.get("procedure_code")
        if code is not None and procedures.get(str(code)) is None:
            procedures[str(code)] = _name(row.get("procedure_name"))
    return agencies, procedures


def catalog_report(store: Engine, sources: Sequence[str], remaps: RemapTable | None = None) -> CatalogReport:
    """Read what the batches catalogued for ``sources``, bringing each code's remap in line with ``remaps``.

    Reads the ``agency`` and ``procedure`` tables only (one row per code), never the entity tables.
    """
    table = remaps or RemapTable.of(())
    found: dict[str, dict[tuple[str, str], None]] = {}
    with store.begin() as conn:
        for target, kind in ((agency, "agency"), (procedure, "procedure")):
            columns = [target.c.source_system, target.c.code, target.c.name, target.c.new_code]
            if kind == "agency":
                columns.append(target.c.level)
            rows = conn.execute(select(*columns).where(target.c.source_system.in_(list(sources)))
                                .order_by(target.c.source_system, target.c.code)).all()
            found[kind] = {(r.source_system, r.code): None for r in rows}
            stale = []
            for r in rows:
                want = _row(table, kind, r.source_system, r.code, r.name)
                if want["new_code"] != r.new_code or (kind == "agency" and want["level"] != r.level):
                    stale.append({"s": r.source_system, "c": r.code, "new_code": want["new_code"],
                                  **({"level": want["level"]} if kind == "agency" else {})})
            if stale:
                values: dict[str, object] = {"new_code": bindparam("new_code")}
                if kind == "agency":
                    values["level"] = bindparam("level")
                conn.execute(update(target).where(target.c.source_system == bindparam("s"),
                                                  target.c.code == bindparam("c")).values(**values), stale)
    agencies, procedures = found["agency"], found["procedure"]
    unmapped: dict[str, tuple[str, ...]] = {}
    if remaps is None:
        return CatalogReport(len(agencies), len(procedures), unmapped, False)
    for kind, codes_of in (("agency", agencies), ("procedure", procedures)):
        for source in sorted({s for s, _ in codes_of}):
            codes = [c for s, c in codes_of if s == source]
            unmapped[f"{source}/{kind}"] = table.check(kind, codes).unmapped  # type: ignore[arg-type]
    return CatalogReport(len(agencies), len(procedures), unmapped, True)


def _row(table: RemapTable, kind: str, source: str, code: str, name: str | None) -> dict:
    remap = table.get(kind, code)  # type: ignore[arg-type]
    return {
        "source_system": source, "code": code, "name": name,
        "level": remap.target_level if remap else "unmapped",
        "new_code": remap.target_code if remap else None,
        "new_unit_code": None,
    }
