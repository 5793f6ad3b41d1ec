"""The report folder: verify catches edits, the CLI exits 3, the HTML page works in a real browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from migrate.cli import cli
from migrate.core.masking import mask_value
from reconciliation.runner import reconcile, verify


@pytest.fixture(scope="module")
def reconciled(migrated_template, tmp_path_factory):
    """One reconciliation (with the sources) of a copy of the migrated store, for the whole module."""
    from tests.reconciliation.conftest import copy_migrated

    migrated = copy_migrated(migrated_template, tmp_path_factory.mktemp("reconciled"))
    result = reconcile(migrated.store_url, migrated.files_dir.parent / "report", sources=migrated.sources,
                       files_dir=migrated.files_dir)
    assert result.ok, result.summary()
    return migrated, result


@pytest.fixture
def migrated(reconciled):
    return reconciled[0]


@pytest.fixture
def report(reconciled, tmp_path):
    """The module's report, in a folder of the test's own."""
    import dataclasses

    result = reconciled[1]
    shutil.copytree(result.report_dir, tmp_path / "report")
    return dataclasses.replace(result, report_dir=tmp_path / "report")


def test_verify_names_an_edited_removed_or_added_file(report, migrated):
    folder = report.report_dir
    assert verify(folder, migrated.store_url).ok
    conservation = folder / "conservation.csv"
    conservation.write_text(conservation.read_text("utf-8").replace("True", "False", 1), "utf-8")
    (folder / "notes.txt").write_text("added later", "utf-8")
    (folder / "content.csv").unlink()
    problems = "\n".join(verify(folder).problems)
    assert "conservation.csv: content changed" in problems
    assert "content.csv: missing" in problems
    assert "notes.txt: not in the manifest" in problems


def test_an_edited_manifest_is_caught_against_the_store(report, migrated):
    folder = report.report_dir
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    (folder / "index.html").write_text("<html>all good</html>", "utf-8")
    manifest["files"]["index.html"] = __import__("hashlib").sha256(b"<html>all good</html>").hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert verify(folder).ok  # consistent with itself...
    checked = verify(folder, migrated.store_url)  # ...but not with the hash the store recorded
    assert not checked.ok and "manifest.json: content changed" in checked.problems[0]


def test_cli_run_and_verify_exit_codes(migrated, tmp_path, monkeypatch, shell):
    for s in migrated.sources:
        monkeypatch.setenv(s.profile.url_env, s.url)
    profiles = [str(s.profile.path) for s in migrated.sources]
    out = tmp_path / "cli-report"
    runner = CliRunner()
    ok = runner.invoke(cli, ["reconcile", "run", *profiles, "--store", migrated.store_url, "--out", str(out),
                             "--files-dir", str(migrated.files_dir)])
    assert ok.exit_code == 0, ok.output
    assert "verdict: PASSED" in ok.output and "segment digests, 0 segment(s) differ" in ok.output
    assert runner.invoke(cli, ["reconcile", "verify", str(out), "--store", migrated.store_url]).exit_code == 0
    (out / "report.json").write_text("{}", "utf-8")
    altered = shell.main("reconcile", "verify", str(out), expect=3)  # the exit code a shell sees
    assert "report.json: content changed" in altered.stdout
    assert altered.error_line == f"Error: report {out} was altered after it was written"
    shutil.copy(migrated.store_url.removeprefix("sqlite:///"), tmp_path / "bad.sqlite")
    import sqlite3

    with sqlite3.connect(tmp_path / "bad.sqlite") as db:
        db.execute("update dossier set status = 'x' where id = (select min(id) from dossier)")
    broken = shell.run("reconcile", "run", "--store", f"sqlite:///{tmp_path / 'bad.sqlite'}",
                       "--out", str(tmp_path / "bad-report"), "--files-dir", str(migrated.files_dir),
                       "--no-record", expect=3)
    assert "row-changed" in broken.stdout
    assert broken.error_line == "Error: reconciliation failed; do not sign off (see the report)"


def test_workbook_has_a_sheet_per_table(report):
    book = load_workbook(report.report_dir / "report.xlsx", read_only=True)
    assert {"summary", "conservation", "conservation-by-unit", "quarantine-reasons", "content",
            "content-problems", "attachments"} <= set(book.sheetnames)


@pytest.mark.parametrize("value,masked", [
    ("001089012345", "*********345"), ("123456789", "******789"), ("0101234567-001", "**********001"),
    ("+84 912 345 678", "********678"), ("(0912) 345-888", "*******888"),
    ("an.nguyen@example.vn", "a***@example.vn"), ("Nguyễn Văn An", "N***** V** A*"), ("1990-05-17", "1990-**-**"),
    (None, None),
])
def test_masking(value, masked):
    assert mask_value(value) == masked


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_page_in_a_headless_browser(report, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    page = (report.report_dir / "index.html").resolve().as_uri()
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                          "--enable-logging=stderr", "--v=0", "--dump-dom", page],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert 'data-script-errors="0"' in dom and 'data-checks="3"' in dom  # the page's scripts ran to the end
    assert "Every check passed" in dom
    balance = report.conservation.balances[1]
    assert f"<td>{balance.source_count}</td>" in dom  # the figures are on the page
    assert 'id="chart-new-communes"' in dom and 'id="chart-quarantine-reasons"' in dom
