"""``hopnhat bench load`` and ``hopnhat bench reconcile`` at tiny sizes, as a shell runs them.

The figures themselves are not asserted (they are measurements); what is: the exit code, the lines
a reader of the figures relies on, that the rows were really migrated and reconciled, and that the
load benchmark leaves no database behind on the server.
"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.harness import EXIT_USAGE


def _databases(server_url: str) -> set[str]:
    url = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.postgresql
def test_bench_load_migrates_the_portal_and_prints_the_ratio_to_copy(shell, pg_server):
    before = _databases(pg_server.url())
    out = shell.run("bench", "load", "--dossiers", "40", "--batch-size", "25", "--pg", pg_server.url())
    first, pipeline_line, copy_line, ratio_line = out.stdout.splitlines()
    found = re.fullmatch(r"40 dossiers, (\d+) rows \(accounts and dossiers\), batch size 25, 1 worker\(s\)", first)
    assert found and int(found.group(1)) > 40, first
    assert re.match(r"  pipeline \(extract, remap, hash, load, lineage\): +\d+\.\d s +[\d,]+ rows/s$", pipeline_line)
    assert re.match(r"  raw COPY of the same rows: +\d+\.\d s +[\d,]+ rows/s$", copy_line)
    assert re.match(r"  pipeline / raw COPY: \d+\.\d\d; peak memory \(max RSS\) \d+ MiB$", ratio_line)
    assert _databases(pg_server.url()) == before          # the benchmark database is dropped


@pytest.mark.parametrize("way", ["run", "main"])
def test_bench_load_usage_errors_exit_2(shell, way):
    no_server = getattr(shell, way)("bench", "load", "--dossiers", "10", expect=EXIT_USAGE)
    assert "the load benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)" in no_server.stderr
    assert no_server.stdout == ""
    delta = getattr(shell, way)("bench", "load", "--delta-share", "0.1", "--pg", "postgresql+psycopg://x@h/db",
                                expect=EXIT_USAGE)
    assert "--delta-share goes with --wide" in delta.stderr


def _reconcile_figures(stdout: str, dossiers: int) -> dict[str, str]:
    lines = stdout.splitlines()
    found = re.fullmatch(rf"reconcile bench: {dossiers} dossiers; source rows ([\d,]+), store rows ([\d,]+) "
                         r"\(entity tables, lineage, aliases, quarantine\)", lines[0])
    assert found, stdout
    assert re.match(r"  migrate \(build the store\) +\d+\.\d s$", lines[1])
    assert re.match(r"  plain full scan, both sides +\d+\.\d s$", lines[2])
    assert re.match(r"  reconcile with the source +\d+\.\d s  \(passed\)$", lines[3]), lines[3]
    assert re.match(r"  ratio reconcile / scan +\d+\.\d\d$", lines[4])
    return {"source_rows": found.group(1), "store_rows": found.group(2)}


def test_bench_reconcile_on_sqlite_keeps_the_report(shell, tmp_path):
    keep = tmp_path / "kept"
    out = shell.run("bench", "reconcile", "--dossiers", "30", "--sqlite", "--keep", str(keep))
    figures = _reconcile_figures(out.stdout, 30)
    assert int(figures["source_rows"].replace(",", "")) > 30
    steps = [line for line in out.stderr.splitlines() if not line.startswith(" ")]
    assert steps[0] == "building a portal with 30 dossiers" and "migrating" in steps
    assert steps[-2:] == ["scanning both sides", "reconciling"]
    assert (keep / "store.sqlite").is_file() and (keep / "report" / "index.html").is_file()
    report = json.loads((keep / "report" / "report.json").read_text("utf-8"))
    assert report["ok"] is True and report["checks"]["conservation"]["ok"] is True


@pytest.mark.postgresql
def test_bench_reconcile_on_postgresql(shell, pg_url):
    out = shell.main("bench", "reconcile", "--dossiers", "30", "--pg", pg_url)
    _reconcile_figures(out.stdout, 30)


def test_bench_reconcile_refuses_two_stores(shell):
    out = shell.main("bench", "reconcile", "--pg", "postgresql+psycopg://x@h/db", "--sqlite", expect=EXIT_USAGE)
    assert "choose --pg URL or --sqlite, not both" in out.stderr
