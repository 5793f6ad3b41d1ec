"""The documented exit codes (0 ok, 1 error, 2 usage, 3 a check failed) as a shell sees them.

Each case runs as a real process and through ``main()``: both must agree,
print one ``Error: ...`` line and no traceback unless ``--debug``.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from adapters.profiles import load_profile
from tests.harness import EXIT_CHECK_FAILED, EXIT_ERROR, EXIT_OK, EXIT_USAGE


@pytest.mark.parametrize("way", ["run", "main"])
def test_usage_errors_exit_2(shell, way):
    invoke = getattr(shell, way)
    unknown = invoke("no-such-command", expect=EXIT_USAGE)
    assert "No such command 'no-such-command'" in unknown.stderr and unknown.stdout == ""
    missing = invoke("batches", "rerun", expect=EXIT_USAGE)
    assert "name batch ids, or use --failed or --quarantined" in missing.stderr
    bad_value = invoke("demo", "--scale", "0", expect=EXIT_USAGE)
    assert "Invalid value for '--scale'" in bad_value.stderr


@pytest.mark.parametrize("way", ["run", "main"])
def test_an_error_is_one_line_and_exit_1(shell, way):
    out = getattr(shell, way)("source", "show", "no-such-profile", expect=EXIT_ERROR)
    assert out.stdout == ""
    assert out.stderr == "Error: no built-in profile 'no-such-profile'; built in: demo-portal, opencps-v2\n"


def test_debug_adds_the_traceback_and_keeps_the_exit_code(shell):
    out = shell.run("--debug", "source", "show", "no-such-profile", expect=EXIT_ERROR)
    assert out.stderr.startswith("Traceback (most recent call last)")
    assert "migrate.core.errors.ConfigError: no built-in profile 'no-such-profile'" in out.stderr
    assert out.stderr.splitlines()[-1] == out.error_line
    after = shell.run("source", "show", "no-such-profile", "--debug", expect=EXIT_USAGE)  # only before the command
    assert "No such option '--debug'" in after.stderr


def test_a_file_that_cannot_be_written_is_named(shell, sqlite_store, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder is expected", encoding="utf-8")
    out = shell.main("quarantine", "export", "--store", sqlite_store, "--out", str(blocker / "q.csv"),
                     expect=EXIT_ERROR)
    assert out.error_line.startswith("Error: File exists: ") and str(blocker) in out.error_line


def test_ok_is_0_with_nothing_on_stderr(shell, store_url):
    for way in (shell.run, shell.main):
        out = way("store", "current", "--store", store_url, expect=EXIT_OK)
        assert out.stderr == ""
        assert out.stdout.startswith("Store ") and "; latest " in out.stdout


def test_a_failed_check_exits_3(shell, demo_portals, tmp_path):
    portal = demo_portals[1]
    copy = tmp_path / portal.db_path.name
    shutil.copyfile(portal.db_path, copy)
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{copy}"}
    record = tmp_path / "freeze.json"
    taken = shell.run("freeze", "take", str(portal.profile_path), "--out", str(record), env=env)
    assert f"Freeze recorded in {record}" in taken.stdout
    assert shell.main("freeze", "check", str(record), str(portal.profile_path), env=env).stdout.endswith(
        "Sources unchanged since the freeze.\n")
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM HoSo WHERE Id = (SELECT MAX(Id) FROM HoSo)")
    for way in (shell.run, shell.main):
        out = way("freeze", "check", str(record), str(portal.profile_path), env=env, expect=EXIT_CHECK_FAILED)
        assert "CHANGED namdinh-portal/dossier (HoSo)" in out.stdout
        assert out.error_line.startswith("Error: 1 source table(s) changed after the freeze recorded in ")
