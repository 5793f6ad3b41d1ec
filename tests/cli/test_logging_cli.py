"""--version, -q, -v, --log-file and JSON log lines, through main() as a shell runs them."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import pytest

from tests.harness import hopnhat


@pytest.fixture
def hanam(demo_portals, tmp_path):
    """One demo portal, an upgraded SQLite store and the environment naming the portal's URL."""
    portal = demo_portals[0]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert hopnhat("store", "upgrade", "--store", store).code == 0
    env = {"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{portal.db_path}"}
    return portal, store, env


def test_version_prints_the_installed_version():
    result = hopnhat("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"hopnhat {version('hopnhat')}"


def test_verbose_logs_each_batch_and_the_log_file_gets_json_lines(hanam, tmp_path):
    portal, store, env = hanam
    log_file = tmp_path / "logs" / "run.jsonl"
    result = hopnhat("-v", "--log-file", str(log_file), "--log-format", "json",
                     "run", "--store", store, str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    assert "Run 1:" in result.stdout
    lines = [json.loads(line) for line in log_file.read_text("utf-8").splitlines()]
    batches = [line for line in lines if "batch_id" in line]
    assert batches, "no batch was logged"
    assert {"time", "level", "logger", "message", "source", "entity", "extracted", "loaded", "merged",
            "quarantined", "excluded"} <= set(batches[0])
    assert {b["entity"] for b in batches} >= {"account", "dossier", "dossier_event"}
    assert all(b["source"] == "hanam-portal" and b["level"] == "info" for b in batches)
    # the same lines reach stderr at -v, one JSON object each
    stderr_batches = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [b["batch_id"] for b in stderr_batches if "batch_id" in b] == [b["batch_id"] for b in batches]
    extracted = sum(b["extracted"] for b in batches if b["entity"] == "dossier")
    assert extracted == portal.counts["HoSo"]


def test_default_level_logs_no_batch_but_the_log_file_still_gets_them(hanam, tmp_path):
    portal, store, env = hanam
    log_file = tmp_path / "run.log"
    result = hopnhat("--log-file", str(log_file), "run", "--store", store, str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    assert " loaded: extracted " not in result.stderr
    text = log_file.read_text("utf-8")
    assert "INFO migrate.workers: batch 1 (hanam-portal/account" in text


def test_log_lines_follow_the_commands_language(hanam, tmp_path):
    """Logging is set up before the command's --lang is read; the lines still speak it: time, level and message in
    Vietnamese, English lines as before; a JSON line keeps its machine fields, its message said in Vietnamese."""
    portal, store, env = hanam
    log_file = tmp_path / "vi.log"
    result = hopnhat("--log-file", str(log_file), "run", "--store", store, str(portal.profile_path), "--lang", "vi",
                     env=env)
    assert result.code == 0, result.stderr
    text = log_file.read_text("utf-8")
    when = r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d"
    batch = (r"lô 1 \(hanam-portal/account, khóa \S+\) đã nạp: đã trích xuất \d+, đã nạp \d+, đã hợp nhất \d+, "
             r"cách ly \d+, loại trừ \d+$")
    assert re.search(rf"^{when} THÔNG TIN migrate\.workers: {batch}", text, re.M), text
    assert re.search(rf"^{when} THÔNG TIN hopnhat\.progress: đang chuyển đổi ", result.stderr,
                     re.M), result.stderr  # the plain progress lines on a stderr that is not a terminal
    assert " INFO " not in text and "loaded: extracted" not in text
    json_file = tmp_path / "vi.jsonl"
    again = hopnhat("--lang", "vi", "--log-file", str(json_file), "--log-format", "json", "batches", "rerun", "1",
                    "--store", store, str(portal.profile_path), env=env)
    assert again.code == 0, again.stderr
    lines = [json.loads(line) for line in json_file.read_text("utf-8").splitlines()]
    batch = next(line for line in lines if line.get("batch_id") == 1)
    assert batch["level"] == "info" and batch["message"].startswith("lô 1 (hanam-portal/account, khóa ")
    english = tmp_path / "en.log"
    assert hopnhat("--log-file", str(english), "batches", "rerun", "1", "--store", store, str(portal.profile_path),
                   "--lang", "en", env=env).code == 0
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO migrate\.workers: batch 1 \(hanam-portal/account, "
                     r"keys \S+\) loaded: extracted \d+", english.read_text("utf-8"), re.M)


def test_a_delta_runs_key_comparison_is_logged_in_the_commands_language(hanam, tmp_path):
    """The second run over a loaded source compares keys; its log line is said in Vietnamese."""
    portal, store, env = hanam
    hopnhat("-q", "run", "--store", store, str(portal.profile_path), env=env, expect=0)
    log_file = tmp_path / "delta.log"
    hopnhat("--log-file", str(log_file), "--lang", "vi", "run", "--store", store, str(portal.profile_path), env=env,
            expect=0)
    text = log_file.read_text("utf-8")
    assert re.search(r"THÔNG TIN migrate\.keydiff: hanam-portal/dossier: so khóa: [\d.]+ giữ nguyên, 0 mới \(0 không có "
                     r"mốc cập nhật vượt mốc lần trước\), 0 đã xóa ở nguồn \(0 mới đánh dấu, 0 có lại\)$", text, re.M), text
    assert "key comparison" not in text and " kept, " not in text


def test_quiet_shows_no_progress_only_the_summary(hanam):
    portal, store, env = hanam
    result = hopnhat("-q", "run", "--store", store, str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Run 1:")


def test_quiet_and_verbose_together_is_a_usage_error():
    result = hopnhat("-q", "-v", "store", "current")
    assert result.code == 2
    assert "-q and -v contradict each other" in result.stderr
    assert "Traceback" not in result.stderr
