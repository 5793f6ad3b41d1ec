"""The runbook engine with real commands: checks, journal, stop, resume, manual steps, secrets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from migrate.core.errors import ConfigError
from runbooks import execute, journal
from runbooks.model import load_runbook

BOOK = """
[runbook]
name = "t"
title = "test runbook"

[vars]
FLAG = "{flag}"

[[step]]
id = "hello"
title = "Say hello"
run = "${{PY}} -c 'print(\\"hello postgresql://u:secret@db/x\\")'"
expect = ["hello"]
rollback = "nothing to undo"

[[step]]
id = "needs-flag"
title = "The flag file exists"
run = "${{PY}} -c 'import os,sys; print(\\"flag\\", os.path.exists(sys.argv[1]))' ${{FLAG}}"
expect = ["flag True"]
rollback = "Remove the half-made flag and stop."

[[step]]
id = "redirect"
title = "Point the old portal addresses to the new portal"
manual = true
rollback = "Restore the old DNS records."
"""


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(BOOK.format(flag=tmp_path / "flag"), "utf-8")
    return load_runbook(path)


def _run(book, tmp_path, **kw):
    env = {"PY": sys.executable, "PATH": "/usr/bin:/bin"}
    return execute.run_runbook(book, tmp_path / "j.jsonl", operator="an", environ=env, **kw)


def test_dry_run_runs_nothing(book, tmp_path):
    outcome = _run(book, tmp_path, dry_run=True)
    assert [r.verdict for r in outcome.results] == ["dry-run"] * 3
    assert not (tmp_path / "j.jsonl").exists()
    text = outcome.summary()
    assert "go if: exit 0, shows /flag True/" in text and "rollback: Restore the old DNS records." in text


def test_gate_stops_then_resume_from_the_failed_step(book, tmp_path):
    first = _run(book, tmp_path)
    assert not first.ok and first.stopped_at.step.id == "needs-flag"
    assert "does not show /flag True/" in first.stopped_at.reason
    assert "Rollback: Remove the half-made flag and stop." in first.summary()
    entries = journal.read(tmp_path / "j.jsonl")
    assert [(e.step, e.verdict, e.operator) for e in entries] == [("hello", "go", "an"), ("needs-flag", "no-go", "an")]
    assert "secret" not in entries[0].output and "u:***@db" in entries[0].output
    (tmp_path / "flag").write_text("x")
    second = _run(book, tmp_path)
    assert [r.step.id for r in second.results] == ["needs-flag", "redirect"]  # hello is not run again
    assert second.stopped_at.step.id == "redirect" and "--confirm redirect" in second.stopped_at.reason
    third = _run(book, tmp_path, confirmed=frozenset({"redirect"}))
    assert third.ok and [r.verdict for r in third.results] == ["confirmed"]
    states = {step.id: entry.verdict for step, entry in execute.status(book, tmp_path / "j.jsonl")}
    assert states == {"hello": "go", "needs-flag": "go", "redirect": "confirmed"}


def test_unknown_variable_and_bad_runbook_are_clear(tmp_path):
    path = tmp_path / "b.toml"
    path.write_text('[runbook]\nname="b"\n[[step]]\nid="Bad Id"\nrun="x"\n[[step]]\nid="y"\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load_runbook(path)
    assert "lower-case words" in str(err.value) and "needs 'run'" in str(err.value)
    path.write_text('[runbook]\nname="b"\n[[step]]\nid="x"\nrun="echo ${NOPE}"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"\$\{NOPE\} is not set"):
        execute.run_runbook(load_runbook(path), tmp_path / "j", operator="a", environ={})
