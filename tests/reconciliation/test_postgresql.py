"""The same checks on the suite's real PostgreSQL store, through read-only sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from migrate import pipeline
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import dossier_event
from reconciliation.runner import readonly_store, reconcile


def test_postgresql_store_reconciles_read_only_and_names_a_changed_event(pg_store, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:1], pg_store, tmp_path / "files", batch_size=100)
    assert pipeline.run(settings).ok
    clean = reconcile(pg_store, tmp_path / "clean", sources=settings.sources, files_dir=settings.files_dir)
    assert clean.ok, clean.summary()
    ro = readonly_store(pg_store)
    with ro.connect() as conn, pytest.raises(DBAPIError, match="read-only"):
        conn.execute(text("delete from dossier_event"))
    ro.dispose()
    engine = schema.connect(pg_store)
    with engine.begin() as conn:
        victim = conn.execute(select(dossier_event.c.id, dossier_event.c.source_key)
                              .order_by(dossier_event.c.id).limit(1)).one()
        conn.execute(update(dossier_event).where(dossier_event.c.id == victim.id).values(note="edited later"))
    result = reconcile(pg_store, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert not result.ok
    assert {(p.key, p.kind) for p in result.content.problems} == {(victim.source_key, "row-changed"),
                                                                  (victim.source_key, "changed")}
    assert victim.source_key in (tmp_path / "report" / "content-problems.csv").read_text("utf-8")
