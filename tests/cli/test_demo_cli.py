"""`hopnhat demo` as a newcomer runs it: on the embedded SQLite store and on PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from migrate.cli import cli


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_demo_migrates_reconciles_and_reports(engine, tmp_path, request):
    args = ["demo", "--out", str(tmp_path / "demo"), "--scale", "40"]
    if engine == "postgresql":
        args += ["--store", request.getfixturevalue("pg_store")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for line in ("Hà Nam (35)", "Nam Định (36)", "Ninh Bình (37)", "Reconciliation", "conservation holds",
                 "Continuity: holds", "verdict: PASSED"):
        assert line in result.output
    report = tmp_path / "demo" / "report"
    assert {"index.html", "manifest.json", "report.json"} <= {p.name for p in report.iterdir()}
    assert (tmp_path / "demo" / "store.sqlite").exists() == (engine == "sqlite")
