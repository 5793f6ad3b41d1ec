"""hopnhat.toml: found in the current folder or given with --config; flags > env > project file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from migrate.config import Project, Settings
from migrate.core.errors import ConfigError
from tests.harness import hopnhat


@pytest.fixture
def project(demo_portals, tmp_path):
    """A folder with a hopnhat.toml naming two demo profiles (a copy of one, next to it, for --config)."""
    shutil.copy(demo_portals[0].profile_path, tmp_path / "hanam.toml")
    names = ", ".join(f'"{p.profile_path}"' for p in demo_portals[:2])
    (tmp_path / "hopnhat.toml").write_text(
        '[store]\nurl_env = "NB_STORE_URL"\nfiles_dir = "store-files"\n\n'
        f'[run]\nprofiles = [{names}]\nbatch_size = 25\n\n'
        '[reconcile]\nout = "audit"\n', encoding="utf-8")
    env = {"NB_STORE_URL": f"sqlite:///{tmp_path / 'nb.sqlite'}",
           "HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{demo_portals[0].db_path}",
           "HOPNHAT_SOURCE_NAMDINH_URL": f"sqlite:///{demo_portals[1].db_path}"}
    return tmp_path, env


def test_one_project_file_reaches_run_reconcile_and_batches(project, demo_portals):
    folder, env = project
    assert hopnhat("store", "upgrade", env=env, cwd=folder).code == 0
    run = hopnhat("-q", "run", "--json", env=env, cwd=folder)
    assert run.code == 0, run.stderr
    entities = json.loads(run.stdout)["entities"]
    assert {e["source"] for e in entities} == {"hanam-portal", "namdinh-portal"}
    listing = json.loads(hopnhat("batches", "list", "--json", env=env, cwd=folder).stdout)
    dossier_batches = [b for b in listing["batches"]
                       if b["source"] == "hanam-portal" and b["entity"] == "dossier"]
    assert len(dossier_batches) == -(-demo_portals[0].counts["HoSo"] // 25)  # batch_size 25 from the file
    assert any((folder / "store-files").rglob("*")), "attachments not in the project's files_dir"
    recon = hopnhat("-q", "reconcile", "run", env=env, cwd=folder)
    assert recon.code == 0, recon.stderr
    assert (folder / "audit" / "index.html").is_file()
    assert "verdict: PASSED" in recon.stdout


def test_flags_and_environment_win_over_the_project_file(project, tmp_path_factory):
    folder, env = project
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    store = f"sqlite:///{elsewhere / 'flag.sqlite'}"
    assert hopnhat("--config", str(folder / "hopnhat.toml"), "store", "upgrade", "--store", store, env=env).code == 0
    assert not (folder / "nb.sqlite").exists()
    run = hopnhat("-q", "--config", str(folder / "hopnhat.toml"), "run", "--json", "--store", store,
                  "--batch-size", "1000", str(folder / "hanam.toml"), env=env | {"HOPNHAT_BATCH_SIZE": "7"},
                  cwd=elsewhere)
    # the copied profile has no attachment folder beside it: its files are quarantined, a named warning (exit 4)
    assert run.code == 4, run.stderr
    assert {w["code"] for w in json.loads(run.stdout)["warnings"]} >= {"entity-wholly-quarantined"}
    assert [e["source"] for e in json.loads(run.stdout)["entities"]][0] == "hanam-portal"
    listing = json.loads(hopnhat("batches", "list", "--json", "--store", store).stdout)
    assert {b["source"] for b in listing["batches"]} == {"hanam-portal"}
    assert max(b["counts"]["extracted"] for b in listing["batches"]) > 25  # the flag, not the file's 25


def test_environment_beats_the_file_and_the_file_beats_defaults(project):
    folder, env = project
    found = Project.find(cwd=folder, environ={})
    from_file = Settings.load(project=found, environ=env)
    assert from_file.batch_size == 25 and from_file.files_dir == folder / "store-files"
    assert from_file.store_url == env["NB_STORE_URL"]
    from_env = Settings.load(project=found, environ=env | {"HOPNHAT_BATCH_SIZE": "9", "HOPNHAT_STORE_URL": "sqlite:///e"})
    assert from_env.batch_size == 9 and from_env.store_url == "sqlite:///e"
    assert Settings.load(environ={}).batch_size == 1000


def test_a_wrong_project_file_names_every_problem_at_once(tmp_path):
    (tmp_path / "hopnhat.toml").write_text(
        '[store]\nurl = "postgresql://hopnhat:s3cret@db/unified"\n[run]\nprofiles = ["missing.toml"]\n'
        'workers = 0\nbatch_size = "big"\n[bogus]\nx = 1\n', encoding="utf-8")
    result = hopnhat("batches", "list", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    for part in ("[store] url: a URL (and its password) never goes in a file", "unknown section [bogus]",
                 "profile missing.toml not found", "workers must be at least 1", "batch_size must be int"):
        assert part in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(ConfigError) as caught:
        Project.load(tmp_path / "hopnhat.toml")
    assert len(caught.value.problems) == 5


def test_a_store_variable_the_file_names_but_nobody_set(project):
    folder, env = project
    result = hopnhat("batches", "list", cwd=folder)
    assert result.code == 1
    assert "names NB_STORE_URL for the store URL, and it is not set" in result.stderr


def test_run_without_profiles_or_project_file_is_a_usage_error(tmp_path):
    result = hopnhat("run", cwd=tmp_path)
    assert result.code == 2
    assert "list them in hopnhat.toml" in result.stderr


def test_a_missing_config_file_is_named(tmp_path):
    result = hopnhat("--config", str(tmp_path / "nope.toml"), "batches", "list")
    assert result.code == 1
    assert f"project file {tmp_path / 'nope.toml'} not found" in result.stderr


def test_every_setting_of_the_project_file_is_a_field_read_from_it(tmp_path):
    """The file's keys are the fields of Project (one list): a file naming every key sets every field."""
    import dataclasses

    from migrate.config import PROJECT_KEYS

    for name in ("hanam.toml", "rules.csv", "remaps.csv"):
        (tmp_path / name).write_text("", encoding="utf-8")
    values = {str: "rules.csv", list: ["hanam.toml"], int: 7, bool: True}
    special = {("store", "url_env"): "NB_STORE_URL", ("run", "earliest_date"): "1990-01-01",
               ("run", "remaps"): "remaps.csv"}
    lines = []
    for section, keys in PROJECT_KEYS.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(special.get((section, key), values[kind]))}" for key, kind in keys.items()]
    (tmp_path / "hopnhat.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = Project.load(tmp_path / "hopnhat.toml")
    unset = [f.name for f in dataclasses.fields(Project) if getattr(loaded, f.name) in (None, ())]
    assert unset == []
    assert sum(len(keys) for keys in PROJECT_KEYS.values()) == len(dataclasses.fields(Project)) - 1  # all but path
    assert loaded.earliest_date == "1990-01-01" and loaded.workers == 7 and loaded.store_url_env == "NB_STORE_URL"
    assert loaded.report_dir == tmp_path / "rules.csv" and loaded.profiles == (tmp_path / "hanam.toml",)
