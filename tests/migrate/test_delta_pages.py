"""A delta's batches taken from its key comparison: the same key ranges the source's keys give, nothing read.

The key comparison of a delta run counts the records it will read in the source's
key order (watermark passed, missing from the store, a decision to apply) and keeps
the key range of every batch size of them in the run's plan; planning a batch then
reads nothing from the source. The ranges must be the pages planning would have read
from the source (``adapter.bounds`` under the delta's filter), and the run must read
the same records.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import create_engine, select

from adapters.profiles import load_profile
from adapters.sqlite import open_source
from migrate import ledger, pipeline
from migrate.bench.wide import SOURCE, build_source, change_source, profile_text
from migrate.config import Settings
from migrate.delta import ReadPlan
from migrate.keydiff import _pages
from migrate.store.models import batch

ROWS, CHANGED, SIZE = 300, 15, 20


def _run(store_url, profile, source, files):
    settings = Settings.load([profile], store=store_url, files_dir=files, source_urls={SOURCE: f"sqlite:///{source}"},
                             batch_size=SIZE)
    report = pipeline.run(settings, resume=False)
    assert report.ok, report.summary()
    return report


def _batches(store_url: str, run_id: int) -> tuple[list[tuple], ReadPlan]:
    engine = create_engine(store_url)
    with engine.connect() as conn:
        rows = conn.execute(select(batch.c.key_lo, batch.c.key_hi).where(batch.c.run_id == run_id)
                            .order_by(batch.c.seq)).all()
        plan = ReadPlan.from_dict(ledger.snapshot_plans(conn, run_id)[(SOURCE, "dossier")])
    engine.dispose()
    return [(ledger.decode(lo), ledger.decode(hi)) for lo, hi in rows], plan


def test_a_deltas_batches_are_the_pages_the_source_would_give(store_url, tmp_path):
    source, profile = tmp_path / "wide.sqlite", tmp_path / "wide-portal.toml"
    build_source(source, ROWS)
    profile.write_text(profile_text(), "utf-8")
    _run(store_url, profile, source, tmp_path / "files")
    change_source(source, ROWS, CHANGED)  # 15 modified, 15 deleted, 15 added at the end with old watermarks
    report = _run(store_url, profile, source, tmp_path / "files")
    planned, plan = _batches(store_url, report.run_id)
    assert plan.delta and plan.pages
    assert planned == list(plan.pages)  # every batch from the plan: nothing read from the source to plan them
    spec = load_profile(profile).entities["dossier"]
    adapter = open_source(SOURCE, f"sqlite:///{source}")
    try:
        spec = plan.spec(spec)
        unpaged = dataclasses.replace(spec, delta=dataclasses.replace(spec.delta, pages=()))
        pages, after = [], None
        while (bounds := adapter.bounds(unpaged, after=after, batch_size=SIZE)) is not None:
            pages.append(bounds)
            after = bounds[1]
        read = sum(len(p) for p in adapter.read(unpaged, after=None, batch_size=SIZE))
    finally:
        adapter.close()
    assert planned == pages
    dossier = next(r for r in report.results if r.entity == "dossier")
    assert dossier.counts.extracted == read > 2 * CHANGED  # the modified, the added, those in the margin


def test_pages_are_runs_of_the_batch_size():
    keys = [(k,) for k in (3, 5, 8, 9, 12)]
    assert _pages(keys, 2) == (((3,), (5,)), ((8,), (9,)), ((12,), (12,)))
    assert _pages(keys, 5) == (((3,), (12,)),)
    assert _pages([], 5) == ()
