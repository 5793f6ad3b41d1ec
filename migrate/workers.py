"""Workers: plan the next batch or claim a planned one, then read and load it; many at once on PostgreSQL.

One worker loop serves ``hopnhat run`` on one machine (``--workers N`` starts
N of them) and on several machines pointed at the same PostgreSQL store:

- Planning reads the keys alone. Whoever holds the entity's snapshot row lock
  (``SELECT ... FOR UPDATE``) reads the key range of the next page after the
  last key planned (``adapter.bounds``: no payload read, no record prepared)
  and records it as a planned batch, its lease taken (a delta's batches the
  key comparison already counted are taken from its plan: nothing is read for
  them, see :class:`migrate.core.records.Delta`); reading and preparing
  the batch's records is the work of the worker holding it, so two workers
  share it and nothing is read twice.
- A worker takes its next batch (claimed or planned, its lease held) before
  it loads the current one, and reads and prepares it in a thread meanwhile
  (:mod:`migrate.readahead`); no other worker takes a batch whose lease is held.
- Planned batches, and running batches whose worker was killed or lost its
  connection, are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and a
  fresh lease (:mod:`migrate.leases`).
- Stages (``ledger.STAGES``) keep the order between entities: no dossier is
  loaded before every account is, on any worker.
- The batch's rows and its ledger row commit together, in one transaction of
  the worker's store session (:mod:`migrate.session`), which waits out a store
  that restarts: a batch is wholly in the store or not at all.

What a worker uses, each in its own module: the store session, its leases, the
pool of source adapters (:mod:`migrate.sourcepool`), the batch read ahead while a
batch loads (:mod:`migrate.readahead`), and the planner statistics of the tables
it grows (:class:`migrate.load.Statistics`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from mappings.agencies import RemapTable
from mappings.rules import Resolver
from migrate import collector, ledger
from migrate.config import Settings, SourceSettings
from migrate.core.entities import REGISTRY
from migrate.core.errors import HopnhatError, SourceError, message_of
from migrate.core.messages import msg
from migrate.core.progress import Tallies
from migrate.core.retry import policy
from migrate.core.records import EntitySpec, Key, RawRecord
from migrate.delta import ReadPlan
from migrate.leases import (  # noqa: F401 - re-exported for the pipeline and older callers
    ACCOUNT_LOCK,
    RUN_LOCK,
    LeaseLost,
    Leases,
    advisory_xact_lock,
    is_postgresql,
)
from migrate.load import BatchContext, Statistics, load_batch
from migrate.prepare import Prepared, prepare_page
from migrate.readahead import Page, ReadAhead
from migrate.session import StoreSession, one_line
from migrate.sourcepool import SourcePool, source_failed

log = logging.getLogger(__name__)

WAIT = 0.2  # seconds between looks at a stage other workers are finishing

Pairs = Sequence[tuple[SourceSettings, EntitySpec]]


@dataclass
class Worker:
    settings: Settings
    store: Engine
    resolver: Resolver
    run_id: int
    progress: Tallies | None = None  # records extracted per source part, reported as batches complete
    name: str = field(default_factory=ledger.worker_name)
    errors: dict[ledger.Pair, str] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)
    identifiers: Counter[str] = field(default_factory=Counter)  # old-identifier index rows written
    _planned: set[ledger.Pair] = field(default_factory=set)
    _plans: dict[ledger.Pair, dict] | None = None  # how the run reads each part (migrate.delta), read once
    _statistics: Statistics = field(default_factory=Statistics)

    def __post_init__(self) -> None:
        self.leases = Leases(is_postgresql(self.store))
        self.session = StoreSession(self.store, on_lost=self.leases.lost)
        self.ahead = ReadAhead()
        self.sources = SourcePool(self.settings.batch_size, self.settings.max_attempts, self.ahead)
        self.remaps = RemapTable.load(self.settings.remaps) if self.settings.remaps else None

    # --- the stage loop -----------------------------------------------------------------
    def work(self) -> None:
        """Work through every stage of the run until no batch of it is left."""
        try:
            with collector.paced():
                for stage in ledger.STAGES:
                    pairs = [(s, self.read_spec(s, spec)) for s in self.settings.sources
                             for spec in s.profile.ordered() if spec.name in stage]
                    self._work_stage(pairs)
        finally:
            self.close()

    def read_spec(self, source: SourceSettings, spec: EntitySpec) -> EntitySpec:
        """The part as this worker's run reads it: with its delta filter where the run reads a delta, so
        every page, key range and rerun of its batches reads the same records."""
        if self._plans is None:
            self._plans = self.session.txn(lambda conn: ledger.snapshot_plans(conn, self.run_id))
        plan = ReadPlan.from_dict(self._plans.get((source.name, spec.label)))
        return plan.spec(spec) if plan is not None else spec

    def _work_stage(self, pairs: Pairs) -> None:
        while True:
            current = self._next(pairs)
            if current is None:
                names = [(s.name, e.label) for s, e in self._live(pairs)]
                if not self.session.txn(lambda conn: ledger.stage_open(conn, self.run_id, names)):
                    return
                # the store says a part is not planned to its end, or a batch is due: what this worker saw planned
                # is read from the store again (a store server that crashed may have lost a commit it acknowledged)
                self._planned.clear()
                time.sleep(WAIT)  # other workers are finishing batches of this stage
                continue
            while current is not None:  # the next batch taken first, so it is read ahead while this one loads
                following = self._next(pairs)
                self.execute(current.source, current.spec, current.batch_id, current.lo, current.hi,
                             ahead=following, claimed=True)
                current = following

    def _live(self, pairs: Pairs) -> Pairs:
        return [(s, e) for s, e in pairs if (s.name, e.label) not in self.errors]

    def _next(self, pairs: Pairs) -> Claimed | None:
        """A batch of the stage for this worker, its lease taken: one planned before (or abandoned), else the
        next one planned now."""
        live = self._live(pairs)
        return self._claim_one(live) or self._plan_one(live)

    def _claim_one(self, pairs: Pairs) -> Claimed | None:
        names = [(s.name, e.label) for s, e in pairs]
        row = self.session.txn(lambda conn: self._claim(conn, names))
        if row is None:
            return None
        source, spec = next((s, e) for s, e in pairs if (s.name, e.label) == (row.source_system, row.entity))
        return Claimed(source, spec, row.id, row.key_lo, row.key_hi)

    def _claim(self, conn: Connection, names: list[ledger.Pair]) -> ledger.BatchRow | None:
        for batch_id in ledger.claimable(conn, self.run_id, names, skip_locked=self.leases.postgresql):
            if batch_id in self.leases:
                continue  # held already: the batch this worker loads or reads ahead
            if self.leases.take(conn, batch_id):
                row = ledger.get(conn, batch_id)
                if row is not None and row.state in ("planned", "running"):
                    if row.state == "running":
                        log.warning(msg("{batch}: its worker stopped; {worker} takes it over", batch=row.describe(),
                                        worker=self.name))
                    return row
                self.leases.release(conn, batch_id)
        return None

    def _plan_one(self, pairs: Pairs) -> Claimed | None:
        for source, spec in pairs:
            if (source.name, spec.label) in self._planned:
                continue
            try:
                planned = self.sources.retry(source, spec,
                                             lambda: self.session.txn(lambda c: self._plan(c, source, spec)))
            except HopnhatError as exc:
                self.errors[(source.name, spec.label)] = ledger.PLANNING_STOPPED.format(error=exc)
                log.error(msg("{where}: {problem}", where="/".join((source.name, spec.label)),
                              problem=msg(ledger.PLANNING_STOPPED, error=message_of(exc))))
                continue
            if planned is None:
                self._planned.add((source.name, spec.label))
                continue
            return planned
        return None

    def _plan(self, conn: Connection, source: SourceSettings, spec: EntitySpec) -> Claimed | None:
        """The part's next batch: its key range read from the source's keys alone, under the part's snapshot
        lock; its records are read by whoever works on it."""
        snapshot = ledger.lock_snapshot(conn, self.run_id, source.name, spec.label)
        if snapshot is None or snapshot.planned_at is not None:
            return None
        seq, last = ledger.last_planned(conn, self.run_id, source.name, spec.label)
        pages = spec.delta.pages if spec.delta is not None else ()
        # a delta's batches as its key comparison counted them; past them (records added since), from the source
        bounds = pages[seq] if seq < len(pages) else self.sources.bounds(source, spec, last)
        if bounds is None:
            ledger.mark_planned(conn, snapshot.id)
            return None
        lo, hi = bounds
        batch_id = ledger.open_batch(conn, run_id=self.run_id, source=source.name, entity=spec.label,
                                     table=spec.table, seq=seq, lo=lo, hi=hi)
        self.leases.take(conn, batch_id)
        return Claimed(source, spec, batch_id, lo, hi)

    def _take_ahead(self, source: SourceSettings, spec: EntitySpec, batch_id: int) -> Page | None:
        """The batch's records and their preparation, when they were read ahead."""
        return self.ahead.take(batch_id)

    # --- one batch ------------------------------------------------------------------------
    def execute(self, source: SourceSettings, spec: EntitySpec, batch_id: int, lo: Key, hi: Key, *,
                ahead: Claimed | None = None, claimed: bool = False) -> str:
        """Load one batch, retrying transient failures; returns the state it ends in.

        Its records come from the read-ahead when they were read ahead, else from
        the source. ``ahead`` (the next batch this worker holds) is read and
        prepared in a thread while this batch loads. ``claimed``: a batch the worker
        loop planned or claimed, which is not loaded again if its lease went with a
        lost connection and another worker loaded it meanwhile.
        """
        tries = attempts = 0
        page: list[RawRecord] | None = None
        prepared: list[Prepared] | None = None
        read = self._take_ahead(source, spec, batch_id)
        if read is not None:
            page, prepared = read
        if self.progress is not None:
            self.progress.tally(source.name, spec.label)  # the part begins (or goes on) here

        def attempt() -> ledger.Counts:
            nonlocal page, prepared, tries, attempts
            tries += 1
            try:
                attempts = self.session.txn(lambda conn: self._mark_running(conn, batch_id, claimed))
                records = page if page is not None else self.sources.read_range(source, spec, lo, hi)
                if prepared is None:
                    self.ahead.wait()  # the resolver serves one thread at a time
                    prepared = prepare_page(spec, records, self.resolver, source.profile.old_province,
                                            self.settings.dates)
                if ahead is not None and tries == 1:
                    self.ahead.start(ahead.batch_id, ahead.source.name, self.sources.adapter(ahead.source),
                                     ahead.spec, ahead.lo, ahead.hi, self.settings.batch_size, self.resolver,
                                     ahead.source.profile.old_province, self.settings.dates)
                return self._load_once(source, spec, batch_id, prepared)
            except SourceError:  # a source that went away may come back: read it again
                page, prepared = None, None
                self.sources.forget(source)
                raise

        try:
            try:
                counts = policy(attempts=self.settings.max_attempts, transient=source_failed, log=log,
                                what=msg("batch {id}", id=str(batch_id)))(attempt)
            except LeaseLost:
                log.warning(msg("batch {id} was taken over by another worker", id=str(batch_id)))
                return "taken"
            except (HopnhatError, DBAPIError, OSError) as exc:  # not transient, or still failing at the last try
                error = one_line(exc)
            except Exception as exc:  # noqa: BLE001 - a fault of the batch, never a crashed run
                log.exception(msg("batch {id}: unexpected error", id=str(batch_id)))
                error = f"{type(exc).__name__}: {one_line(exc)}"
            else:
                _log_loaded(batch_id, source.name, spec.label, lo, hi, tries, counts)
                if self.progress is not None:
                    self.progress.add(source.name, spec.label, counts.extracted)
                self._refresh_statistics(spec, counts)
                return "loaded"
            said = msg(ledger.FAILED, id=str(batch_id), source=source.name, entity=spec.label, lo=_key(lo), hi=_key(hi),
                       n=attempts or tries, error=error)  # kept in English, logged in the command's language
            message = str(said)
            log.error(said)
            self.session.txn(lambda conn: ledger.mark_failed(conn, batch_id, message))
            self.failed.append(batch_id)
            return "failed"
        finally:
            if batch_id in self.leases and self.session.connected:
                self.session.txn(lambda conn: self.leases.release(conn, batch_id))

    def _load_once(self, source: SourceSettings, spec: EntitySpec, batch_id: int,
                   prepared: list[Prepared]) -> ledger.Counts:
        """The batch's rows, its index and catalogue rows and its ledger row, in one transaction."""
        ctx = BatchContext(
            batch_id=batch_id, source_system=source.name,
            parent_tables={name: e.table for name, e in source.profile.entities.items()},
            files_root=source.files_root, files_dir=self.settings.files_dir, now=ledger.now(),
            optional_file=spec.attachment == "optional", remaps=self.remaps, raw_columns=spec.columns)
        changed: Counter[str] = Counter()

        def load(conn: Connection) -> ledger.Counts:
            changed.clear()  # a transaction retried after a lost connection counts again
            self.leases.require(conn, batch_id)
            if REGISTRY[spec.name].merges:  # matching sees every account loaded before, by any worker
                advisory_xact_lock(conn, ACCOUNT_LOCK)
            counts = load_batch(conn, ctx, spec.name, spec.table, prepared, changed)
            ledger.mark_loaded(conn, batch_id, counts)
            return counts

        counts = self.session.txn(load)
        self.identifiers.update(changed)
        return counts

    def _mark_running(self, conn: Connection, batch_id: int, claimed: bool = False) -> int:
        lost = claimed and batch_id not in self.leases  # the lease went with a lost connection
        self.leases.require(conn, batch_id)
        if lost:  # taken again: is the batch still due, or did another worker load it meanwhile?
            row = ledger.get(conn, batch_id)
            if row is None or row.state not in ("planned", "running"):
                raise LeaseLost(batch_id)
        return ledger.mark_running(conn, batch_id, self.name)

    def _refresh_statistics(self, spec: EntitySpec, counts: ledger.Counts) -> None:
        """ANALYZE the tables this worker grew enough; a batch already loaded never fails for it."""
        due = self._statistics.loaded(spec.name, counts)
        if due:
            try:
                self.session.txn(lambda conn: self._statistics.refresh(conn, due))
            except (HopnhatError, DBAPIError) as exc:
                log.warning(msg("planner statistics of {tables} not refreshed: {error}", tables=", ".join(due),
                                error=one_line(exc)))

    def close(self) -> None:
        self.ahead.close()
        self.sources.close()
        self.session.close()


@dataclass(frozen=True)
class Claimed:
    """A batch this worker holds the lease of: its part and its key range."""

    source: SourceSettings
    spec: EntitySpec
    batch_id: int
    lo: Key
    hi: Key


def _log_loaded(batch_id: int, source: str, entity: str, lo: Key, hi: Key, attempt: int,
                counts: ledger.Counts) -> None:
    """One info line per loaded batch (``hopnhat -v``); its figures are also fields of a JSON log line."""
    if not log.isEnabledFor(logging.INFO):
        return
    log.info(msg("batch {id} ({source}/{entity}, keys {lo}..{hi}) loaded: extracted {extracted}, loaded {loaded}, "
                 "merged {merged}, quarantined {quarantined}, excluded {excluded}", id=str(batch_id), source=source,
                 entity=entity, lo=_key(lo), hi=_key(hi), extracted=counts.extracted, loaded=counts.loaded,
                 merged=counts.merged, quarantined=counts.quarantined, excluded=counts.excluded),
             extra={"batch_id": batch_id, "source": source, "entity": entity, "attempt": attempt,
                    "extracted": counts.extracted, "loaded": counts.loaded, "merged": counts.merged,
                    "quarantined": counts.quarantined, "excluded": counts.excluded})


def _key(key: Key) -> str:
    return ",".join(str(k) for k in key)
