"""The quarantine shrinks when its causes are fixed; operators list and export it; reruns need no profiles."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from adapters.profiles import load_profile
from migrate import ledger, pipeline
from migrate.cli import cli
from migrate.core.masking import mask_text
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import dossier, new_unit, quarantine, review_item
from reconciliation.checks import conservation


def _open(engine, **where) -> int:
    stmt = select(func.count()).select_from(quarantine).where(quarantine.c.released_at.is_(None))
    for name, value in where.items():
        stmt = stmt.where(quarantine.c[name] == value)
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _decide_one_dossier(engine) -> str:
    """A reviewer picks a new commune for one quarantined dossier's place; returns its key."""
    with engine.begin() as conn:
        key = conn.execute(select(quarantine.c.source_key).where(
            quarantine.c.entity == "dossier", quarantine.c.field == "commune_code",
            quarantine.c.released_at.is_(None)).order_by(quarantine.c.id).limit(1)).scalar_one()
        item = conn.execute(select(review_item).where(review_item.c.kind == "remap",
                                                      review_item.c.source_key == key)).one()
        choice = (item.candidates or [None])[0] or conn.execute(
            select(new_unit.c.code).order_by(new_unit.c.code).limit(1)).scalar_one()
        conn.execute(update(review_item).where(review_item.c.id == item.id)
                     .values(state="decided", decision=choice, decided_by="reviewer"))
    return key


@pytest.mark.parametrize("how", ["rerun-quarantined", "run-again"])
def test_manual_decision_releases_dossier_and_its_children(store_url, demo_portals, tmp_path, how):
    settings = demo_settings(demo_portals[:1], store_url, tmp_path / "files", batch_size=40)
    assert pipeline.run(settings).ok
    engine = schema.connect(store_url)
    before = _open(engine)
    key = _decide_one_dossier(engine)
    children = _open(engine, field="dossier_key")
    with engine.connect() as conn:
        waiting = conn.execute(select(func.count()).select_from(quarantine).where(
            quarantine.c.field == "dossier_key", quarantine.c.released_at.is_(None),
            quarantine.c.reason.like(f"dossier {key} %"))).scalar_one()
    if how == "rerun-quarantined":
        rows = pipeline.rerun_quarantined(settings)
        assert rows and all(r.state == "loaded" for r in rows)
    else:
        assert pipeline.run(settings).ok
    # one decision settles every record saying the same about its place, so at least this one and its children
    assert waiting > 0 and _open(engine) <= before - 1 - waiting
    assert _open(engine, field="dossier_key") <= children - waiting
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine).where(
            quarantine.c.released_at.is_(None), quarantine.c.reason.like(f"dossier {key} %"))).scalar_one() == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossier).where(dossier.c.source_key == key)).scalar_one() == 1
    assert conservation(engine).ok


def test_failed_parent_batch_rerun_releases_children(sqlite_store, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:1], sqlite_store, tmp_path / "files", batch_size=40)
    engine = schema.connect(sqlite_store)
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON lineage WHEN NEW.entity = 'dossier' AND "
                          "NEW.source_key = '45' "
                          "BEGIN SELECT RAISE(ABORT, 'store refused the row'); END"))
    report = pipeline.run(settings)
    assert len(report.failed_batches) == 1
    assert _open(engine, field="dossier_key") > 0
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    rows = pipeline.rerun_failed(settings)
    assert [r.state for r in rows] == ["loaded"]
    with engine.connect() as conn:
        waiting = conn.execute(select(func.count()).select_from(quarantine).where(
            quarantine.c.released_at.is_(None), quarantine.c.reason.like("%not extracted%"))).scalar_one()
    assert waiting == 0
    assert conservation(engine).ok


def test_cli_rerun_failed_without_profiles_and_quarantine_export(sqlite_store, demo_portals, tmp_path, monkeypatch):
    portal = demo_portals[0]
    monkeypatch.setenv(load_profile(portal.profile_path).url_env, f"sqlite:///{portal.db_path}")
    engine = schema.connect(sqlite_store)
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON lineage WHEN NEW.entity = 'dossier' AND "
                          "NEW.source_key = '45' "
                          "BEGIN SELECT RAISE(ABORT, 'store refused the row'); END"))
    runner = CliRunner()
    files = str(tmp_path / "files")
    result = runner.invoke(cli, ["run", "--store", sqlite_store, "--files-dir", files, "--batch-size", "40",
                                 str(portal.profile_path)])
    assert result.exit_code == 1 and "Rerun: hopnhat batches rerun" in result.output
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    listed = runner.invoke(cli, ["batches", "list", "--state", "failed", "--store", sqlite_store])
    assert "1 batch(es)" in listed.output
    rerun = runner.invoke(cli, ["batches", "rerun", "--failed", "--store", sqlite_store, "--files-dir", files])
    assert rerun.exit_code == 0, rerun.output
    assert "loaded after 2 attempt(s)" in rerun.output and "1 batch(es) rerun: 1 loaded, 0 still failed" in rerun.output
    usage = runner.invoke(cli, ["batches", "rerun", "--store", sqlite_store])
    assert usage.exit_code == 2
    shown = runner.invoke(cli, ["quarantine", "list", "--store", sqlite_store])
    assert shown.exit_code == 0 and "record(s) in quarantine" in shown.output
    count = _open(engine)
    for suffix in (".csv", ".jsonl", ".xlsx"):
        out = tmp_path / f"q{suffix}"
        done = runner.invoke(cli, ["quarantine", "export", "--out", str(out), "--store", sqlite_store])
        assert done.exit_code == 0 and f"{count} record(s) written" in done.output
    with (tmp_path / "q.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == count and all(r["field"] and r["reason"] and json.loads(r["raw_payload"]) for r in rows)
    lines = (tmp_path / "q.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(isinstance(json.loads(line)["raw_payload"], dict) for line in lines)
    bad = runner.invoke(cli, ["quarantine", "export", "--out", str(tmp_path / "q.txt"), "--store", sqlite_store])
    assert bad.exit_code == 1


@pytest.mark.parametrize("value, masked", [
    ("001089012345", "*********345"), ("012 345 678", "******678"), (1234567890, "*******890"),
    ("Nguyễn Văn A", "Nguyễn Văn A"), ("12345", "12345"), (None, None), (True, True),
], ids=["cccd", "cmnd-spaced", "tax-code-int", "name", "short-number", "null", "bool"])
def test_exported_identifiers_are_masked(value, masked):
    assert mask_text(value) == masked  # a payload value of a column no profile marks personal


def test_rerun_of_a_loaded_batch_changes_nothing(store_url, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:1], store_url, tmp_path / "files", batch_size=50)
    pipeline.run(settings)
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        target = ledger.listing(conn, state="loaded")[3]
        before = conn.execute(select(dossier.c.id, dossier.c.batch_id, dossier.c.content_hash)
                              .order_by(dossier.c.id)).all()
    row = pipeline.rerun(settings, target.id)
    assert row.state == "loaded" and row.counts == target.counts
    with engine.connect() as conn:
        assert conn.execute(select(dossier.c.id, dossier.c.batch_id, dossier.c.content_hash)
                            .order_by(dossier.c.id)).all() == before
    assert conservation(engine).ok
