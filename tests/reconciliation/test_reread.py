"""The source read again by worker processes folds the segments one pass in one process folds."""

from __future__ import annotations

import sqlite3

import pytest

from adapters import open_source
from migrate.core.errors import SourceError
from reconciliation import digests, reread
from migrate.core.progress import Tally
from tests.harness import EXIT_CHECK_FAILED, EXIT_USAGE


@pytest.fixture
def small_pages(monkeypatch):
    """Workers for every part, pages of 7 records: many pages per worker even in a small portal."""
    monkeypatch.setattr(reread, "PARALLEL_FROM", 0)
    monkeypatch.setattr(reread, "PAGE", 7)


def _one_pass(adapter, spec, width: int) -> digests.Segments:
    return digests.fold(((key, digest) for key, digest, _ in
                         reread.hashes(adapter.read(spec, after=None, batch_size=5000), spec)), width)


def test_workers_fold_every_part_as_one_pass_does(migrated, small_pages):
    compared = 0
    for settings in migrated.sources:
        adapter = open_source(settings.name, settings.url)
        with reread.Rereader(settings.name, settings.url, adapter, workers=2) as reader:
            for spec in settings.profile.entities.values():
                expected = _one_pass(adapter, spec, 2)
                tally = Tally(None, "re-reading", settings.name, spec.name)
                got = reader.segments(spec, 2, expected.total, tally)
                assert (got.count, got.xor) == (expected.count, expected.xor), spec.label
                assert tally.done == expected.total
                compared += expected.total
            assert reader._pool is not None and len(reader._pool.processes) == 2  # one pool for every part
        adapter.close()
    assert compared > 1000


def test_below_the_threshold_a_part_is_read_in_this_process(migrated, monkeypatch):
    monkeypatch.setattr(reread, "PARALLEL_FROM", 10**9)
    settings = migrated.sources[0]
    adapter = open_source(settings.name, settings.url)
    spec = next(iter(settings.profile.entities.values()))
    with reread.Rereader(settings.name, settings.url, adapter, workers=4) as reader:
        got = reader.segments(spec, 1, 10)
        assert reader._pool is None
    expected = _one_pass(adapter, spec, 1)
    assert (got.count, got.xor) == (expected.count, expected.xor)
    adapter.close()


def test_a_worker_that_cannot_open_the_source_is_an_error(migrated, small_pages, tmp_path):
    settings = migrated.sources[0]
    adapter = open_source(settings.name, settings.url)
    spec = next(iter(settings.profile.entities.values()))
    gone = f"sqlite:///{tmp_path / 'no-such-portal.sqlite'}"
    with reread.Rereader(settings.name, gone, adapter, workers=2) as reader, pytest.raises(SourceError) as caught:
        reader.segments(spec, 1, 100)
    assert "no-such-portal.sqlite" in str(caught.value)
    adapter.close()


def test_a_worker_killed_midway_is_an_error_not_a_wait(migrated, small_pages):
    settings = migrated.sources[0]
    adapter = open_source(settings.name, settings.url)
    first, second = list(settings.profile.entities.values())[:2]
    with reread.Rereader(settings.name, settings.url, adapter, workers=2) as reader:
        reader.segments(first, 1, 100)
        killed = reader._pool.processes[0]
        killed.kill()
        killed.join()
        with pytest.raises(SourceError, match=r"stopped \(exit code -9\)"):
            reader.segments(second, 1, 100)
    adapter.close()


def test_reconcile_with_workers_names_a_record_changed_in_the_source(migrated, small_pages, shell, tmp_path):
    settings = next(s for s in migrated.sources if any(p.name == "dossier" for p in s.profile.entities.values()))
    spec = next(p for p in settings.profile.entities.values() if p.name == "dossier")
    path = settings.url.removeprefix("sqlite:///")
    status = next(column for field, column in spec.columns.items() if field == "status")
    key = spec.key[0]
    with sqlite3.connect(path) as db:
        victim = db.execute(f'SELECT "{key}" FROM "{spec.table}" ORDER BY "{key}" LIMIT 1 OFFSET 11').fetchone()[0]
        db.execute(f'UPDATE "{spec.table}" SET "{status}" = ? WHERE "{key}" = ?', ("changed-after-loading", victim))
    urls = [f"--source={s.name}={s.url}" for s in migrated.sources]
    args = ["--lang", "en", "reconcile", "run", *[str(s.profile.path) for s in migrated.sources], *urls,
            "--store", migrated.store_url, "--files-dir", str(migrated.files_dir), "--out", str(tmp_path / "report"),
            "--no-record", "--workers", "2"]
    out = shell.main(*args, expect=EXIT_CHECK_FAILED)
    assert f"record {victim} ({spec.table}): changed" in out.stdout
    assert "reconciliation failed" in out.stderr
    shell.main(*args[:-1], "0", expect=EXIT_USAGE)  # at least one worker
