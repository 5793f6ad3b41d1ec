"""``hopnhat runbook run|status|rollback`` as a shell runs them, with real hopnhat steps, on both stores.

A small load runbook: create the store, check the sources, load the Hà Nam portal, a review gate
reading a sign-off file, then a manual step. The gate stops the first run (exit 1, the rollback
shown); status shows where it stands; a rollback runs its command and is journaled; the next run
resumes at the first step without a go.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from adapters.profiles import load_profile
from migrate.store import schema
from migrate.store.models import review_item
from tests.harness import EXIT_ERROR

BOOK = """
[runbook]
name = "load-hanam"
title = "Load the Hà Nam portal into the unified store"

[[step]]
id = "store-schema"
title = "The store exists at the latest schema"
run = "hopnhat store upgrade --store ${STORE}"
expect = ["is at schema revision"]
rollback = "Drop what hopnhat created in the store."
rollback_run = "hopnhat store downgrade --store ${STORE} base"

[[step]]
id = "sources"
title = "The portal is readable and the store current"
run = "hopnhat preflight ${PROFILE} --store ${STORE} --only schema --only sources"
expect = ["Preflight: GO"]
rollback = "Nothing changed."

[[step]]
id = "load"
title = "Load the portal"
run = "hopnhat -q run ${PROFILE} --store ${STORE} --files-dir ${FILES}"
refuse = ["Traceback"]
rollback = "Roll back store-schema: hopnhat runbook rollback THIS-RUNBOOK store-schema"

[[step]]
id = "review-gate"
title = "Every open review item is decided or signed off"
run = "hopnhat preflight ${PROFILE} --store ${STORE} --only review --signed-off ${SIGNED_OFF}"
expect = ["Preflight: GO"]
rollback = "Decide the open items (hopnhat map review export / import) or list them in the sign-off file."

[[step]]
id = "redirect"
title = "Point the old portal's address to the new portal"
manual = true
rollback = "Restore the old DNS record."
"""


@pytest.fixture
def book(shell, store_url, demo_portals):
    portal = demo_portals[0]
    path = shell.cwd / "load-hanam.toml"
    path.write_text(BOOK, "utf-8")
    env = {"STORE": store_url, "PROFILE": str(portal.profile_path), "FILES": str(shell.cwd / "files"),
           "SIGNED_OFF": str(shell.cwd / "signed-off.txt"), "HOPNHAT_OPERATOR": "operator on duty",
           load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}"}
    return path, store_url, env


def _journal(shell) -> list[dict]:
    return [json.loads(line) for line in (shell.cwd / "load-hanam.journal.jsonl").read_text("utf-8").splitlines()]


def _status(shell, path, env) -> dict[str, str]:
    out = shell.main("runbook", "status", str(path), env=env)
    states = {}
    for line in out.stdout.splitlines()[1:]:
        if line.startswith("  [") and "] " in line:
            verdict, rest = line.strip()[1:].split("] ", 1)
            states[rest.split(":", 1)[0]] = verdict.strip()
    return states | {"next": out.stdout.splitlines()[-1]}


def test_dry_run_prints_every_step_and_runs_nothing(shell, book):
    path, store, env = book
    out = shell.run("runbook", "run", str(path), "--dry-run", env=env)
    assert out.stdout.count("[  dry-run]") == 5
    assert f"$ hopnhat store upgrade --store {schema.safe_url(store)}" in out.stdout
    assert "go if: exit 0, shows /Preflight: GO/" in out.stdout and "rollback: Restore the old DNS record." in out.stdout
    assert not (shell.cwd / "load-hanam.journal.jsonl").exists()


def test_gate_stops_status_rollback_and_resume(shell, book):
    path, store, env = book
    stopped = shell.run("runbook", "run", str(path), env=env, expect=EXIT_ERROR)
    assert "[       go] load: Load the portal" in stopped.stdout
    assert "[    no-go] review-gate: " in stopped.stdout
    assert "STOPPED at review-gate: " in stopped.stdout
    assert "Rollback: Decide the open items (hopnhat map review export / import)" in stopped.stdout
    assert "--> store-schema: The store exists at the latest schema" in stopped.stderr
    assert stopped.error_line == (f"Error: runbook load-hanam stopped (see above); fix the cause, then resume: "
                                  f"hopnhat runbook run {path}")
    assert [(e["step"], e["verdict"], e["operator"]) for e in _journal(shell)] == [
        ("store-schema", "go", "operator on duty"), ("sources", "go", "operator on duty"),
        ("load", "go", "operator on duty"), ("review-gate", "no-go", "operator on duty")]
    status = _status(shell, path, env)
    assert status == {"store-schema": "go", "sources": "go", "load": "go", "review-gate": "no-go",
                      "redirect": "pending", "next": "Next step: review-gate"}

    manual = shell.main("runbook", "rollback", str(path), "load", env=env, expect=EXIT_ERROR)
    assert manual.error_line == ("Error: step load has no rollback command; its rollback is manual: Roll back "
                                 "store-schema: hopnhat runbook rollback THIS-RUNBOOK store-schema")
    rolled = shell.run("runbook", "rollback", str(path), "store-schema", env=env)
    assert rolled.stdout.startswith("store-schema: rolled-back\n")
    assert f"Store {schema.safe_url(store)} is at schema revision base." in rolled.stdout
    assert shell.main("store", "current", "--store", store).stdout.startswith(f"Store {schema.safe_url(store)}: "
                                                                              "revision none;")
    assert _journal(shell)[-1]["step"] == "store-schema" and _journal(shell)[-1]["verdict"] == "rolled-back"
    assert _status(shell, path, env)["next"] == "Next step: store-schema"

    # resumed at the rolled-back step: the store is created and loaded again, the gate stops again
    again = shell.main("runbook", "run", str(path), env=env, expect=EXIT_ERROR)
    assert [line.split("] ")[1].split(":")[0] for line in again.stdout.splitlines() if line.startswith("  [")] == \
        ["store-schema", "sources", "load", "review-gate"]
    engine = schema.connect(store)
    with engine.connect() as conn:
        keys = conn.execute(select(review_item.c.source_system, review_item.c.source_table, review_item.c.source_key)
                            .where(review_item.c.state == "open")).all()
    engine.dispose()
    assert keys
    (shell.cwd / "signed-off.txt").write_text("".join(f"{s}/{t}/{k}\n" for s, t, k in keys), "utf-8")
    manual_step = shell.main("runbook", "run", str(path), env=env, expect=EXIT_ERROR)
    assert "[       go] review-gate: " in manual_step.stdout
    assert "STOPPED at redirect: manual step: do it, then confirm with --confirm redirect" in manual_step.stdout
    done = shell.run("runbook", "run", str(path), "--confirm", "redirect", env=env)
    assert "[confirmed] redirect: " in done.stdout and "STOPPED" not in done.stdout
    final = _status(shell, path, env)
    assert final == {"store-schema": "go", "sources": "go", "load": "go", "review-gate": "go",
                     "redirect": "confirmed", "next": "All steps done."}


def test_an_unknown_step_or_runbook_is_one_error_line(shell, book):
    path, _, env = book
    unknown = shell.main("runbook", "rollback", str(path), "no-such-step", env=env, expect=EXIT_ERROR)
    assert "no-such-step" in unknown.error_line
    missing = shell.main("runbook", "status", str(shell.cwd / "none.toml"), env=env, expect=2)
    assert "does not exist" in missing.stderr
