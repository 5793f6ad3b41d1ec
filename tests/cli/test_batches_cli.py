"""`hopnhat batches list|show|rerun` as an operator runs them at 2 a.m., on SQLite and PostgreSQL.

The store refuses the bookkeeping of one dossier (a trigger, as a full disk would), so the run
leaves one failed batch; the operator reads it, reruns it while the cause is
still there (exit 1, counts that agree), removes the cause and reruns it again.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from adapters.profiles import load_profile
from migrate.store import schema
from tests.harness import EXIT_ERROR

REFUSE = {  # the store refuses the batch's bookkeeping for dossier 7, as a full disk would
    "sqlite": ["CREATE TRIGGER refuse BEFORE INSERT ON lineage WHEN NEW.entity = 'dossier' AND "
               "NEW.source_key = '7' BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
    "postgresql": ["CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.entity = 'dossier' AND NEW.source_key = '7' THEN RAISE EXCEPTION 'disk full'; "
                   "END IF; RETURN NEW; END $$",
                   "CREATE TRIGGER refuse BEFORE INSERT ON lineage FOR EACH ROW EXECUTE FUNCTION refuse()"],
}
ALLOW = {"sqlite": ["DROP TRIGGER refuse"], "postgresql": ["DROP TRIGGER refuse ON lineage"]}


def _execute(url: str, statements: list[str]) -> None:
    engine = schema.connect(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


@pytest.fixture
def failed_run(store_url, demo_portals, shell, tmp_path):
    """A run of one portal into a store that refused dossier 7: (store, env, failed batch id)."""
    portal = demo_portals[0]
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}",
           "HOPNHAT_STORE_URL": store_url, "HOPNHAT_FILES_DIR": str(tmp_path / "files")}
    engine = schema.connect(store_url)
    dialect = engine.dialect.name
    engine.dispose()
    _execute(store_url, REFUSE[dialect])
    run = shell.main("run", str(portal.profile_path), "--batch-size", "40", env=env, expect=EXIT_ERROR)
    assert re.search(r"^  Batch \d+ failed\. Rerun: hopnhat batches rerun \d+$", run.stdout, re.MULTILINE), run
    assert "Error: the run did not load everything" in run.error_line
    listed = shell.main("batches", "list", "--state", "failed", env=env)
    ids = re.findall(r"^\s+(\d+)\s+\S+/dossier\s", listed.stdout, re.MULTILINE)
    assert len(ids) == 1, listed
    return store_url, env, int(ids[0]), dialect


def test_the_operators_path_list_show_rerun_fix_rerun(failed_run, shell):
    store, env, batch_id, dialect = failed_run

    listed = shell.main("batches", "list", env=env)
    header, *rows, total = listed.stdout.splitlines()
    assert header.split()[-1] == "worker"
    assert total == f"{len(rows)} batch(es)" and len(rows) > 3
    for row in rows:
        assert re.search(r"\s\S+:\d+$", row), f"no host:pid worker in {row!r}"

    shown = shell.run("batches", "show", str(batch_id), env=env)
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"Batch {batch_id} (hanam-portal/dossier, keys ")
    fields = dict(line.strip().split(": ", 1) for line in lines[1:] if ": " in line)
    assert fields["state"] == "failed" and fields["attempts"] == "1"
    assert re.fullmatch(r"\S+:\d+", fields["worker"])
    assert fields["source_table"] == "HoSo"
    assert fields["counts"] == "extracted 0, loaded 0, merged 0, quarantined 0, excluded 0"
    assert "disk full" in fields["error"] and f"hopnhat batches rerun {batch_id}" in fields["error"]
    assert "failed after 1 attempt(s)" in fields["error"]
    assert shown.stderr == ""

    # the cause is still there: exit 1 in a shell, and the attempt counts agree everywhere
    rerun = shell.run("batches", "rerun", str(batch_id), env=env, expect=EXIT_ERROR)
    assert f"failed after 2 attempt(s)" in rerun.stdout
    assert "1 batch(es) rerun: 0 loaded, 1 still failed" in rerun.stdout
    assert rerun.error_line == (
        f"Error: 1 batch(es) still failed after the rerun: {batch_id}. The cause is still there: read it "
        f"(hopnhat batches show {batch_id}), fix it, then hopnhat batches rerun {batch_id}")
    shown = shell.main("batches", "show", str(batch_id), env=env).stdout
    assert "  attempts: 2\n" in shown and "failed after 2 attempt(s)" in shown
    said = shell.main("--lang", "vi", "batches", "show", str(batch_id), env=env).stdout  # the ledger keeps English
    assert re.search(rf"^  lỗi: Lô {batch_id} \(hanam-portal/dossier, khóa \S+\) bị lỗi sau 2 lần thử: .*disk full.*\. "
                     rf"Kho chưa có dữ liệu nào của lô này\. Chạy lại: hopnhat batches rerun {batch_id}$", said, re.M), said

    _execute(store, ALLOW[dialect])  # the operator frees the disk
    fixed = shell.run("batches", "rerun", str(batch_id), env=env)
    assert f"Batch {batch_id} (hanam-portal/dossier" in fixed.stdout
    assert ": loaded after 3 attempt(s)" in fixed.stdout
    assert "1 batch(es) rerun: 1 loaded, 0 still failed" in fixed.stdout
    assert shell.main("batches", "list", "--state", "failed", env=env).stdout.splitlines()[-1] == "0 batch(es)"


@pytest.mark.parametrize("command", ["show", "rerun"])
def test_a_batch_that_does_not_exist_is_named(store_url, shell, command):
    out = shell.main("batches", command, "999999", "--store", store_url, expect=EXIT_ERROR)
    assert out.error_line.startswith("Error: There is no batch 999999 in the store ")
    assert out.error_line.endswith("List the batches: hopnhat batches list")
    assert "names its profiles" not in out.stderr
