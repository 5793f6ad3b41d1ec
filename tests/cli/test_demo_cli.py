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


def test_demo_in_vietnamese(shell, tmp_path):
    """``hopnhat --lang vi demo`` through main(): every summary and the report in Vietnamese, the same exit code."""
    out = shell.main("--lang", "vi", "demo", "--out", str(tmp_path / "demo"), "--scale", "20")
    lines = out.stdout.splitlines()
    assert lines[0] == "Các cổng dịch vụ công cũ đã dựng:"
    assert lines[1].startswith("  Hà Nam (35): TaiKhoan 60, HoSo 20, ") and lines[1].endswith(" tệp")
    assert any(line.startswith("Lần chạy 1: ") for line in lines) and any(line.startswith("Đối soát 1: ") for line in lines)
    for english in ("Legacy portals built:", "Run 1:", "Reconciliation 1:", "verdict:"):
        assert english not in out.stdout, english
    assert '<html lang="vi">' in (tmp_path / "demo" / "report" / "index.html").read_text("utf-8")
