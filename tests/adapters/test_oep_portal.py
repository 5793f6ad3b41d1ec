"""Open eGov Platform v2, a second published one-door schema, profiled with no code change.

Migrated from SQLite files and from PostgreSQL into SQLite and PostgreSQL stores; every record
compared with the ground truth; reconciliation (conservation, content against the source, files) PASSED.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from ground_truth import migrate_matches_truth
from oep_portal import build, truth


def _assert_oep(source_url: str, store_url: str, tmp_path) -> None:
    expected = truth(make_url(source_url).get_backend_name())
    result = migrate_matches_truth(build(source_url, tmp_path), source_url, "HOPNHAT_SOURCE_OEP_URL", store_url,
                                   tmp_path, expected, batch_size=2)
    excluded = {b.entity: b.excluded for b in result.conservation.balances}
    assert excluded["dossier_file"] == 1


def test_oep_from_sqlite_into_sqlite_store(tmp_path, sqlite_store):
    _assert_oep(f"sqlite:///{tmp_path / 'oep.sqlite'}", sqlite_store, tmp_path)


def test_oep_from_postgresql_into_postgresql_store(pg_url, pg_store, tmp_path):
    _assert_oep(pg_url, pg_store, tmp_path)
