"""What a run reports as it goes: per source part, records extracted of the snapshot's count."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from migrate import ledger, pipeline
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import batch


class Recorder:
    """Keeps every report, from whichever thread makes it."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, str, str, int, int | None]] = []
        self._lock = threading.Lock()

    def __call__(self, step: str, source: str, part: str, done: int, total: int | None) -> None:
        with self._lock:
            self.reports.append((step, source, part, done, total))

    def last(self) -> dict[tuple[str, str], tuple[int, int | None]]:
        return {(source, part): (done, total) for _, source, part, done, total in self.reports}


def snapshot_counts(store: str, run_id: int) -> dict[tuple[str, str], int]:
    with schema.connect(store).connect() as conn:
        return {pair: count for pair, (count, _, _) in ledger.run_totals(conn, run_id).items()}


def test_a_run_reports_each_part_from_zero_to_its_snapshot_count(sqlite_store, demo_portals, tmp_path):
    schema.upgrade(schema.connect(sqlite_store))
    recorder = Recorder()
    report = pipeline.run(demo_settings(demo_portals[:1], sqlite_store, tmp_path / "files", batch_size=40),
                          progress=recorder)
    assert report.ok, report.summary()
    counts = snapshot_counts(sqlite_store, report.run_id)
    assert recorder.last() == {pair: (n, n) for pair, n in counts.items()}
    dossier = [done for _, _, part, done, _ in recorder.reports if part == "dossier"]
    total = next(n for (_, entity), n in counts.items() if entity == "dossier")
    assert total > 40 and dossier == [0, *range(40, total, 40), total]  # a start, then one report per batch of 40
    assert {step for step, *_ in recorder.reports} == {"migrating"}


def test_worker_processes_are_counted_from_the_ledger(pg_store, demo_portals, tmp_path):
    recorder = Recorder()
    settings = demo_settings(demo_portals[:2], pg_store, tmp_path / "files", batch_size=10, workers=2)
    report = pipeline.run(settings, progress=recorder)
    assert report.ok, report.summary()
    with schema.connect(pg_store).connect() as conn:
        workers = conn.execute(select(func.count(func.distinct(batch.c.worker)))).scalar_one()
    assert workers == 2  # the child process loaded batches too
    counts = snapshot_counts(pg_store, report.run_id)
    assert recorder.last() == {pair: (n, n) for pair, n in counts.items()}
    for pair in counts:
        done = [d for _, source, part, d, _ in recorder.reports if (source, part) == pair]
        assert done == sorted(done)
