"""The catalogue and the old-identifier index follow each batch: what a full rebuild would write, nothing more."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, union

from migrate import pipeline
from migrate.continuity.index import refresh
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import account, agency, dossier, old_identifier, procedure
from tests.identifiers import identifier_rows


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request):
    return request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "pg_store")


def test_index_kept_by_the_batches_is_what_a_rebuild_makes(store_url, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:2], store_url, tmp_path / "files", batch_size=70)
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        kept = identifier_rows(conn)
    assert len(kept) > 500 and f"indexed with each batch ({len(kept)} new, 0 changed, 0 removed)" in report.summary()
    rebuilt = refresh(engine, [s.profile for s in settings.sources])
    assert (rebuilt.inserted, rebuilt.updated, rebuilt.deleted) == (0, 0, 0)
    assert rebuilt.counts["dossier-no"] > 0 and rebuilt.counts["username"] > 0 and rebuilt.counts["file-id"] > 0
    again = pipeline.run(settings, resume=False)  # a second run over the same sources changes nothing
    assert again.ok and "indexed with each batch (0 new, 0 changed, 0 removed)" in again.summary()
    with engine.connect() as conn:
        assert identifier_rows(conn) == kept
    engine.dispose()


def test_catalogue_kept_by_the_batches_holds_every_code_loaded(store_url, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:1], store_url, tmp_path / "files", batch_size=50)
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        used_agencies = set(conn.execute(union(
            select(dossier.c.source_system, dossier.c.agency_code).where(dossier.c.agency_code.is_not(None)),
            select(account.c.source_system, account.c.agency_code).where(account.c.agency_code.is_not(None)))).all())
        agencies = set(conn.execute(select(agency.c.source_system, agency.c.code)).all())
        used_procedures = set(conn.execute(select(dossier.c.source_system, dossier.c.procedure_code).distinct()
                                           .where(dossier.c.procedure_code.is_not(None))).all())
        procedures = set(conn.execute(select(procedure.c.source_system, procedure.c.code)).all())
        named = dict(conn.execute(select(dossier.c.agency_code, func.min(dossier.c.agency_name))
                                  .group_by(dossier.c.agency_code)).all())
        names = dict(conn.execute(select(agency.c.code, agency.c.name)).all())
    assert agencies == used_agencies and procedures == used_procedures and len(agencies) > 5
    assert all(names[code] is not None for code in named if named[code])  # staff agencies named by dossiers
    assert report.catalog is not None and report.catalog.agencies == len(agencies)
    engine.dispose()
