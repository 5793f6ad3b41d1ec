"""Open eGov Platform v2, a second published one-door schema, profiled with no code change.

Migrated from SQLite files and from PostgreSQL into SQLite and PostgreSQL stores; every record
compared with the ground truth; reconciliation (conservation, content against the source, files) PASSED.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from ground_truth import compare, outcomes
from migrate import pipeline
from migrate.config import Settings
from oep_portal import build, truth
from reconciliation.runner import reconcile


def _assert_oep(source_url: str, store_url: str, tmp_path) -> None:
    profile = build(source_url, tmp_path)
    settings = Settings.load([profile], store=store_url, files_dir=tmp_path / "store-files", batch_size=2,
                             environ={"HOPNHAT_SOURCE_OEP_URL": source_url})
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    expected = truth(make_url(source_url).get_backend_name())
    assert compare(outcomes(store_url, settings.sources[0].profile), expected) == []
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()
    excluded = {b.entity: b.excluded for b in result.conservation.balances}
    assert excluded["dossier_file"] == 1


def test_oep_from_sqlite_into_sqlite_store(tmp_path, sqlite_store):
    _assert_oep(f"sqlite:///{tmp_path / 'oep.sqlite'}", sqlite_store, tmp_path)


def test_oep_from_postgresql_into_postgresql_store(pg_url, pg_store, tmp_path):
    _assert_oep(pg_url, pg_store, tmp_path)
