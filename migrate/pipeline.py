"""The migration run: extract each source entity in keyset batches, prepare, load.

``run(settings)`` plans and executes batches, resuming (or joining, when
another process or machine is working on it) an unfinished run of the same
sources; ``--workers N`` starts N worker processes (see :mod:`migrate.workers`).
``rerun(settings, batch_id)`` re-reads one batch's key range and loads it
again; ``rerun_failed`` and ``rerun_quarantined`` do so for every failed batch
or every batch holding open quarantine entries. After any of them, batches
whose quarantined children now have their parent in the store are rerun too,
so the quarantine shrinks as causes are fixed. A failing batch is recorded in
the ledger and the run goes on with the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from adapters import open_source
from adapters.inspect import schema_findings
from mappings.agencies import RemapTable
from mappings.rules import ManualDecision, Resolver
from mappings.units import UnitTable
from migrate import delta, ledger, quarantine, reasons
from migrate.catalog import CatalogReport, catalog_report
from migrate.config import Settings, SourceSettings
from migrate.core.errors import ConfigError, HopnhatError, StoreError
from migrate.core.i18n import Language, language
from migrate.core.messages import Message, msg, say
from migrate.core.progress import Progress, Tallies
from migrate.leases import RUN_LOCK, advisory_xact_lock, is_postgresql
from migrate.store import schema
from migrate.store.models import new_unit, review_item
from migrate.store.upsert import upsert
from migrate.verdict import EntityShare, Verdict, entity_warnings
from migrate.walkin import WalkInLinks, link_walk_ins
from migrate.workers import Worker

log = logging.getLogger(__name__)

WATCH = 1.0  # seconds between two looks at the ledger while worker processes load batches


def tool_version() -> str:
    try:
        return version("hopnhat")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class EntityResult:
    source: str
    entity: str
    source_count: int
    counts: ledger.Counts = field(default_factory=ledger.Counts)
    failed_batches: list[int] = field(default_factory=list)
    error: str | None = None
    plan: delta.ReadPlan | None = None  # how the run read the part (full or delta) and what was deleted
    part_quarantined: int | None = None  # a delta's part: open quarantine entries of the whole part

    @property
    def share(self) -> EntityShare:
        """What the verdict weighs. A delta reads a few records, some of them again only because of the
        margin: its warnings weigh the whole part (read + carried over, the part's open quarantine)."""
        c = self.counts
        if self.plan is not None and self.plan.delta and self.part_quarantined is not None:
            extracted = c.extracted + self.carried
            return EntityShare(self.source, self.entity, self.source_count, extracted,
                               extracted - self.part_quarantined - c.excluded, self.part_quarantined)
        return EntityShare(self.source, self.entity, self.source_count, c.extracted, c.loaded + c.merged,
                           c.quarantined)

    @property
    def carried(self) -> int:
        """Source records a delta did not read again: the store holds them unchanged."""
        return self.plan.carried(self.counts.extracted) if self.plan is not None else 0

    @property
    def deleted(self) -> int:
        """Records the store holds that the source no longer has (kept, marked deleted-in-source)."""
        return self.plan.deleted if self.plan is not None else 0


@dataclass
class RunReport:
    run_id: int
    resumed: bool
    results: list[EntityResult]
    seconds: float
    catalog: CatalogReport | None = None
    walk_ins: WalkInLinks | None = None
    identifiers: str = ""

    @property
    def failed_batches(self) -> list[int]:
        return [b for r in self.results for b in r.failed_batches]

    @property
    def ok(self) -> bool:
        return not self.failed_batches and not any(r.error for r in self.results)

    @property
    def verdict(self) -> Verdict:
        """Failed batches are errors (exit 1, see ``ok``); this names what loaded but was not migrated."""
        shares = tuple(r.share for r in self.results)
        return Verdict((), tuple(entity_warnings(shares)), shares)

    def summary(self, lang: Language | None = None) -> str:
        """What the terminal shows, in ``lang`` (English by default)."""
        lang = lang or language()
        _, n = lang.gettext, lang.number
        head = _("Run {id} (resumed): {n} source entities in {seconds}s") if self.resumed else \
            _("Run {id}: {n} source entities in {seconds}s")
        lines = [head.format(id=self.run_id, n=n(len(self.results)), seconds=n(round(self.seconds, 1)))]
        columns = (_("source/entity"), _("source"), _("extracted"), _("loaded"), _("merged"), _("quarant."),
                   _("excluded"))
        w = [max(d, len(h) + 1) for d, h in zip((34, 9, 10, 9, 8, 9, 9), columns)]
        lines.append("  " + columns[0].ljust(w[0]) + "".join(h.rjust(x) for h, x in zip(columns[1:], w[1:])))
        for r in self.results:
            c = r.counts
            figures = (r.source_count, c.extracted, c.loaded, c.merged, c.quarantined, c.excluded)
            lines.append("  " + (r.source + "/" + r.entity).ljust(w[0])
                         + "".join(n(v).rjust(x) for v, x in zip(figures, w[1:])))
            if r.error:
                lines.append("    " + say(msg("error: {error}", error=reasons.PHRASEBOOK.recorded(r.error)), lang))
        for r in self.results:
            lines += [f"  {line}" for line in _read_lines(r, lang)]
        for batch_id in self.failed_batches:
            lines.append("  " + say(msg("Batch {id} failed. Rerun: hopnhat batches rerun {id}", id=str(batch_id)), lang))
        if self.catalog is not None:
            lines.append("  " + self.catalog.summary(lang).replace("\n", "\n  "))
        if self.identifiers:
            lines.append("  " + say(msg("Old identifiers: {index}", index=self.identifiers), lang))
        if self.walk_ins is not None and (self.walk_ins.linked or self.walk_ins.ambiguous or self.walk_ins.waiting):
            lines.append("  " + say(msg("Walk-in documents: {links}", links=self.walk_ins.summary()), lang))
        if self.ok:
            lines += [f"  {line}" for line in self.verdict.lines(lang)]
        return "\n".join(lines)


def _moment(value: object, lang: Language) -> object:
    """A watermark as a person reads it: ``dd/mm/yyyy HH:MM:SS`` in Vietnamese; English keeps the ISO text."""
    return lang.datetime(value) if lang.code != "en" and isinstance(value, (str, dt.datetime)) else value


def _read_lines(r: EntityResult, lang: Language) -> list[str]:
    """How a part was read (a delta, or in full and why) and the records deleted in its source."""
    p = r.plan
    if p is None:
        return []
    _, n = lang.gettext, lang.number
    part = f"{r.source}/{r.entity}"
    out = []
    if p.delta:
        out.append(_("{part}: delta: {read} record(s) changed or new since {since} (the last watermark {previous} "
                     "minus {margin} s) read; {carried} carried over unchanged").format(
            part=part, read=n(r.counts.extracted), since=_moment(p.since, lang), previous=_moment(p.previous, lang),
            margin=n(round(p.margin)),
            carried=n(r.carried)))
        if p.unreached:
            out.append(_("{part}: {n} new record(s) without a watermark past the last one, read by key").format(
                part=part, n=n(p.unreached)))
        if p.retried:
            out.append(_("{part}: {n} record(s) with a reviewer's decision not applied yet, read again by key").format(
                part=part, n=n(p.retried)))
    elif p.reason and p.reason != "first load":
        out.append(_("{part}: read in full: {reason}").format(part=part, reason=say(delta.kept(p.reason), lang)))
    if p.deleted:
        out.append(_("{part}: {n} record(s) deleted in the source ({new} found by this run): kept in the store, "
                     "marked deleted-in-source").format(part=part, n=n(p.deleted), new=n(p.marked)))
    if p.back:
        out.append(_("{part}: {n} record(s) marked deleted before are in the source again: mark taken off").format(
            part=part, n=n(p.back)))
    if not p.compared and p.note and p.reason != "first load":
        out.append(_("{part}: deletions not looked for: {note}").format(part=part, note=say(delta.kept(p.note), lang)))
    return out


def build_resolver(settings: Settings, store: Engine, units: UnitTable) -> Resolver:
    from mappings.split_rules import SplitRules

    rules = SplitRules.load(settings.split_rules, units) if settings.split_rules else None
    return Resolver(units, split_rules=rules, manual=manual_decisions(store),
                    default_part_policy=settings.default_part_policy)


def manual_decisions(store: Engine) -> list[ManualDecision]:
    """Decisions reviewers made in the review queue, by reference key."""
    with store.connect() as conn:
        rows = conn.execute(
            select(review_item.c.context, review_item.c.decision, review_item.c.decided_by)
            .where(review_item.c.kind == "remap", review_item.c.state == "decided")
        )
        out = {}
        for context, decision, who in rows:
            ref_key = (context or {}).get("ref_key")
            if ref_key and decision:
                out[ref_key] = ManualDecision(ref_key, decision, who or "")
    return list(out.values())


def seed_units(store: Engine, units: UnitTable) -> None:
    rows = [dict(code=c.code, name=c.name, province_code=c.province_code, province_name=c.province_name,
                 table_version=units.version) for c in units.new_communes()]
    with store.begin() as conn:
        upsert(conn, new_unit, rows, keys=("code",), changed=("name", "table_version"))


def open_store(settings: Settings) -> Engine:
    store = schema.connect(settings.store_url)
    schema.require_current(store)
    return store


def run(settings: Settings, *, progress: Progress | None = None, resume: bool = True) -> RunReport:
    """Plan and load every batch of the sources; resume or join an unfinished run of the same sources.

    ``progress`` hears "migrating" per source part: records extracted of the
    source's count at the snapshot. With worker processes the counts are read
    from the ledger, so every process's batches are counted.
    """
    started = time.monotonic()
    store = open_store(settings)
    if settings.workers > 1 and not is_postgresql(store):
        raise ConfigError(msg("--workers {workers} needs a PostgreSQL store: an SQLite store takes one writer at a "
                              "time. Use --workers 1, or a postgresql+psycopg:// store", workers=str(settings.workers)))
    units = UnitTable.load()
    seed_units(store, units)
    run_id, resumed, errors = _start(settings, store, units, resume)
    children = [_spawn(settings, run_id) for _ in range(settings.workers - 1)]
    tallies = _tallies(store, run_id, progress)
    watcher = _Watcher(store, run_id, tallies) if children and progress is not None else None
    worker = Worker(settings, store, build_resolver(settings, store, units), run_id,
                    None if watcher is not None else tallies)
    worker.work()
    for child in children:
        child.join()
        if child.exitcode != 0:
            errors[("*", "*")] = f"worker process {child.pid} ended with exit code {child.exitcode}"
    if watcher is not None:
        watcher.stop()
    errors.update(worker.errors)
    identifiers = Counter(worker.identifiers)
    release_unblocked(settings, store, units, progress=progress, identifiers=identifiers)
    walk_ins = link_walk_ins(store)
    report = _report(store, settings, run_id, resumed, errors, time.monotonic() - started)
    report.walk_ins = walk_ins
    report.catalog = catalog_report(store, [s.name for s in settings.sources],
                                    RemapTable.load(settings.remaps) if settings.remaps else None)
    n = identifiers
    report.identifiers = (msg("indexed with each batch ({new} new, {changed} changed, {removed} removed by this "
                              "process)", new=n["inserted"], changed=n["updated"], removed=n["deleted"]) if children
                          else msg("indexed with each batch ({new} new, {changed} changed, {removed} removed)",
                                   new=n["inserted"], changed=n["updated"], removed=n["deleted"]))
    with store.begin() as conn:
        ledger.finish_run(conn, run_id, "done" if report.ok else "failed")
    return report


def _start(settings: Settings, store: Engine, units: UnitTable,
           resume: bool) -> tuple[int, bool, dict[ledger.Pair, str]]:
    """Find the unfinished run of these sources (or start one) and take each entity's source count."""
    errors: dict[ledger.Pair, str] = {}
    problems: list[str] = []  # profile tables or columns the source lacks: the run does not start
    names = [s.name for s in settings.sources]
    with store.begin() as conn:
        advisory_xact_lock(conn, RUN_LOCK)  # two processes starting together join one run
        run_id = ledger.resumable_run(conn, names) if resume else None
        resumed = run_id is not None
        if run_id is None:
            run_id = ledger.start_run(
                conn, tool_version=tool_version(), mapping_version=units.version, mapping_sha256=units.sha256,
                profiles=[{"name": s.name, "path": s.profile.path.name, "resolved": str(s.profile.path.resolve()),
                           "sha256": s.profile.sha256} for s in settings.sources])
        else:
            ledger.reopen_run(conn, run_id)
        for source in settings.sources:
            try:
                adapter = open_source(source.name, source.url)
            except HopnhatError as exc:
                errors.update({(source.name, label): str(exc) for label in source.profile.entities})
                continue
            try:
                mismatch = _schema_problems(source, adapter)
                if mismatch:
                    problems += mismatch
                    continue
                plans = ledger.snapshot_plans(conn, run_id) if resumed else {}
                for spec in source.profile.ordered():
                    try:
                        known = plans.get((source.name, spec.label))  # a resumed run reads as it began
                        if known is not None:
                            count, plan = adapter.count(spec), known
                        else:
                            taken = delta.Census(adapter, spec)  # beside the key comparison
                            plan = delta.plan(
                                conn, adapter, spec, source=source.name, run_id=run_id,
                                profile_sha256=source.profile.sha256, mapping_sha256=units.sha256,
                                full=settings.full, margin=settings.delta_margin, scratch=None, census=taken,
                                batch_size=settings.batch_size).as_dict()
                            count = taken.result()[0]
                    except HopnhatError as exc:
                        errors[(source.name, spec.label)] = str(exc)
                        continue
                    ledger.record_snapshot(conn, run_id, source.name, spec.label, spec.table, count, plan)
            finally:
                adapter.close()
        if problems:  # raised inside the transaction: no run is started or reopened
            raise ConfigError(problems)
    return run_id, resumed, errors


def _schema_problems(source: SourceSettings, adapter) -> list[Message]:
    """What ``hopnhat source check`` reports as errors (tables and columns the source lacks), ending
    with the command that shows them; a run started anyway would quarantine every child as an orphan."""
    try:
        findings = schema_findings(source.profile, adapter)
    except HopnhatError as exc:  # the source cannot even be listed: the entities' counts report it
        log.debug("schema check of %s skipped: %s", source.name, exc)
        return []
    if not findings:
        return []
    path = source.profile.path
    return [msg("{file} [{part}]: {problem}", file=path.name, part=f.where, problem=f.message) for f in findings] + [
        msg("{source}: the run did not start; every problem with the closest names: hopnhat source check {path}",
            source=source.name, path=str(path))]


def _tallies(store: Engine, run_id: int, progress: Progress | None) -> Tallies:
    """Records extracted per source part, of the snapshot's count, starting from what earlier batches did."""
    with store.connect() as conn:
        totals = ledger.run_totals(conn, run_id)
    return Tallies(progress, "migrating", {pair: count for pair, (count, _, _) in totals.items()},
                   {pair: counts.extracted for pair, (_, counts, _) in totals.items()})


class _Watcher:
    """Reads the ledger's counts every ``WATCH`` seconds, so batches of other processes are counted too."""

    def __init__(self, store: Engine, run_id: int, tallies: Tallies) -> None:
        self._store, self._run_id, self._tallies = store, run_id, tallies
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="progress", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopped.wait(WATCH):
            self._look()

    def _look(self) -> None:
        try:
            with self._store.connect() as conn:
                totals = ledger.run_totals(conn, self._run_id)
        except DBAPIError as exc:  # the workers wait a lost store out; the display just misses a look
            log.debug("progress: ledger not read: %s", exc)
            return
        for (source, part), (_, counts, _) in totals.items():  # parts not begun yet get no report
            if (source, part) in self._tallies or counts.extracted != self._tallies.done.get((source, part), 0):
                self._tallies.set(source, part, counts.extracted)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self._look()


def _spawn(settings: Settings, run_id: int):
    process = multiprocessing.get_context("spawn").Process(target=_work_child, args=(settings, run_id), daemon=False)
    process.start()
    return process


def _work_child(settings: Settings, run_id: int) -> None:
    """One extra worker process of ``run --workers N``."""
    import sys

    store = open_store(settings)
    worker = Worker(settings, store, build_resolver(settings, store, UnitTable.load()), run_id)
    worker.work()
    sys.exit(1 if worker.errors else 0)


def _report(store: Engine, settings: Settings, run_id: int, resumed: bool, errors: dict[ledger.Pair, str],
            seconds: float) -> RunReport:
    results: list[EntityResult] = []
    with store.connect() as conn:
        totals = ledger.run_totals(conn, run_id)
        plans = ledger.snapshot_plans(conn, run_id)
        _results(conn, settings, totals, plans, errors, results)
    if ("*", "*") in errors:
        results.append(EntityResult("*", "workers", 0, error=errors[("*", "*")]))
    return RunReport(run_id, resumed, results, seconds)


def _results(conn: Connection, settings: Settings, totals: dict, plans: dict[ledger.Pair, dict],
             errors: dict[ledger.Pair, str], results: list[EntityResult]) -> None:
    """One result per part of every profile: the run's counts, how the part was read."""
    for source in settings.sources:
        for spec in source.profile.ordered():
            name = spec.label
            count, counts, failed = totals.get((source.name, name), (0, ledger.Counts(), []))
            plan = delta.ReadPlan.from_dict(plans.get((source.name, name)))
            held = quarantine.open_count(conn, source.name, spec.table) if plan is not None and plan.delta else None
            results.append(EntityResult(source.name, name, count, counts, failed, errors.get((source.name, name)),
                                        plan, held))


# --- reruns ----------------------------------------------------------------------------------


def rerun(settings: Settings, batch_id: int, *, progress: Progress | None = None) -> ledger.BatchRow:
    """Re-read one batch's key range from its source and load it again (idempotent)."""
    return rerun_batches(settings, [batch_id], progress=progress)[0]


def rerun_failed(settings: Settings, *, progress: Progress | None = None) -> list[ledger.BatchRow]:
    """Rerun every failed batch of the profiles' sources, oldest first."""
    return rerun_selected(settings, failed=True, progress=progress)


def rerun_quarantined(settings: Settings, *, progress: Progress | None = None) -> list[ledger.BatchRow]:
    """Rerun the batches holding open quarantine entries, e.g. after a mapping decision or a profile fix."""
    return rerun_selected(settings, quarantined=True, progress=progress)


def rerun_batches(settings: Settings, batch_ids: Sequence[int], *, progress: Progress | None = None) -> list[ledger.BatchRow]:
    """Rerun the given batches in stage order, then the batches their loads unblocked."""
    store = open_store(settings)
    units = UnitTable.load()
    with store.connect() as conn:
        rows = ledger.require(conn, batch_ids)
    rows.sort(key=lambda r: (ledger.stage_of(r.entity), r.id))
    _rerun_rows(settings, store, units, rows, progress)
    release_unblocked(settings, store, units, progress=progress)
    link_walk_ins(store)  # an account released from quarantine may hold a walk-in applicant's number
    with store.connect() as conn:
        return [ledger.get(conn, r.id) for r in rows]  # type: ignore[misc]


def release_unblocked(settings: Settings, store: Engine, units: UnitTable, *, progress: Progress | None = None,
                      identifiers: Counter[str] | None = None) -> int:
    """Rerun batches whose quarantined records waited for a parent that is now in the store.

    ``identifiers`` adds up the old-identifier index rows the reruns wrote.
    """
    total = 0
    for _ in ledger.STAGES:  # a parent released in one stage can unblock children in the next
        with store.connect() as conn:
            ids = quarantine.unblocked_batches(conn, settings.sources)
        if not ids:
            break
        with store.connect() as conn:
            rows = [r for r in (ledger.get(conn, i) for i in ids) if r is not None]
        rows.sort(key=lambda r: (ledger.stage_of(r.entity), r.id))
        log.info(msg("rerunning {n} batch(es) whose quarantined records now have their parent", n=len(rows)))
        changed = _rerun_rows(settings, store, units, rows, progress)
        if identifiers is not None:
            identifiers.update(changed)
        total += len(rows)
    return total


def _rerun_rows(settings: Settings, store: Engine, units: UnitTable, rows: Sequence[ledger.BatchRow],
                progress: Progress | None) -> Counter[str]:
    """Load the batches again; the old-identifier index rows written."""
    resolver = build_resolver(settings, store, units)
    tallies = Tallies(progress, "rerunning")
    workers: dict[int, Worker] = {}
    try:
        for row in rows:
            source = next((s for s in settings.sources if s.name == row.source_system), None)
            if source is None:
                raise StoreError(msg("{batch} belongs to source {source}; pass its profile", batch=row.describe(),
                                     source=row.source_system))
            spec = source.profile.entities.get(row.entity)
            if spec is None:
                raise StoreError(msg("{batch}: the profile of {source} no longer has entity {entity}",
                                     batch=row.describe(), source=source.name, entity=row.entity))
            worker = workers.setdefault(row.run_id, Worker(settings, store, resolver, row.run_id, tallies))
            spec = worker.read_spec(source, spec)  # a batch of a delta run reads the delta's records again
            if worker.execute(source, spec, row.id, row.key_lo, row.key_hi) == "taken":
                raise StoreError(msg("{batch} is being worked on by another worker; try again when it ends",
                                     batch=row.describe()))
    finally:
        for worker in workers.values():
            worker.close()
    return sum((w.identifiers for w in workers.values()), Counter())


def profiles_for(settings: Settings, batch_ids: Sequence[int] | None = None) -> list[str]:
    """The profile files recorded when the batches' runs started.

    Without batch ids: those of the newest run and of every run with a failed batch.
    """
    store = open_store(settings)
    with store.connect() as conn:
        if batch_ids is not None:
            runs = {r.run_id for r in ledger.require(conn, batch_ids)}
        else:
            runs = {r.run_id for r in ledger.listing(conn, state="failed")}
            newest = ledger.newest_run(conn)
            if newest is not None:
                runs.add(newest)
        paths: dict[str, str] = {}
        for run_id in sorted(runs, reverse=True):
            for p in ledger.run_profiles(conn, run_id):
                paths.setdefault(p["name"], p.get("resolved") or p["path"])
    if not paths:
        raise ConfigError(msg("no run in the store names its profiles; pass the profile files"))
    missing = [p for p in paths.values() if not Path(p).is_file()]
    if missing:
        raise ConfigError(msg("profile file(s) recorded at run start are gone: {files}; "
                              "pass the profiles on the command line", files=", ".join(missing)))
    return list(paths.values())


def rerun_selected(settings: Settings, batch_ids: Sequence[int] = (), *, failed: bool = False,
                   quarantined: bool = False, progress: Progress | None = None) -> list[ledger.BatchRow]:
    """Rerun the named batches, plus every failed one and/or every one holding open quarantine entries."""
    store = open_store(settings)
    names = [s.name for s in settings.sources]
    ids = set(batch_ids)
    with store.connect() as conn:
        if failed:
            ids |= {r.id for r in ledger.listing(conn, state="failed") if r.source_system in names}
        if quarantined:
            ids |= set(quarantine.batches_with_open_entries(conn, names))
    return rerun_batches(settings, sorted(ids), progress=progress) if ids else []
