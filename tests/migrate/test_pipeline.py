"""The whole flow on the demo's three portals, on SQLite and on the suite's PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete, func, select, text

from migrate import ledger, pipeline
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import account_alias, dossier, lineage, quarantine
from reconciliation.checks import conservation


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_demo_migrates_and_conserves(store_url, demo_portals, tmp_path):
    settings = demo_settings(demo_portals, store_url, tmp_path / "files", batch_size=50)
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    engine = schema.connect(store_url)
    result = conservation(engine)
    assert result.ok, result.broken()
    by_pair = {(b.source, b.entity): b for b in result.balances}
    assert len(by_pair) == 15
    for manifest in demo_portals:
        name = f"{manifest.spec.key}-portal"
        assert by_pair[(name, "dossier")].source_count == manifest.counts["HoSo"]
        assert by_pair[(name, "account")].extracted == manifest.counts["TaiKhoan"]
    # people registered in two or three former provinces became one account
    assert sum(b.merged for b in result.balances) > 0
    assert _count(engine, account_alias, account_alias.c.match_rule != "self") == sum(b.merged for b in result.balances)
    # awkward records: quarantined with a field and a reason, never dropped
    assert _count(engine, quarantine) > 0
    with engine.connect() as conn:
        reasons = conn.execute(select(quarantine.c.field, quarantine.c.reason)).all()
    assert all(field and reason for field, reason in reasons)
    assert any(field == "path" and "not found" in reason for field, reason in reasons)
    # every placed record carries the rule that chose its new commune
    assert _count(engine, lineage, lineage.c.remap_rule.is_not(None)) == _count(
        engine, lineage, lineage.c.entity.in_(["account", "dossier"]))
    # per old commune and new commune, the equation holds too
    assert result.units and all(u.ok for u in result.units)


def test_running_twice_changes_nothing(store_url, demo_portals, tmp_path):
    settings = demo_settings(demo_portals, store_url, tmp_path / "files", batch_size=100)
    pipeline.run(settings)
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        before = conn.execute(select(dossier.c.id, dossier.c.batch_id, dossier.c.content_hash)
                              .order_by(dossier.c.id)).all()
        lineage_before = conn.execute(select(func.count(), func.max(lineage.c.id))).one()
    second = pipeline.run(settings)
    assert second.ok
    with engine.connect() as conn:
        after = conn.execute(select(dossier.c.id, dossier.c.batch_id, dossier.c.content_hash)
                             .order_by(dossier.c.id)).all()
        lineage_after = conn.execute(select(func.count(), func.max(lineage.c.id))).one()
    assert after == before
    assert tuple(lineage_after) == tuple(lineage_before)
    assert conservation(engine).ok


def test_a_row_deleted_from_the_store_breaks_conservation(sqlite_store, demo_portals, tmp_path):
    settings = demo_settings(demo_portals, sqlite_store, tmp_path / "files")
    pipeline.run(settings)
    engine = schema.connect(sqlite_store)
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # outside any transaction
        with conn.begin():
            victim = conn.execute(select(dossier.c.id, dossier.c.source_system, dossier.c.old_commune_code)
                                  .order_by(dossier.c.id).limit(1)).one()
            conn.execute(delete(dossier).where(dossier.c.id == victim.id))
    result = conservation(engine)
    assert not result.ok
    broken = "\n".join(result.broken())
    assert f"{victim.source_system}/dossier" in broken
    assert victim.old_commune_code in broken


def test_failed_batch_is_recorded_and_rerun_alone(sqlite_store, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:1], sqlite_store, tmp_path / "files", batch_size=40)
    engine = schema.connect(sqlite_store)
    with engine.begin() as conn:  # the store refuses the batch's bookkeeping, as a full disk would
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON lineage WHEN NEW.entity = 'dossier' AND "
                          "NEW.source_key = '45' "
                          "BEGIN SELECT RAISE(ABORT, 'store refused the row'); END"))
    report = pipeline.run(settings)
    assert not report.ok and len(report.failed_batches) == 1
    failed = report.failed_batches[0]
    with engine.connect() as conn:
        row = ledger.get(conn, failed)
    assert row.state == "failed" and "store refused the row" in row.error
    assert f"hopnhat batches rerun {failed}" in row.error
    assert _count(engine, lineage, lineage.c.batch_id == failed) == 0  # nothing of it is in the store
    assert not conservation(engine).ok
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    rerun = pipeline.rerun(settings, failed)
    assert rerun.state == "loaded" and rerun.attempts >= 2
    assert conservation(engine).ok
