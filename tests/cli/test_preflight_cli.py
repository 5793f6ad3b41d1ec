"""``hopnhat preflight`` as a shell runs it: GO exits 0, a NO-GO exits 3 naming the failed checks.

On both stores: a store behind the schema, a source missing a column, split communes no rule
resolves and an open review queue are each a NO-GO with what to do next; the records signed off
at sign-off turn the mapping and review checks into a GO.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import select

from adapters.profiles import load_profile
from migrate.store import schema
from migrate.store.models import review_item
from tests.harness import EXIT_CHECK_FAILED


@pytest.fixture
def hanam(demo_portals, tmp_path):
    """A copy of the Hà Nam demo portal (tests may damage it) and the environment naming it."""
    portal = demo_portals[0]
    copy = tmp_path / portal.db_path.name
    shutil.copyfile(portal.db_path, copy)
    return portal, copy, {load_profile(portal.profile_path).url_env: f"sqlite:///{copy}"}


def _lines(out: str) -> dict[str, str]:
    """``[   go] schema: ...`` lines by check name -> 'go' or 'NO-GO'."""
    found = {}
    for line in out.splitlines():
        if line.startswith("[") and "] " in line:
            verdict, rest = line[1:].split("] ", 1)
            found[rest.split(":", 1)[0]] = verdict.strip()
    return found


def test_a_fresh_store_and_readable_sources_are_a_go(shell, store_url, hanam):
    portal, _, env = hanam
    for way in (shell.run, shell.main):
        out = way("preflight", str(portal.profile_path), "--store", store_url, "--only", "schema", "--only",
                  "sources", "--only", "disk", "--files-dir", str(shell.cwd / "files"), env=env)
        assert _lines(out.stdout) == {"schema": "go", "sources": "go", "disk": "go"}
        assert out.stdout.rstrip().endswith("Preflight: GO") and out.stderr == ""
        assert f"hanam-portal/dossier (HoSo): {portal.counts['HoSo']} rows" in out.stdout


def test_split_communes_without_rules_are_a_no_go_until_signed_off(shell, store_url, hanam, tmp_path):
    portal, _, env = hanam
    files = str(shell.cwd / "files")
    args = ("preflight", str(portal.profile_path), "--store", store_url, "--files-dir", files)
    nogo = shell.run(*args, env=env, expect=EXIT_CHECK_FAILED)
    assert _lines(nogo.stdout) == {"schema": "go", "sources": "go", "mapping": "NO-GO", "review": "go", "disk": "go"}
    assert "resolve to no new commune: decide them (hopnhat map review export / import) or sign them off" \
        in nogo.stdout
    assert "hanam-portal: review:split-ambiguous" in nogo.stdout
    assert nogo.stdout.rstrip().endswith("Preflight: NO-GO — fix the checks above before the cutover")
    assert nogo.error_line == ("Error: preflight is a NO-GO (mapping): fix what the lines above name, then run "
                               "hopnhat preflight again")

    # the run puts the same records in quarantine and the review queue: now review is a NO-GO too
    shell.main("-q", "run", str(portal.profile_path), "--store", store_url, "--files-dir", files, env=env,
               expect=None)
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        open_items = conn.execute(select(review_item.c.source_system, review_item.c.source_table,
                                         review_item.c.source_key).where(review_item.c.state == "open")).all()
    engine.dispose()
    assert open_items
    both = shell.main(*args, "--only", "mapping", "--only", "review", env=env, expect=EXIT_CHECK_FAILED)
    assert _lines(both.stdout) == {"mapping": "NO-GO", "review": "NO-GO"}
    assert f"{len(open_items)} open review item(s) not signed off" in both.stdout
    assert both.error_line.startswith("Error: preflight is a NO-GO (mapping, review): ")

    signed = tmp_path / "signed-off.txt"
    signed.write_text("# accepted at sign-off to stay in quarantine\n"
                      + "".join(f"{s}/{t}/{k}\n" for s, t, k in open_items), "utf-8")
    go = shell.main(*args, "--only", "mapping", "--only", "review", "--signed-off", str(signed), env=env)
    assert _lines(go.stdout) == {"mapping": "go", "review": "go"}
    assert f"{len(open_items)} open review item(s), all signed off" in go.stdout
    assert go.stdout.rstrip().endswith("Preflight: GO")


def test_a_store_behind_the_schema_and_a_missing_column_are_named(shell, store_url, hanam):
    portal, copy, env = hanam
    schema.downgrade(schema.connect(store_url), "0002")
    with sqlite3.connect(copy) as db:
        db.execute("ALTER TABLE HoSo RENAME COLUMN SoHoSo TO SoHoSoCu")     # a column the profile reads is gone
    out = shell.run("preflight", str(portal.profile_path), "--store", store_url, "--only", "schema",
                    "--only", "sources", env=env, expect=EXIT_CHECK_FAILED)
    assert _lines(out.stdout) == {"schema": "NO-GO", "sources": "NO-GO"}
    assert f"schema: store at revision 0002, latest is {schema.head_revision()}; run: hopnhat store upgrade" \
        in out.stdout
    assert "sources: a source is not readable" in out.stdout
    assert "hanam-portal/dossier (HoSo): " in out.stdout and "SoHoSo" in out.stdout
    assert out.error_line.startswith("Error: preflight is a NO-GO (schema, sources): ")
