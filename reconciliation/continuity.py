"""Continuity: every old dossier number and every old account still leads somewhere after cutover.

For each source record of an entity holding an identifier meant to be unique (the
entity registry's: dossiers and accounts), from the lineage:

- loaded: its row is in the store (dossier), or, for an entity whose records
  merge, its alias points at an account that is (merged accounts point at the
  account they joined);
- quarantined or excluded: listed, with the reason, as not yet in the new system;
- anything else resolves to nothing, and the check fails.

Dossier numbers and usernames shared by several records are listed as
ambiguities (lookups show them all, none is picked). The old-identifier index
that lookups use must hold every such record and nothing that is gone. Password
schemes are counted and the accounts the new system cannot verify are listed
for a reset notice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, Engine, and_, case, exists, func, select

from migrate.continuity.export import ambiguous_identifiers
from migrate.continuity.identifiers import mask
from migrate.continuity.index import ID_KINDS, is_built
from migrate.continuity.passwords import DEFAULT_VERIFIABLE, identify
from migrate.core.entities import REGISTRY, Entity
from migrate.core.i18n import Language, language
from migrate.store.inlist import each_one_of
from reconciliation import labels
from migrate.store.models import (
    account_alias,
    dossier,
    lineage,
    old_identifier,
    quarantine,
)

LISTED = 1000  # rows per table in the report; counts are always complete
# The entities whose old records must still lead somewhere: those holding an identifier meant to be unique
# (the registry's), the numbered records (children) before the accounts they hang from.
CONTINUED = tuple(e.name for e in sorted((e for e in REGISTRY.values() if e.continued), key=lambda e: -e.stage))
# Where the records of an entity whose records merge keep their old identity: one alias row per source record.
_ALIAS_TARGET = account_alias.c.account_id


@dataclass(frozen=True)
class Resolution:
    """How the old records of one entity resolve."""

    entity: str
    extracted: int
    resolved: int  # to their own new record
    merged: int  # to the record they were merged into
    set_aside: int  # quarantined or excluded: listed, not yet in the new system
    unresolved: int

    def line(self, lang: Language | None = None) -> str:
        lang = lang or language()
        _ = lang.gettext
        n = lang.number
        if REGISTRY[self.entity].merges:
            said = _("old {entity}s: {extracted}; {resolved} resolve to a new {entity}, {merged} to the account they "
                     "were merged into, {set_aside} held in quarantine or excluded (listed), {unresolved} resolve "
                     "to nothing")
        else:
            said = _("old {entity}s: {extracted}; {resolved} resolve to a new {entity}, {set_aside} held in "
                     "quarantine or excluded (listed), {unresolved} resolve to nothing")
        return said.format(entity=labels.entity_name(self.entity, lang), extracted=n(self.extracted), resolved=n(self.resolved),
                           merged=n(self.merged), set_aside=n(self.set_aside), unresolved=n(self.unresolved))


@dataclass(frozen=True)
class IndexState:
    built: bool
    identifiers: int = 0
    missing: int = 0  # source records the index does not know
    outdated: int = 0  # identifiers pointing at records gone, moved or changed

    @property
    def fresh(self) -> bool:
        return self.built and not self.missing and not self.outdated

    def line(self, lang: Language | None = None) -> str:
        lang = lang or language()
        _ = lang.gettext
        if not self.built:
            return _("index: NOT BUILT, so lookups find nothing; run: hopnhat continuity index --store URL")
        if self.fresh:
            return _("index: up to date ({n} old identifiers)").format(n=lang.number(self.identifiers))
        return _("index: OUT OF DATE ({missing} record(s) not indexed, {outdated} identifier(s) pointing at records "
                 "gone or changed); run: hopnhat continuity index --store URL").format(
                     missing=lang.number(self.missing), outdated=lang.number(self.outdated))


@dataclass(frozen=True)
class ContinuityResult:
    resolutions: tuple[Resolution, ...]
    index: IndexState
    unresolved: tuple[dict, ...] = ()
    set_aside: tuple[dict, ...] = ()
    ambiguous_dossier_numbers: tuple[dict, ...] = ()
    ambiguous_usernames: tuple[dict, ...] = ()
    schemes: dict[str, int] = field(default_factory=dict)
    reset_notices: tuple[dict, ...] = ()
    reset_total: int = 0
    require_index: bool = True
    name: str = "continuity"

    @property
    def ok(self) -> bool:
        resolved = all(r.unresolved == 0 for r in self.resolutions)
        return resolved and (self.index.fresh or (not self.require_index and not self.index.built))

    def summary_lines(self, lang: Language | None = None) -> list[str]:
        lang = lang or language()
        _ = lang.gettext
        n = lang.number
        lines = [_("Continuity: holds") if self.ok else _("Continuity: BROKEN")]
        lines += [f"  {r.line(lang)}" for r in self.resolutions]
        lines.append("  " + _("ambiguous, listed (lookups show every record): {numbers} dossier number(s), "
                              "{usernames} username(s) shared by several records").format(
                                  numbers=n(len(self.ambiguous_dossier_numbers)),
                                  usernames=n(len(self.ambiguous_usernames))))
        lines.append(f"  {self.index.line(lang)}")
        schemes = ", ".join(f"{name} {n(count)}" for name, count in sorted(self.schemes.items(), key=lambda kv: -kv[1]))
        lines.append("  " + _("password schemes: {schemes}; {reset} account(s) listed for a reset notice (scheme not "
                              "verifiable by the new system)").format(schemes=schemes or _("none"),
                                                                      reset=n(self.reset_total)))
        for row in self.unresolved[:10]:
            lines.append("  " + _("RESOLVES TO NOTHING") + f" {row['source_system']}/{row['source_table']}/"
                         f"{row['source_key']} ({row['entity']}): {labels.PROBLEMS.say(row['problem'], lang)}")
        return lines

    def as_dict(self) -> dict:
        return {"ok": self.ok, "resolutions": [asdict(r) for r in self.resolutions],
                "index": asdict(self.index) | {"fresh": self.index.fresh}, "schemes": dict(self.schemes),
                "reset_total": self.reset_total, **{name: rows for name, rows in self.tables().items()}}

    def tables(self) -> dict[str, list[dict]]:
        return {
            "continuity-unresolved": list(self.unresolved),
            "continuity-quarantined": list(self.set_aside),
            "continuity-ambiguous-dossier-numbers": list(self.ambiguous_dossier_numbers),
            "continuity-ambiguous-usernames": list(self.ambiguous_usernames),
            "continuity-reset-notices": list(self.reset_notices),
        }


def continuity(store: Engine | Connection, *, verifiable: frozenset[str] = DEFAULT_VERIFIABLE,
               require_index: bool = True) -> ContinuityResult:
    """Check that old dossier numbers and accounts resolve; ``require_index`` also demands a fresh index.

    Only reads: takes the runner's read-only connection, or an engine.
    """
    if isinstance(store, Engine):
        with store.connect() as conn:
            return continuity(conn, verifiable=verifiable, require_index=require_index)
    conn = store
    built = is_built(conn)
    resolutions, unresolved, set_aside = [], [], []
    for entity in CONTINUED:
        r, bad, aside = _resolution(conn, REGISTRY[entity])
        resolutions.append(r)
        unresolved += bad
        set_aside += aside
    index = _index_state(conn) if built else IndexState(False)
    numbers, usernames = _ambiguities(conn, built)
    schemes, resets, reset_total = _passwords(conn, verifiable)
    return ContinuityResult(tuple(resolutions), index, tuple(unresolved), tuple(set_aside), tuple(numbers),
                            tuple(usernames), schemes, tuple(resets), reset_total, require_index)


def _resolution(conn: Connection, definition: Entity) -> tuple[Resolution, list[dict], list[dict]]:
    L = lineage.c
    entity, table = definition.name, definition.store_table
    if definition.merges:  # a source record resolves through its alias row to the record it is (or joined)
        joined = lineage.outerjoin(account_alias, _same(account_alias, lineage)).outerjoin(
            table, table.c.id == _ALIAS_TARGET)
        nowhere = labels.UNRESOLVED_ALIAS
    else:
        joined = lineage.outerjoin(table, _same(table, lineage))
        nowhere = labels.UNRESOLVED
    present = table.c.id
    live = L.outcome.in_(["loaded", "merged"])
    state = case((~live, "set-aside"), (present.is_(None), "nothing"), (L.outcome == "merged", "merged"),
                 else_="resolved")
    counts = Counter({s: int(n) for s, n in conn.execute(
        select(state, func.count()).select_from(joined).where(L.entity == entity).group_by(state))})
    listed = conn.execute(
        select(L.source_system, L.source_table, L.source_key, L.outcome, quarantine.c.field, quarantine.c.reason,
               L.rule)
        .select_from(joined.outerjoin(quarantine, _same(quarantine, lineage)))
        .where(L.entity == entity, ~live | present.is_(None)).order_by(L.id).limit(2 * LISTED)).all()
    unresolved, aside = [], []
    for r in listed:
        row = {"entity": entity, "source_system": r.source_system, "source_table": r.source_table,
               "source_key": r.source_key, "outcome": r.outcome}
        if r.outcome in ("loaded", "merged"):
            unresolved.append(row | {"problem": nowhere.format(outcome=r.outcome, table=table.name)})
        else:
            aside.append(row | {"field": r.field if r.reason else None,  # the reason as kept, said where shown
                                "reason": r.reason or r.rule or r.outcome})
    resolution = Resolution(entity, sum(counts.values()), counts["resolved"], counts["merged"],
                            counts["set-aside"], counts["nothing"])
    return resolution, unresolved[:LISTED], aside[:LISTED]


def _same(table, other):
    return and_(table.c.source_system == other.c.source_system, table.c.source_table == other.c.source_table,
                table.c.source_key == other.c.source_key)


def _index_state(conn: Connection) -> IndexState:
    o, L = old_identifier.c, lineage.c
    total = conn.execute(select(func.count()).select_from(old_identifier)).scalar_one()
    id_kind = case(*((L.entity == e, k) for e, k in ID_KINDS.items()))
    missing = conn.execute(
        select(func.count()).select_from(lineage)
        .where(L.entity.in_(list(ID_KINDS)), L.outcome.in_(["loaded", "merged", "quarantined"]),
               ~exists().where(o.lineage_id == L.id, o.kind == id_kind))).scalar_one()
    outdated = conn.execute(
        select(func.count()).select_from(old_identifier)
        .where(o.state == "quarantined",
               ~exists().where(L.id == o.lineage_id, L.outcome == "quarantined"))).scalar_one()
    for e in REGISTRY.values():
        if not e.key_kind and not e.identifier_fields():
            continue  # the index points at no row of it
        table = e.store_table
        outdated += conn.execute(
            select(func.count()).select_from(old_identifier)
            .where(o.target_table == table.name, ~exists().where(table.c.id == o.target_id))).scalar_one()
    for e in REGISTRY.values():
        if not e.key_kind:
            continue
        # a record reloaded under another id, an account merged differently: its old id points elsewhere
        table, target = (account_alias, _ALIAS_TARGET) if e.merges else (e.store_table, e.store_table.c.id)
        outdated += conn.execute(
            select(func.count()).select_from(old_identifier.join(table, _same(table, old_identifier)))
            .where(o.kind == e.key_kind, o.target_id != target)).scalar_one()
    for e in REGISTRY.values():
        if not e.number:
            continue
        table, field = e.store_table, e.field(e.number)
        outdated += conn.execute(  # a record's number changed by a later load
            select(func.count()).select_from(old_identifier.join(table, table.c.id == o.target_id))
            .where(o.kind == field.identifier, o.target_table == table.name,
                   o.value != table.c[field.store_column])).scalar_one()
    return IndexState(True, int(total), int(missing), int(outdated))


def _ambiguities(conn: Connection, built: bool) -> tuple[list[dict], list[dict]]:
    if built:
        shared = ambiguous_identifiers(conn)
        wanted = {kind: [norm for k, norm in shared if k == kind] for kind in ("dossier-no", "username")}
        out = []
        for kind, column in (("dossier-no", "dossier_no"), ("username", "username")):
            rows: dict[str, dict] = {}
            norms = wanted[kind][:LISTED]
            for part in each_one_of(conn, old_identifier.c.normalized, norms):
                for r in conn.execute(
                        select(old_identifier.c.normalized, old_identifier.c.value, old_identifier.c.source_system,
                               old_identifier.c.target_table, old_identifier.c.target_id)
                        .where(old_identifier.c.kind == kind, part)
                        .order_by(old_identifier.c.normalized, old_identifier.c.source_system)):
                    row = rows.setdefault(r.normalized, {column: r.value, "records": shared[(kind, r.normalized)],
                                                         "sources": [], "new_records": []})
                    row["sources"].append(r.source_system)
                    row["new_records"].append(f"{r.target_table} {r.target_id}" if r.target_id else "quarantined")
            out.append([dict(r, sources=", ".join(sorted(set(r["sources"]))),
                             new_records=", ".join(sorted(set(r["new_records"]))),
                             **({"username": mask("username", r["username"])} if kind == "username" else {}))
                        for r in rows.values()])
        return out[0], out[1]
    d, a = dossier.c, account_alias.c
    numbers = conn.execute(
        select(d.dossier_no, func.count(), func.min(d.source_system), func.max(d.source_system))
        .group_by(d.dossier_no).having(func.count() > 1).limit(LISTED)).all()
    names = conn.execute(
        select(a.username, func.count(func.distinct(a.account_id)), func.min(a.source_system), func.max(a.source_system))
        .where(a.username.is_not(None)).group_by(a.username).having(func.count(func.distinct(a.account_id)) > 1)
        .limit(LISTED)).all()
    return ([{"dossier_no": n, "records": int(c), "sources": ", ".join(sorted({lo, hi}))} for n, c, lo, hi in numbers],
            [{"username": mask("username", n), "records": int(c), "sources": ", ".join(sorted({lo, hi}))}
             for n, c, lo, hi in names])


def _passwords(conn: Connection, verifiable: frozenset[str]) -> tuple[dict[str, int], list[dict], int]:
    a = account_alias.c
    schemes: Counter[str] = Counter()
    resets: list[dict] = []
    total = 0
    for r in conn.execute(select(a.source_system, a.source_key, a.username, a.account_id, a.password_hash)
                          .order_by(a.id)).yield_per(5000):
        scheme = identify(r.password_hash)
        schemes[scheme.name] += 1
        reason = scheme.reset_reason(verifiable)
        if reason:
            total += 1
            if len(resets) < LISTED:
                resets.append({"source_system": r.source_system, "source_key": r.source_key,
                               "username": mask("username", r.username), "new_account_id": int(r.account_id),
                               "scheme": scheme.name, "reason": reason})
    return dict(schemes), resets, total
