"""Every part of a multi-part profile: the freeze, preflight, reconciliation and the rebuild cover them all.

The OpenCPS v2 profile feeds two entities from two tables each: accounts from
opencps_applicant and opencps_employee (``account.staff``), history from
opencps_dossieraction and opencps_dossierlog (``dossier_event.log``).
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, update

from adapters.profiles import builtin_profile_path
from migrate import pipeline
from migrate.config import Settings
from migrate.preflight import preflight
from migrate.store import schema
from migrate.store.models import dossier_event
from reconciliation.runner import reconcile
from tests.harness import hopnhat

SECOND_PARTS = {"account.staff": "opencps_employee", "dossier_event.log": "opencps_dossierlog"}


def _hopnhat(*args: str) -> tuple[int, str]:
    """``hopnhat ARGS`` through main() (tests/harness.py), with the variables the test set: exit code and output."""
    out = hopnhat(*args, keep_env=True)
    return out.code, out.output


def _legacy(url: str) -> sqlite3.Connection:
    return sqlite3.connect(url.removeprefix("sqlite:///"))


def _settings(url, files_root, store, tmp_path) -> Settings:
    return Settings.load(["opencps-v2"], store=store, source_urls={"opencps-v2": url}, files_dir=tmp_path / "files",
                         environ={"HOPNHAT_SOURCE_OPENCPS_FILES": str(files_root)})


def test_freeze_check_sees_every_part(opencps_sqlite, tmp_path, monkeypatch):
    url, _, _ = opencps_sqlite
    profile = str(builtin_profile_path("opencps-v2"))
    record = tmp_path / "freeze.json"
    code, out = _hopnhat("freeze", "take", profile, "--source", f"opencps-v2={url}",
                         "--out", str(record))
    assert code == 0, out
    for label in SECOND_PARTS:
        assert f"opencps-v2/{label}:" in out
    code, out = _hopnhat("freeze", "check", str(record), profile, "--source",
                         f"opencps-v2={url}")
    assert (code, out.strip()) == (0, "Sources unchanged since the freeze."), out
    with _legacy(url) as db:
        db.execute("delete from opencps_dossierlog")
        db.execute("update opencps_employee set fullName = fullName || ' (renamed)'")
    code, out = _hopnhat("freeze", "check", str(record), profile, "--source",
                         f"opencps-v2={url}")
    assert code == 3, out
    assert "Sources unchanged" not in out
    changed = [line for line in out.splitlines() if line.startswith("CHANGED")]
    assert len(changed) == 2, out
    assert any("opencps-v2/dossier_event.log (opencps_dossierlog):" in line and "rows at the freeze, 0 now" in line
               for line in changed), out
    assert any("opencps-v2/account.staff (opencps_employee): same" in line and "content changed" in line
               for line in changed), out
    assert "2 source table(s) changed after the freeze" in out


def test_preflight_reads_every_part(opencps_sqlite, sqlite_store, tmp_path):
    url, files_root, counts = opencps_sqlite
    settings = _settings(url, files_root, sqlite_store, tmp_path)
    result = preflight(settings, only=("sources",))
    assert result.go, result.summary()
    (check,) = result.results
    for label, table in SECOND_PARTS.items():
        assert f"opencps-v2/{label} ({table}): {counts[table]} rows" in check.details
    assert len(check.details) == len(settings.sources[0].profile.ordered()) == 7
    with _legacy(url) as db:
        db.execute("alter table opencps_dossierlog rename to opencps_dossierlog_gone")
    result = preflight(settings, only=("sources",))
    assert not result.go
    (check,) = result.results
    broken = [d for d in check.details if d.startswith("opencps-v2/dossier_event.log (opencps_dossierlog): ")]
    assert broken and "rows" not in broken[0], check.details
    assert "Preflight: NO-GO" in result.summary()


def test_reconcile_and_rebuild_cover_every_part(opencps_sqlite, sqlite_store, tmp_path):
    url, files_root, counts = opencps_sqlite
    settings = _settings(url, files_root, sqlite_store, tmp_path)
    pipeline.run(settings)
    first = reconcile(sqlite_store, None, sources=settings.sources, files_dir=settings.files_dir, record=False)
    tables = {t.table: t for t in first.content.tables_checked}
    for table in SECOND_PARTS.values():
        checked = tables[table]
        assert checked.ok and checked.records == checked.source_records == counts[table], checked.as_dict()
        assert checked.rows > 0  # store rows rebuilt as canonical records and rehashed
    balances = {b.entity: b for b in first.conservation.balances}
    for label, table in SECOND_PARTS.items():
        assert balances[label].ok and balances[label].source_count == counts[table]
    # the store row of a log entry changed: the rebuild of the log part names it
    engine = schema.connect(sqlite_store)
    with engine.begin() as conn:
        row = conn.execute(select(dossier_event.c.id, dossier_event.c.source_key)
                           .where(dossier_event.c.source_table == "opencps_dossierlog").limit(1)).one()
        conn.execute(update(dossier_event).where(dossier_event.c.id == row.id).values(note="edited"))
    engine.dispose()
    # and an employee renamed in the source since the migration: the comparison with the source names it
    with _legacy(url) as db:
        db.execute("update opencps_employee set fullName = 'Someone Else' "
                   "where employeeId = (select min(employeeId) from opencps_employee)")
    second = reconcile(sqlite_store, None, sources=settings.sources, files_dir=settings.files_dir, record=False)
    assert not second.ok
    problems = {(p.entity, p.table, p.kind) for p in second.content.problems}
    assert ("dossier_event", "opencps_dossierlog", "row-changed") in problems, problems
    assert ("account", "opencps_employee", "changed") in problems, problems
    log_problems = [p for p in second.content.problems if p.table == "opencps_dossierlog"]
    assert {p.key for p in log_problems} == {row.source_key}  # in the store, and against the source
    assert {p.kind for p in log_problems} == {"row-changed", "changed"}
