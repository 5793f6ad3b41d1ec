"""--version, -q, -v, --log-file and JSON log lines, through main() as a shell runs them."""

from __future__ import annotations

import json
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
