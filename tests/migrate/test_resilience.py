"""Runs that are killed, whose store restarts, whose source goes away: rerun and nothing is lost or doubled.

These are real: the run is a ``python -m migrate.cli run`` process killed with
SIGKILL, the PostgreSQL server is the suite's own, stopped hard and started
again mid-run, and the source file really becomes unreadable for a while.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.profiles import load_profile
from migrate import pipeline
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.core.entities import ENTITY_TABLES
from migrate.store.models import account_alias, batch, lineage, quarantine
from reconciliation.checks import conservation

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "migrate.cli", *args]


def source_env(portals) -> dict[str, str]:
    env = dict(os.environ)
    for m in portals:
        env[load_profile(m.profile_path).url_env] = f"sqlite:///{m.db_path}"
    return env


def loaded_batches(url: str) -> int:
    engine = schema.connect(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(batch).where(batch.c.state == "loaded")).scalar_one()
    except Exception:  # noqa: BLE001 - the store may be restarting or locked right now
        return -1
    finally:
        engine.dispose()


def assert_whole(url: str, portals) -> None:
    """Conservation holds, every source record has exactly one lineage row and one outcome."""
    engine = schema.connect(url)
    result = conservation(engine)
    assert result.ok, result.broken()
    with engine.connect() as conn:
        n_lineage = conn.execute(select(func.count()).select_from(lineage)).scalar_one()
        distinct = conn.execute(select(func.count()).select_from(
            select(lineage.c.source_system, lineage.c.source_table, lineage.c.source_key).distinct().subquery()
        )).scalar_one()
        assert n_lineage == distinct
        expected = sum(sum(m.counts.values()) for m in portals)
        assert n_lineage == expected
        rows = sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in ENTITY_TABLES.values())
        merged = conn.execute(select(func.count()).select_from(account_alias)
                              .where(account_alias.c.match_rule != "self")).scalar_one()
        open_q = conn.execute(select(func.count()).select_from(quarantine)
                              .where(quarantine.c.released_at.is_(None))).scalar_one()
        assert rows + merged + open_q == expected
    engine.dispose()


def test_run_killed_at_any_instant_finishes_on_rerun(store_url, demo_portals, tmp_path):
    portals = demo_portals[:2]
    env = source_env(portals)
    args = cli("run", "--store", store_url, "--files-dir", str(tmp_path / "files"), "--batch-size", "15",
               *[str(m.profile_path) for m in portals], env=env)
    killed = 0
    for kill_after in (2, 9, 23, 41):  # loaded batches, counted across the killed runs
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and loaded_batches(store_url) < kill_after and time.monotonic() < deadline:
            time.sleep(0.01)
        killed += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert killed == 4  # each run really died mid-way
    final = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "(resumed)" in final.stdout
    assert_whole(store_url, portals)


def test_two_processes_split_one_run(pg_store, demo_portals, tmp_path):
    portals = demo_portals[:2]
    env = source_env(portals)
    args = cli("run", "--store", pg_store, "--files-dir", str(tmp_path / "files"), "--batch-size", "10",
               *[str(m.profile_path) for m in portals], env=env)
    procs = [subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    engine = schema.connect(pg_store)
    with engine.connect() as conn:
        runs = conn.execute(select(func.count(func.distinct(batch.c.run_id)))).scalar_one()
        workers = conn.execute(select(func.count(func.distinct(batch.c.worker)))).scalar_one()
    assert runs == 1  # the second process joined the first one's run
    assert workers == 2  # and both loaded batches of it
    assert_whole(pg_store, portals)


def test_workers_option_loads_in_parallel(pg_store, demo_portals, tmp_path):
    settings = demo_settings(demo_portals, pg_store, tmp_path / "files", batch_size=25, workers=2)
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    assert_whole(pg_store, demo_portals)


def test_workers_refused_on_sqlite(sqlite_store, demo_portals, tmp_path):
    from migrate.core.errors import ConfigError

    settings = demo_settings(demo_portals[:1], sqlite_store, tmp_path / "files", workers=2)
    with pytest.raises(ConfigError, match="needs a PostgreSQL store"):
        pipeline.run(settings)


def test_a_part_marked_planned_by_a_commit_the_store_lost_is_planned_again(sqlite_store, demo_portals, tmp_path,
                                                                           monkeypatch):
    """A store server that crashes may lose a commit it acknowledged (PostgreSQL with synchronous_commit off): the
    worker saw the part planned to its end, the store says it is not; the worker asks the store again instead of
    waiting for the part forever."""
    from migrate import ledger

    real, lost = ledger.mark_planned, []

    def first_one_lost(conn, snapshot_id):
        if not lost:
            lost.append(snapshot_id)  # acknowledged, never written
            return
        real(conn, snapshot_id)

    monkeypatch.setattr(ledger, "mark_planned", first_one_lost)
    settings = demo_settings(demo_portals[:1], sqlite_store, tmp_path / "files", batch_size=40)
    done: list = []
    runner = threading.Thread(target=lambda: done.append(pipeline.run(settings)), daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert lost and done, "the run waited for a part the store never recorded as planned"
    assert done[0].ok, done[0].summary()
    assert_whole(sqlite_store, demo_portals[:1])


def test_store_server_restarts_mid_run(pg_server, pg_store, demo_portals, tmp_path, caplog):
    portals = demo_portals[:2]
    settings = demo_settings(portals, pg_store, tmp_path / "files", batch_size=15)
    restarted = threading.Event()

    def restart_when_busy() -> None:
        deadline = time.monotonic() + 60
        while loaded_batches(pg_store) < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        pg_server.restart()
        restarted.set()

    thread = threading.Thread(target=restart_when_busy)
    thread.start()
    report = pipeline.run(settings)
    thread.join()
    assert restarted.is_set()
    assert "store connection lost" in caplog.text  # the run saw the server go away and waited for it
    if not report.ok:  # a batch may have used up its attempts while the server was down
        report = pipeline.run(settings)
    assert report.ok, report.summary()
    assert_whole(pg_store, portals)


def _unreadable_for(path: Path, seconds: float, after_batches: int, store: str) -> threading.Thread:
    """Empty the source file in place (readers see no tables) for a while, then put it back."""
    backup = path.with_suffix(".bak")
    shutil.copyfile(path, backup)

    def outage() -> None:
        deadline = time.monotonic() + 60
        while loaded_batches(store) < after_batches and time.monotonic() < deadline:
            time.sleep(0.01)
        with path.open("r+b") as fh:
            fh.truncate(0)
        time.sleep(seconds)
        shutil.copyfile(backup, path)

    thread = threading.Thread(target=outage)
    thread.start()
    return thread


@pytest.mark.parametrize("outage", [0.4, 4.0], ids=["short-outage-retried", "long-outage-rerun"])
def test_source_unreadable_mid_run(sqlite_store, demo_portals, tmp_path, outage, caplog):
    portal = demo_portals[0]
    copy = tmp_path / portal.db_path.name
    shutil.copyfile(portal.db_path, copy)
    settings = demo_settings([portal], sqlite_store, tmp_path / "files", batch_size=15)
    settings = type(settings)(**{**settings.__dict__, "sources": tuple(
        type(s)(s.profile, f"sqlite:///{copy}", s.files_root) for s in settings.sources)})
    thread = _unreadable_for(copy, outage, 5, sqlite_store)
    first = pipeline.run(settings)
    thread.join()
    report = first if first.ok else pipeline.run(settings)
    assert report.ok, report.summary()
    assert "failed" in caplog.text  # the outage was seen
    if outage < 1:
        assert first.ok, first.summary()
    else:
        assert not first.ok
    assert_whole(sqlite_store, [portal])
