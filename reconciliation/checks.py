"""Conservation: every extracted record is loaded, merged, quarantined or excluded.

Each term is counted from a different place, so the equation can fail:

- source count: what the source itself counted at the snapshot (``source_snapshot``);
- extracted: what the batch ledger says the newest run read (``batch.extracted``);
- loaded: rows present in the entity table (joined to their lineage);
- merged: accounts that joined an account of another record (``account_alias``);
- quarantined: open quarantine rows; excluded: records set aside by a named rule;
- deleted in source: records the store keeps that the source no longer has, found by
  a run's key comparison and marked (``source_deletion``, see :mod:`migrate.deletions`).

After a delta run (:mod:`migrate.delta`) *extracted* is what it read plus what it
carried over unchanged (the source records its key comparison found in the store);
the equation is then source count = extracted, and loaded + merged + quarantined +
excluded = extracted + deleted in source.

The same equation is broken down per old province, district and commune and
per new commune from the lineage joined to the entity tables.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, Engine, and_, func, select

from mappings.units import UnitTable
from migrate import deletions
from migrate.core.entities import ENTITIES, base_name, entity_of
from migrate.delta import ReadPlan
from migrate.store.inlist import each_one_of
from migrate.store.models import (
    account_alias,
    batch,
    lineage,
    new_unit,
    quarantine,
    source_snapshot,
)
from migrate.core.i18n import Language, language
from migrate.core.messages import N_
from migrate.core.recorded import Phrasebook
from migrate.verdict import EntityShare, Verdict, attachment_warning, entity_warnings, nothing_migrated
from reconciliation.base import CheckResult


@dataclass(frozen=True)
class Balance:
    """One line of the conservation equation."""

    source: str
    entity: str
    source_count: int
    extracted: int
    loaded: int
    merged: int
    quarantined: int
    excluded: int
    problems: tuple[str, ...] = ()
    table: str = ""  # the source table this entity is read from
    deleted_in_source: int = 0  # records the store keeps, marked, that the source no longer has
    # how the newest run read it, not what the store holds: two balances of the same store state are equal
    carried: int = field(default=0, compare=False)  # of extracted: records a delta did not read again
    read: str = field(default="full", compare=False)  # full or delta

    @property
    def accounted(self) -> int:
        return self.loaded + self.merged + self.quarantined + self.excluded

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return dict(asdict(self), accounted=self.accounted, ok=self.ok, problems=list(self.problems))


@dataclass(frozen=True)
class UnitBalance:
    """Records of one source entity grouped by old unit and new commune."""

    source: str
    entity: str
    old_province: str | None
    old_district: str | None
    old_commune: str | None
    new_commune: str | None
    extracted: int
    loaded: int
    merged: int
    quarantined: int
    excluded: int
    in_store: int  # loaded records whose row is really in the entity table
    old_commune_name: str | None = None
    new_commune_name: str | None = None

    @property
    def ok(self) -> bool:
        return (self.extracted == self.loaded + self.merged + self.quarantined + self.excluded
                and self.in_store == self.loaded)

    def as_dict(self) -> dict:
        return dict(asdict(self), ok=self.ok)


@dataclass(frozen=True)
class ConservationResult:
    balances: tuple[Balance, ...]
    units: tuple[UnitBalance, ...] = field(default=())
    reasons: tuple[dict, ...] = field(default=())  # open quarantine grouped by field and reason
    recounted: bool = False  # the sources were counted again by this reconciliation

    name = "conservation"

    @property
    def ok(self) -> bool:
        return bool(self.balances) and all(b.ok for b in self.balances) and all(u.ok for u in self.units)

    def broken(self, lang: Language | None = None) -> list[str]:
        """Each balance that does not hold and why, in ``lang`` (English by default: report.json)."""
        lang = lang or language()
        n = lang.number
        out = [f"{b.source}/{b.entity}: {_BROKEN.say(p, lang)}" for b in self.balances for p in b.problems]
        out += [lang.gettext(UNIT_BROKEN).format(
            source=u.source, entity=u.entity, old=u.old_commune or "-", new=u.new_commune or "-",
            extracted=n(u.extracted), loaded=n(u.loaded), in_store=n(u.in_store), merged=n(u.merged),
            quarantined=n(u.quarantined), excluded=n(u.excluded)) for u in self.units if not u.ok]
        return out

    def as_dict(self) -> dict:
        return {"ok": self.ok, "recounted": self.recounted, "balances": [b.as_dict() for b in self.balances],
                "units": [u.as_dict() for u in self.units], "quarantine_reasons": list(self.reasons),
                "broken": self.broken()}

    def summary_lines(self, lang: Language | None = None) -> list[str]:
        lang = lang or language()
        _ = lang.gettext
        if not self.balances:
            return [_("Nothing migrated yet: the store holds no migration run, so there is no equation to check.")]
        held = (_("Conservation holds for {n} source entities: source count = extracted = loaded + merged + "
                  "quarantined + excluded.") if self.ok else
                _("Conservation is BROKEN for {n} source entities: source count = extracted = loaded + merged + "
                  "quarantined + excluded."))
        lines = [held.format(n=lang.number(len(self.balances)))]
        lines.append(_("The sources were counted again now, read-only.") if self.recounted else
                     _("Source counts are those taken at the snapshot (pass the profiles to count the sources "
                       "again)."))
        lines += self.delta_lines(lang)
        lines.append(_("Per old unit and new commune: {held} of {total} groups hold.").format(
            held=lang.number(sum(u.ok for u in self.units)), total=lang.number(len(self.units))))
        lines += [f"{_('BROKEN')} {p}" for p in self.broken(lang)[:50]]
        return lines

    def delta_lines(self, lang: Language | None = None) -> list[str]:
        """What deletions in the sources and delta runs mean for the equation, when there are any."""
        lang = lang or language()
        _ = lang.gettext
        lines = []
        deleted = sum(b.deleted_in_source for b in self.balances)
        if deleted:
            lines.append(_("{n} record(s) deleted in the source since they were loaded are kept in the store, marked "
                           "deleted-in-source: loaded + merged + quarantined + excluded = extracted + deleted in "
                           "source.").format(n=lang.number(deleted)))
        carried = sum(b.carried for b in self.balances)
        if carried:
            lines.append(_("{n} record(s) were carried over unchanged by a delta run (found in the store by its key "
                           "comparison, not read again): extracted = read + carried over.").format(
                n=lang.number(carried)))
        return lines

    def tables(self) -> dict[str, list[dict]]:
        balances = [{k: v for k, v in b.as_dict().items() if k != "problems"} | {"problems": "; ".join(b.problems)}
                    for b in self.balances]
        return {"conservation": balances, "conservation-by-unit": [u.as_dict() for u in self.units],
                "quarantine-reasons": list(self.reasons)}


def conservation(store: Engine | Connection, source: str | None = None, *, by_unit: bool = True,
                 recounts: Mapping[tuple[str, str], int] | None = None) -> ConservationResult:
    """The equation per source entity (and per old unit and new commune).

    ``recounts`` maps (source, source table) to the count the source gives now;
    when given, each must equal the snapshot's count.
    """
    if isinstance(store, Engine):
        with store.connect() as conn:
            return conservation(conn, source, by_unit=by_unit, recounts=recounts)
    conn = store
    pairs = _pairs(conn, source)
    balances = tuple(_balance(conn, s, e, recounts) for s, e in pairs)
    table = UnitTable.load() if by_unit else None
    units = tuple(u for s, e in pairs for u in _units(conn, s, e, table)) if table is not None else ()
    return ConservationResult(balances, units, tuple(_reasons(conn, source)), recounted=recounts is not None)


_DIGITS = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_RULE = re.compile(r"\(rule ([^)]+)\)\s*$")

# why a balance does not hold: kept in English (report.json), said where shown (_BROKEN, reconciliation/labels.py)
UNFINISHED = N_("{n} batch(es) not loaded; see: hopnhat batches list --state failed")
NOT_RECOUNTED = N_("the source was not counted again: no profile part reads {source}/{table}")
RECOUNT_DIFFERS = N_("the source counts {now} records now but counted {then} at the snapshot: it changed since the "
                     "migration read it")
DELTA_DIFFERS = N_("the delta read {read} records but its key comparison found {found} in the source: the source "
                   "changed while the run read it; run hopnhat run --full")
EXTRACTED_DIFFERS = N_("extracted {extracted} but the source counted {then} at the snapshot")
EXTRACTED_DIFFERS_DELTA = N_("extracted {extracted} ({read} read, {carried} carried over unchanged) but the source "
                             "counted {then} at the snapshot")
UNACCOUNTED = N_("extracted {extracted} but loaded {loaded} + merged {merged} + quarantined {quarantined} + excluded "
                 "{excluded} = {accounted}")
UNACCOUNTED_DELETED = N_("extracted {extracted} + deleted in source {deleted} but loaded {loaded} + merged {merged} + "
                         "quarantined {quarantined} + excluded {excluded} = {accounted}")
BALANCE_PROBLEMS = (UNFINISHED, NOT_RECOUNTED, RECOUNT_DIFFERS, DELTA_DIFFERS, EXTRACTED_DIFFERS,
                    EXTRACTED_DIFFERS_DELTA, UNACCOUNTED, UNACCOUNTED_DELETED)
_BROKEN = Phrasebook.of(BALANCE_PROBLEMS)
UNIT_BROKEN = N_("{source}/{entity} old commune {old} -> {new}: extracted {extracted}, loaded {loaded} ({in_store} in "
                 "store), merged {merged}, quarantined {quarantined}, excluded {excluded}")

# the kinds reason_kind counts by, said where shown (a reason's own sentences: migrate.reasons)
KIND_RULE = N_("{head} (rule {rule})")
KIND_FIELD = N_("{column}: {problem}")
KINDS = (KIND_RULE, KIND_FIELD)
HEADS = (N_("no new commune"), N_("file not found"), N_("the store refused the record"), N_("cannot open {path}"),
         N_("cannot read {path}"))


def reason_kind(reason: str) -> str:
    """A quarantine reason without its particulars, to count records by cause.

    ``"dossier 39 is not in the store (quarantined)"`` -> ``"dossier # is not in the store (quarantined)"``;
    ``"no new commune: <names> (rule review:split-ambiguous)"`` -> ``"no new commune (rule review:split-ambiguous)"``;
    ``"file not found: a/b.pdf"`` -> ``"file not found"``.
    """
    rule = _RULE.search(reason)
    head, sep, _ = reason.partition(": ")
    if rule:
        return KIND_RULE.format(head=head if sep else reason[:rule.start()].strip(), rule=rule.group(1))
    if sep and " " in head and not head.split(" ")[-1].startswith(("'", '"')) and "=" not in head:
        return head
    if sep and "=" in head:  # "column='value': why"
        return KIND_FIELD.format(column=head.split("=", 1)[0],
                                 problem=_QUOTED.sub(chr(8230), _DIGITS.sub("#", reason.partition(": ")[2])))
    return _DIGITS.sub("#", _QUOTED.sub("'…'", reason))[:160]


def _reasons(conn: Connection, source: str | None) -> list[dict]:
    """Open quarantine entries grouped by source, entity, field and kind of reason."""
    stmt = (select(quarantine.c.source_system, quarantine.c.entity, quarantine.c.field, quarantine.c.reason)
            .where(quarantine.c.released_at.is_(None)))
    if source:
        stmt = stmt.where(quarantine.c.source_system == source)
    tally: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for src, entity, fld, reason in conn.execute(stmt.execution_options(yield_per=5000)):
        tally[(src, entity, fld, reason_kind(reason))] += 1
    return [{"source": k[0], "entity": k[1], "field": k[2], "reason": k[3], "records": n}
            for k, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]


def _pairs(conn: Connection, source: str | None) -> list[tuple[str, str]]:
    stmt = select(source_snapshot.c.source_system, source_snapshot.c.entity).distinct()
    if source:
        stmt = stmt.where(source_snapshot.c.source_system == source)
    pairs = conn.execute(stmt).all()
    return sorted(((s, e) for s, e in pairs), key=lambda p: (p[0], ENTITIES.index(base_name(p[1])), p[1]))


def _balance(conn: Connection, source: str, entity: str,
             recounts: Mapping[tuple[str, str], int] | None) -> Balance:
    run_id = conn.execute(
        select(func.max(source_snapshot.c.run_id))
        .where(source_snapshot.c.source_system == source, source_snapshot.c.entity == entity)
    ).scalar_one()
    snap = conn.execute(
        select(source_snapshot.c.source_count, source_snapshot.c.source_table, source_snapshot.c.read_plan)
        .where(source_snapshot.c.run_id == run_id, source_snapshot.c.source_system == source,
               source_snapshot.c.entity == entity)
    ).one()
    table = snap.source_table
    ledger_rows = conn.execute(
        select(batch.c.state, func.count(), func.coalesce(func.sum(batch.c.extracted), 0))
        .where(batch.c.run_id == run_id, batch.c.source_system == source, batch.c.entity == entity)
        .group_by(batch.c.state)
    ).all()
    read_now = sum(int(total) for state, _, total in ledger_rows if state in ("loaded", "verified"))
    plan = ReadPlan.from_dict(snap.read_plan)
    carried = plan.carried(read_now) if plan is not None else 0
    extracted = read_now + carried
    deleted = deletions.count(conn, source, table)
    unfinished = sum(int(n) for state, n, _ in ledger_rows if state not in ("loaded", "verified"))
    target = entity_of(entity).store_table
    loaded = _count(conn, target, source, table)
    merged = 0
    if entity_of(entity).merges:
        merged = conn.execute(
            select(func.count()).select_from(account_alias)
            .where(account_alias.c.source_system == source, account_alias.c.source_table == table,
                   account_alias.c.match_rule != "self")
        ).scalar_one()
    quarantined = conn.execute(
        select(func.count()).select_from(quarantine)
        .where(quarantine.c.source_system == source, quarantine.c.source_table == table,
               quarantine.c.released_at.is_(None))
    ).scalar_one()
    excluded = conn.execute(
        select(func.count()).select_from(lineage)
        .where(lineage.c.source_system == source, lineage.c.source_table == table, lineage.c.outcome == "excluded")
    ).scalar_one()
    b = Balance(source, entity, int(snap.source_count), extracted, loaded, int(merged), int(quarantined),
                int(excluded), table=table, carried=carried, deleted_in_source=deleted,
                read=plan.mode if plan is not None else "full")
    problems = []
    if unfinished:
        problems.append(UNFINISHED.format(n=unfinished))
    now = (recounts or {}).get((source, table))
    if recounts is not None and now is None:
        problems.append(NOT_RECOUNTED.format(source=source, table=table))
    elif now is not None and now != b.source_count:
        problems.append(RECOUNT_DIFFERS.format(now=now, then=b.source_count))
    if carried < 0:
        problems.append(DELTA_DIFFERS.format(read=read_now, found=carried + read_now))
    if b.extracted != b.source_count:
        problems.append((EXTRACTED_DIFFERS_DELTA if carried else EXTRACTED_DIFFERS).format(
            extracted=b.extracted, read=read_now, carried=carried, then=b.source_count))
    if b.accounted != b.extracted + deleted:
        problems.append((UNACCOUNTED_DELETED if deleted else UNACCOUNTED).format(
            extracted=b.extracted, deleted=deleted, loaded=b.loaded, merged=b.merged, quarantined=b.quarantined,
            excluded=b.excluded, accounted=b.accounted))
    return Balance(**{**asdict(b), "problems": tuple(problems)})


def _count(conn: Connection, target, source: str, table: str) -> int:
    return int(conn.execute(
        select(func.count()).select_from(target)
        .where(target.c.source_system == source, target.c.source_table == table)
    ).scalar_one())


def _units(conn: Connection, source: str, entity: str, units: UnitTable) -> list[UnitBalance]:
    target = entity_of(entity).store_table
    table = conn.execute(
        select(source_snapshot.c.source_table)
        .where(source_snapshot.c.source_system == source, source_snapshot.c.entity == entity)
        .order_by(source_snapshot.c.run_id.desc()).limit(1)
    ).scalar_one()
    joined = lineage.outerjoin(target, and_(
        target.c.source_system == lineage.c.source_system,
        target.c.source_table == lineage.c.source_table,
        target.c.source_key == lineage.c.source_key,
    ))
    group = (lineage.c.old_province_code, lineage.c.old_district_code, lineage.c.old_commune_code,
             lineage.c.new_commune_code)
    rows = conn.execute(
        select(*group, lineage.c.outcome, func.count(), func.count(target.c.id))
        .select_from(joined)
        .where(lineage.c.source_system == source, lineage.c.source_table == table)
        .group_by(*group, lineage.c.outcome)
    )
    tally: dict[tuple[str | None, str | None, str | None, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for province, district, commune, new, outcome, n, in_store in rows:
        t = tally[(province, district, commune, new)]
        t[outcome] += int(n)
        t["extracted"] += int(n)
        if outcome == "loaded":
            t["in_store"] += int(in_store)
    wanted = sorted({k[3] for k in tally if k[3]})
    new_names = {code: name for part in each_one_of(conn, new_unit.c.code, wanted) for code, name in conn.execute(
        select(new_unit.c.code, new_unit.c.name).where(part))}
    return [
        UnitBalance(source, entity, key[0], key[1], key[2], key[3], extracted=t["extracted"], loaded=t["loaded"], merged=t["merged"],
                    quarantined=t["quarantined"], excluded=t["excluded"], in_store=t["in_store"],
                    old_commune_name=_old_name(units, key[2]), new_commune_name=new_names.get(key[3]))
        for key, t in sorted(tally.items(), key=lambda kv: tuple(v or "" for v in kv[0]))
    ]


def _old_name(units: UnitTable, code: str | None) -> str | None:
    unit = units.old_commune(code) if code else None
    return f"{unit.commune_name}, {unit.district_name}" if unit else None


def verdict(checks: Sequence[CheckResult]) -> Verdict:
    """Passed, passed with named warnings, or failed: see :mod:`migrate.verdict`.

    An empty store is not a broken equation: its verdict is the warning
    ``nothing-migrated``.
    """
    cons = next((c for c in checks if isinstance(c, ConservationResult)), None)
    empty = cons is not None and not cons.balances
    failed = tuple(c.name for c in checks if not c.ok and not (empty and c is cons))
    shares = tuple(EntityShare(b.source, b.entity, b.source_count, b.extracted, b.loaded + b.merged,
                               b.quarantined, b.table) for b in (cons.balances if cons else ()))
    warnings = [nothing_migrated()] if empty else entity_warnings(shares)
    files = next((c for c in checks if c.name == "attachments"), None)
    if files is not None and getattr(files, "files_dir", None) is not None:
        missing = attachment_warning(shares, int(getattr(files, "files", 0)))
        if missing is not None:
            warnings.append(missing)
    return Verdict(failed, tuple(warnings), shares)
