"""Workers: plan the next batch or claim a planned one, then load it; many at once on PostgreSQL.

One worker loop serves ``hopnhat run`` on one machine (``--workers N`` starts
N of them) and on several machines pointed at the same PostgreSQL store:

- Planning reads keyset pages in order. Whoever holds the entity's snapshot
  row lock (``SELECT ... FOR UPDATE``) reads the next page after the last key
  planned, records it as a planned batch and works on it with the page in hand:
  nothing is read twice.
- A worker holds a *lease* on the batch it works on: a PostgreSQL session
  advisory lock that dies with its connection. Planned batches, and running
  batches whose worker was killed or lost its connection, are claimed with
  ``SELECT ... FOR UPDATE SKIP LOCKED`` and a fresh lease.
- Stages (``ledger.STAGES``) keep the order between entities: no dossier is
  loaded before every account is, on any worker.
- A lost store connection (a server restart) is waited out and the
  transaction retried; the batch's rows and its ledger row commit together, so
  a batch is wholly in the store or not at all.

On SQLite one process works at a time: leases always succeed there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from adapters import open_source
from migrate.core.records import EntitySpec, Key, RawRecord
from mappings.rules import Resolver
from migrate import ledger
from migrate.config import Settings, SourceSettings
from migrate.core.errors import HopnhatError, SourceError, StoreError
from migrate.load import BatchContext, Statistics, load_batch
from migrate.prepare import DateRange, Prepared, prepare_page

log = logging.getLogger(__name__)

LEASE_CLASS = 0x686E  # advisory lock class of batch leases; the object id is the batch id
LOCK_CLASS = 0x686F  # advisory locks held for one transaction
RUN_LOCK = 1  # finding or starting a run
ACCOUNT_LOCK = 2  # matching and loading accounts (de-duplication sees every earlier account)
STORE_PATIENCE = 120.0  # seconds to wait for a store that went away before giving up
WAIT = 0.2  # seconds between looks at a stage other workers are finishing

T = TypeVar("T")
Progress = Callable[[int], None] | None


class LeaseLost(Exception):
    """Another worker took the batch after this worker's connection dropped."""


def is_postgresql(store: Engine) -> bool:
    return store.dialect.name == "postgresql"


def advisory_xact_lock(conn: Connection, key: int) -> None:
    """Hold a PostgreSQL advisory lock until the transaction ends (nothing on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, key)))


@dataclass
class Worker:
    settings: Settings
    store: Engine
    resolver: Resolver
    run_id: int
    progress: Progress = None
    name: str = field(default_factory=ledger.worker_name)
    errors: dict[ledger.Pair, str] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)
    _conn: Connection | None = None
    _leases: set[int] = field(default_factory=set)
    _adapters: dict[str, object] = field(default_factory=dict)
    _planned: set[ledger.Pair] = field(default_factory=set)
    _statistics: Statistics = field(default_factory=Statistics)
    _ahead: _ReadAhead | None = None
    _reader: ThreadPoolExecutor | None = None

    # --- the loop -----------------------------------------------------------------------
    def work(self) -> None:
        """Work through every stage of the run until no batch of it is left."""
        try:
            for stage in ledger.STAGES:
                pairs = [(s, spec) for s in self.settings.sources for spec in s.profile.ordered()
                         if spec.name in stage]
                self._work_stage(pairs)
        finally:
            self.close()

    def _work_stage(self, pairs: Sequence[tuple[SourceSettings, EntitySpec]]) -> None:
        while True:
            live = [(s, e) for s, e in pairs if (s.name, e.label) not in self.errors]
            names = [(s.name, e.label) for s, e in live]
            if self._claim_one(live) or self._plan_one(live):
                continue
            if not self._txn(lambda conn: ledger.stage_open(conn, self.run_id, names)):
                return
            time.sleep(WAIT)  # other workers are finishing batches of this stage

    def _claim_one(self, pairs: Sequence[tuple[SourceSettings, EntitySpec]]) -> bool:
        names = [(s.name, e.label) for s, e in pairs]
        row = self._txn(lambda conn: self._claim(conn, names))
        if row is None:
            return False
        source, spec = next((s, e) for s, e in pairs if (s.name, e.label) == (row.source_system, row.entity))
        self.execute(source, spec, row.id, row.key_lo, row.key_hi)
        return True

    def _claim(self, conn: Connection, names: list[ledger.Pair]) -> ledger.BatchRow | None:
        for batch_id in ledger.claimable(conn, self.run_id, names, skip_locked=is_postgresql(self.store)):
            if self._lease(conn, batch_id):
                row = ledger.get(conn, batch_id)
                if row is not None and row.state in ("planned", "running"):
                    if row.state == "running":
                        log.warning("%s: its worker stopped; %s takes it over", row.describe(), self.name)
                    return row
                self._release(conn, batch_id)
        return None

    def _plan_one(self, pairs: Sequence[tuple[SourceSettings, EntitySpec]]) -> bool:
        for source, spec in pairs:
            if (source.name, spec.label) in self._planned:
                continue
            try:
                planned = self._retry_source(source, spec, lambda: self._txn(lambda c: self._plan(c, source, spec)))
            except HopnhatError as exc:
                self.errors[(source.name, spec.label)] = (
                    f"{exc}. Planning stopped after the last batch planned; rerun hopnhat run to resume")
                log.error("%s/%s: %s", source.name, spec.label, self.errors[(source.name, spec.label)])
                continue
            if planned is None:
                self._planned.add((source.name, spec.label))
                continue
            batch_id, page, prepared = planned
            self.execute(source, spec, batch_id, page[0].key, page[-1].key, page, prepared, read_ahead=True)
            return True
        return False

    def _plan(self, conn: Connection, source: SourceSettings, spec: EntitySpec
              ) -> tuple[int, list[RawRecord], list[Prepared] | None] | None:
        snapshot = ledger.lock_snapshot(conn, self.run_id, source.name, spec.label)
        if snapshot is None or snapshot.planned_at is not None:
            return None
        seq, last = ledger.last_planned(conn, self.run_id, source.name, spec.label)
        ahead = self._take_ahead(source, spec, last)
        page, prepared = ahead if ahead is not None else (self._first_page(source, spec, last), None)
        if not page:
            ledger.mark_planned(conn, snapshot.id)
            return None
        batch_id = ledger.open_batch(conn, run_id=self.run_id, source=source.name, entity=spec.label,
                                     table=spec.table, seq=seq, lo=page[0].key, hi=page[-1].key)
        self._lease(conn, batch_id)
        return batch_id, page, prepared

    # --- one batch ------------------------------------------------------------------------
    def execute(self, source: SourceSettings, spec: EntitySpec, batch_id: int, lo: Key, hi: Key,
                page: list[RawRecord] | None = None, prepared: list[Prepared] | None = None, *,
                read_ahead: bool = False) -> str:
        """Load one batch, retrying transient failures; returns the state it ends in.

        With ``read_ahead`` (a batch just planned from the source's next page) the
        page after it is read and prepared in a thread while this batch loads.
        """
        error, attempt, attempts = "", 0, 0
        try:
            for attempt in range(1, self.settings.max_attempts + 1):
                try:
                    attempts = self._txn(lambda conn: self._mark_running(conn, batch_id))
                    records = page if page is not None else self._read_range(source, spec, lo, hi)
                    if prepared is None:
                        self._wait_ahead()  # the resolver serves one thread at a time
                        prepared = prepare_page(spec, records, self.resolver, source.profile.old_province,
                                                self.settings.dates)
                    if read_ahead and attempt == 1:
                        self._start_ahead(source, spec, hi)
                    ctx = BatchContext(
                        batch_id=batch_id, source_system=source.name,
                        parent_tables={name: e.table for name, e in source.profile.entities.items()},
                        files_root=source.files_root, files_dir=self.settings.files_dir, now=ledger.now(),
                        optional_file=spec.attachment == "optional")
                    counts = self._txn(lambda conn: self._load(conn, ctx, spec, prepared))
                except LeaseLost:
                    log.warning("batch %s was taken over by another worker", batch_id)
                    return "taken"
                except SourceError as exc:  # a source that went away may come back: retry
                    error, page, prepared = _one_line(exc), None, None
                    self._forget_adapter(source)
                    log.warning("batch %s attempt %s failed: %s", batch_id, attempt, error)
                    time.sleep(min(2 ** attempt * 0.25, 5))
                    continue
                except (HopnhatError, DBAPIError, OSError) as exc:
                    error = _one_line(exc)
                    break
                except Exception as exc:  # noqa: BLE001 - a fault of the batch, never a crashed run
                    log.exception("batch %s: unexpected error", batch_id)
                    error = f"{type(exc).__name__}: {_one_line(exc)}"
                    break
                _log_loaded(batch_id, source.name, spec.label, lo, hi, attempt, counts)
                if self.progress:
                    self.progress(counts.extracted)
                self._refresh_statistics(spec, counts)
                return "loaded"
            message = (f"Batch {batch_id} ({source.name}/{spec.label}, keys {_key(lo)}..{_key(hi)}) failed after "
                       f"{attempts or attempt} attempt(s): {error}. Nothing from it is in the store. "
                       f"Rerun: hopnhat batches rerun {batch_id}")
            log.error(message)
            self._txn(lambda conn: ledger.mark_failed(conn, batch_id, message))
            self.failed.append(batch_id)
            return "failed"
        finally:
            if batch_id in self._leases and self._conn is not None:
                self._txn(lambda conn: self._release(conn, batch_id))

    def _refresh_statistics(self, spec: EntitySpec, counts: ledger.Counts) -> None:
        """ANALYZE the tables this worker grew enough; a batch already loaded never fails for it."""
        due = self._statistics.loaded(spec.name, counts)
        if due:
            try:
                self._txn(lambda conn: self._statistics.refresh(conn, due))
            except (HopnhatError, DBAPIError) as exc:
                log.warning("planner statistics of %s not refreshed: %s", ", ".join(due), _one_line(exc))

    def _mark_running(self, conn: Connection, batch_id: int) -> int:
        if not self._lease(conn, batch_id):
            raise LeaseLost(batch_id)
        return ledger.mark_running(conn, batch_id, self.name)

    def _load(self, conn: Connection, ctx: BatchContext, spec: EntitySpec, prepared: list) -> ledger.Counts:
        if not self._lease(conn, ctx.batch_id):
            raise LeaseLost(ctx.batch_id)
        if spec.name == "account":
            advisory_xact_lock(conn, ACCOUNT_LOCK)
        counts = load_batch(conn, ctx, spec.name, spec.table, prepared)
        ledger.mark_loaded(conn, ctx.batch_id, counts)
        return counts

    # --- leases -------------------------------------------------------------------------------
    def _lease(self, conn: Connection, batch_id: int) -> bool:
        """Hold the batch for this worker (a session advisory lock on PostgreSQL)."""
        if batch_id in self._leases or not is_postgresql(self.store):
            self._leases.add(batch_id)
            return True
        if conn.execute(select(func.pg_try_advisory_lock(LEASE_CLASS, batch_id))).scalar():
            self._leases.add(batch_id)
            return True
        return False

    def _release(self, conn: Connection, batch_id: int) -> None:
        if batch_id in self._leases and is_postgresql(self.store):
            conn.execute(select(func.pg_advisory_unlock(LEASE_CLASS, batch_id)))
        self._leases.discard(batch_id)

    # --- store and sources ----------------------------------------------------------------------
    def _txn(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one store transaction, waiting out a store that restarts or drops the connection."""
        deadline = time.monotonic() + STORE_PATIENCE
        delay = 0.25
        while True:
            try:
                if self._conn is None:
                    self._conn = self.store.connect()
                with self._conn.begin():
                    return fn(self._conn)
            except (OperationalError, InterfaceError) as exc:
                self._drop_connection()
                if time.monotonic() > deadline:
                    raise StoreError(f"the store stayed unreachable for {STORE_PATIENCE:.0f}s: "
                                     f"{_one_line(exc)}. Rerun hopnhat run to resume") from exc
                log.warning("store connection lost (%s); retrying in %.1fs", _one_line(exc), delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _drop_connection(self) -> None:
        self._leases.clear()  # session locks die with the connection
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001 - the connection is already broken
                pass
        self._conn = None

    def _adapter(self, source: SourceSettings):
        self._wait_ahead()  # an adapter serves one thread at a time
        if source.name not in self._adapters:
            self._adapters[source.name] = open_source(source.name, source.url)
        return self._adapters[source.name]

    def _first_page(self, source: SourceSettings, spec: EntitySpec, after: Key | None) -> list[RawRecord]:
        return _first_page(self._adapter(source), spec, after, self.settings.batch_size)

    # --- reading ahead ------------------------------------------------------------------------
    def _start_ahead(self, source: SourceSettings, spec: EntitySpec, after: Key) -> None:
        """Read and prepare the page after ``after`` in a thread, while this worker waits on the store."""
        adapter = self._adapter(source)
        if self._reader is None:
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        future = self._reader.submit(_read_and_prepare, adapter, spec, after, self.settings.batch_size,
                                     self.resolver, source.profile.old_province, self.settings.dates)
        self._ahead = _ReadAhead(source.name, spec.label, after, future)

    def _take_ahead(self, source: SourceSettings, spec: EntitySpec,
                    after: Key | None) -> tuple[list[RawRecord], list[Prepared]] | None:
        """The page read ahead, when it is the one after ``after`` of this entity (else it is dropped)."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        try:
            page, prepared = ahead.future.result()
        except Exception as exc:  # noqa: BLE001 - the page is read again the ordinary way, errors and all
            log.debug("read-ahead of %s/%s failed (%s); reading again", ahead.source, ahead.entity, exc)
            return None
        if (ahead.source, ahead.entity) != (source.name, spec.label) or after is None or ahead.after != tuple(after):
            return None  # another worker planned that page meanwhile
        return page, prepared

    def _wait_ahead(self) -> None:
        if self._ahead is not None:
            try:
                self._ahead.future.result()
            except Exception:  # noqa: BLE001 - reported when the page is taken, or read again
                pass

    def _read_range(self, source: SourceSettings, spec: EntitySpec, lo: Key, hi: Key) -> list[RawRecord]:
        records: list[RawRecord] = []
        for page in self._adapter(source).read_range(spec, lo, hi, batch_size=self.settings.batch_size):
            records += page
        return records

    def _retry_source(self, source: SourceSettings, spec: EntitySpec, fn: Callable[[], T]) -> T:
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                return fn()
            except SourceError as exc:
                if attempt >= self.settings.max_attempts:
                    raise
                log.warning("%s/%s: reading failed (%s); retrying", source.name, spec.label, _one_line(exc))
                self._forget_adapter(source)
                time.sleep(min(2 ** attempt * 0.25, 5))
        raise AssertionError("unreachable")

    def _forget_adapter(self, source: SourceSettings) -> None:
        self._wait_ahead()
        if self._ahead is not None and self._ahead.source == source.name:
            self._ahead = None  # read through the adapter being dropped
        adapter = self._adapters.pop(source.name, None)
        if adapter is not None:
            adapter.close()

    def close(self) -> None:
        self._wait_ahead()
        self._ahead = None
        if self._reader is not None:
            self._reader.shutdown(wait=True)
            self._reader = None
        for adapter in self._adapters.values():
            adapter.close()
        self._adapters.clear()
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None
        self._leases.clear()


@dataclass(frozen=True)
class _ReadAhead:
    source: str
    entity: str
    after: Key
    future: Future


def _first_page(adapter, spec: EntitySpec, after: Key | None, batch_size: int) -> list[RawRecord]:
    pages = adapter.read(spec, after=after, batch_size=batch_size)
    try:
        return next(iter(pages), [])
    finally:
        close = getattr(pages, "close", None)
        if close:
            close()


def _read_and_prepare(adapter, spec: EntitySpec, after: Key, batch_size: int, resolver: Resolver,
                      province: str | None, dates: DateRange) -> tuple[list[RawRecord], list[Prepared]]:
    page = _first_page(adapter, spec, after, batch_size)
    return page, prepare_page(spec, page, resolver, province, dates)


def _log_loaded(batch_id: int, source: str, entity: str, lo: Key, hi: Key, attempt: int,
                counts: ledger.Counts) -> None:
    """One info line per loaded batch (``hopnhat -v``); its figures are also fields of a JSON log line."""
    log.info("batch %s (%s/%s, keys %s..%s) loaded: extracted %d, loaded %d, merged %d, quarantined %d, "
             "excluded %d", batch_id, source, entity, _key(lo), _key(hi), *counts.astuple(),
             extra={"batch_id": batch_id, "source": source, "entity": entity, "attempt": attempt,
                    "extracted": counts.extracted, "loaded": counts.loaded, "merged": counts.merged,
                    "quarantined": counts.quarantined, "excluded": counts.excluded})


def _key(key: Key) -> str:
    return ",".join(str(k) for k in key)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
