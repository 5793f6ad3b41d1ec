"""The migration run: extract each source entity in keyset batches, prepare, load.

``run(settings)`` plans and executes batches, resuming an unfinished run of
the same sources; ``rerun(settings, batch_id)`` re-reads one batch's key range
and loads it again. A failing batch is recorded in the ledger and the run
goes on with the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, OperationalError

from adapters import open_source
from adapters.base import ENTITIES, EntitySpec, Key, RawRecord
from mappings.rules import ManualDecision, Resolver
from mappings.units import UnitTable
from migrate import ledger
from migrate.config import Settings, SourceSettings
from migrate.errors import HopnhatError, RetryableError, StoreError
from migrate.load import BatchContext, load_batch
from migrate.prepare import prepare_page
from migrate.store import schema
from migrate.store.models import new_unit, review_item
from migrate.store.upsert import upsert

log = logging.getLogger(__name__)

Progress = Callable[[int], None] | None


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


@dataclass
class RunReport:
    run_id: int
    resumed: bool
    results: list[EntityResult]
    seconds: float

    @property
    def failed_batches(self) -> list[int]:
        return [b for r in self.results for b in r.failed_batches]

    @property
    def ok(self) -> bool:
        return not self.failed_batches and not any(r.error for r in self.results)

    def summary(self) -> str:
        lines = [f"Run {self.run_id}{' (resumed)' if self.resumed else ''}: {len(self.results)} source "
                 f"entities in {self.seconds:.1f}s"]
        lines.append(f"  {'source/entity':<34}{'source':>9}{'extracted':>10}{'loaded':>9}{'merged':>8}"
                     f"{'quarant.':>9}")
        for r in self.results:
            c = r.counts
            lines.append(f"  {r.source + '/' + r.entity:<34}{r.source_count:>9}{c.extracted:>10}{c.loaded:>9}"
                         f"{c.merged:>8}{c.quarantined:>9}")
            if r.error:
                lines.append(f"    error: {r.error}")
        for batch_id in self.failed_batches:
            lines.append(f"  Batch {batch_id} failed. Rerun: hopnhat batches rerun {batch_id}")
        return "\n".join(lines)


@dataclass
class _Job:
    """What one run needs while it works; built once per run."""

    settings: Settings
    store: Engine
    resolver: Resolver
    run_id: int
    progress: Progress


def build_resolver(settings: Settings, store: Engine, units: UnitTable) -> Resolver:
    return Resolver(units, manual=manual_decisions(store),
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


def run(settings: Settings, *, progress: Progress = None, resume: bool = True) -> RunReport:
    started = time.monotonic()
    store = open_store(settings)
    units = UnitTable.load()
    seed_units(store, units)
    names = [s.name for s in settings.sources]
    with store.begin() as conn:
        run_id = ledger.resumable_run(conn, names) if resume else None
        resumed = run_id is not None
        if run_id is None:
            run_id = ledger.start_run(
                conn, tool_version=tool_version(), mapping_version=units.version, mapping_sha256=units.sha256,
                profiles=[{"name": s.name, "path": str(s.profile.path.name), "sha256": s.profile.sha256}
                          for s in settings.sources])
    job = _Job(settings, store, build_resolver(settings, store, units), run_id, progress)
    results = []
    for source in settings.sources:
        results += _run_source(job, source)
    report = RunReport(run_id, resumed, results, time.monotonic() - started)
    with store.begin() as conn:
        ledger.finish_run(conn, run_id, "done" if report.ok else "failed")
    return report


def _run_source(job: _Job, source: SourceSettings) -> list[EntityResult]:
    results = []
    try:
        adapter = open_source(source.name, source.url)
    except HopnhatError as exc:
        return [EntityResult(source.name, e, 0, error=str(exc)) for e in source.profile.entities]
    try:
        for name in ENTITIES:
            spec = source.profile.entities.get(name)
            if spec is not None:
                results.append(_run_entity(job, source, adapter, spec))
    finally:
        adapter.close()
    return results


def _run_entity(job: _Job, source: SourceSettings, adapter, spec: EntitySpec) -> EntityResult:
    try:
        count = adapter.count(spec)
    except HopnhatError as exc:
        return EntityResult(source.name, spec.name, 0, error=str(exc))
    with job.store.begin() as conn:
        ledger.record_snapshot(conn, job.run_id, source.name, spec.name, spec.table, count)
        seq, last_hi, unfinished = ledger.progress(conn, job.run_id, source.name, spec.name)
    result = EntityResult(source.name, spec.name, count)
    for row in unfinished:  # a run killed or failed earlier: redo those ranges first
        _execute(job, source, adapter, spec, row.id, row.key_lo, row.key_hi, result)
    try:
        for page in _pages(adapter, spec, last_hi, job.settings):
            lo, hi = page[0].key, page[-1].key
            with job.store.begin() as conn:
                batch_id = ledger.open_batch(conn, run_id=job.run_id, source=source.name, entity=spec.name,
                                             table=spec.table, seq=seq, lo=lo, hi=hi)
            seq += 1
            _execute(job, source, adapter, spec, batch_id, lo, hi, result, page)
    except HopnhatError as exc:
        result.error = f"{exc}. Rerun hopnhat run to resume after the last batch planned."
        log.error("%s/%s: %s", source.name, spec.name, result.error)
    return result


def _pages(adapter, spec: EntitySpec, after: Key | None, settings: Settings) -> Iterator[list[RawRecord]]:
    """Keyset pages with retries on transient source errors, restarting after the last key seen."""
    attempts = 0
    while True:
        try:
            for page in adapter.read(spec, after=after, batch_size=settings.batch_size):
                attempts = 0
                yield page
                after = page[-1].key
            return
        except RetryableError:
            attempts += 1
            if attempts >= settings.max_attempts:
                raise
            time.sleep(min(2 ** attempts * 0.5, 10))


def _execute(job: _Job, source: SourceSettings, adapter, spec: EntitySpec, batch_id: int, lo: Key, hi: Key,
             result: EntityResult, page: list[RawRecord] | None = None) -> None:
    error = None
    for attempt in range(1, job.settings.max_attempts + 1):
        try:
            records = page if page is not None else _read_range(adapter, spec, lo, hi, job.settings)
            counts = process_batch(job.store, job.resolver, job.settings, source, spec, batch_id, records)
        except (RetryableError, OperationalError) as exc:
            error = _one_line(exc)
            page = None
            log.warning("batch %s attempt %s failed: %s", batch_id, attempt, error)
            time.sleep(min(2 ** attempt * 0.25, 5))
            continue
        except (HopnhatError, DBAPIError, OSError) as exc:
            error = _one_line(exc)
            break
        result.counts = result.counts + counts
        if job.progress:
            job.progress(counts.extracted)
        return
    message = (f"Batch {batch_id} ({source.name}/{spec.name}, keys {_key(lo)}..{_key(hi)}) failed after "
               f"{attempt} attempt(s): {error}. Nothing from it is in the store. "
               f"Rerun: hopnhat batches rerun {batch_id}")
    log.error(message)
    with job.store.begin() as conn:
        ledger.mark_failed(conn, batch_id, message)
    result.failed_batches.append(batch_id)


def _read_range(adapter, spec: EntitySpec, lo: Key, hi: Key, settings: Settings) -> list[RawRecord]:
    records: list[RawRecord] = []
    for page in adapter.read_range(spec, lo, hi, batch_size=settings.batch_size):
        records += page
    return records


def process_batch(store: Engine, resolver: Resolver, settings: Settings, source: SourceSettings,
                  spec: EntitySpec, batch_id: int, records: list[RawRecord]) -> ledger.Counts:
    """Prepare and load one batch; the rows and the ledger move together in one transaction."""
    with store.begin() as conn:
        ledger.mark_running(conn, batch_id)
    prepared = prepare_page(spec, records, resolver, source.profile.old_province)
    ctx = BatchContext(
        batch_id=batch_id, source_system=source.name,
        parent_tables={name: e.table for name, e in source.profile.entities.items()},
        files_root=source.files_root, files_dir=settings.files_dir, now=ledger.now(),
    )
    with store.begin() as conn:
        counts = load_batch(conn, ctx, spec.name, spec.table, prepared)
        ledger.mark_loaded(conn, batch_id, counts)
    return counts


def rerun(settings: Settings, batch_id: int, *, progress: Progress = None) -> ledger.BatchRow:
    """Re-read one batch's key range from its source and load it again."""
    store = open_store(settings)
    with store.connect() as conn:
        row = ledger.get(conn, batch_id)
    if row is None:
        raise StoreError(f"Batch {batch_id} is not in the ledger. List them: hopnhat batches list")
    source = next((s for s in settings.sources if s.name == row.source_system), None)
    if source is None:
        raise StoreError(f"{row.describe()} belongs to source {row.source_system}; pass its profile")
    spec = source.profile.entities[row.entity]
    job = _Job(settings, store, build_resolver(settings, store, UnitTable.load()), row.run_id, progress)
    result = EntityResult(source.name, spec.name, 0)
    adapter = open_source(source.name, source.url)
    try:
        _execute(job, source, adapter, spec, batch_id, row.key_lo, row.key_hi, result)
    finally:
        adapter.close()
    with store.connect() as conn:
        return ledger.get(conn, batch_id)  # type: ignore[return-value]


def _key(key: Key) -> str:
    return ",".join(str(k) for k in key)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
