"""DVC v2, a third published schema (SQL Server DDL with schemas), profiled with no code change.

Migrated from SQLite files and from PostgreSQL (tables in six schemas, ``case`` a reserved word) into
SQLite and PostgreSQL stores; every record compared with the ground truth; reconciliation
(conservation, content against the source, files) PASSED.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from dvc_portal import build, translate, truth
from ground_truth import migrate_matches_truth


def _assert_dvc(source_url: str, store_url: str, tmp_path) -> None:
    expected = truth(make_url(source_url).get_backend_name())
    result = migrate_matches_truth(build(source_url, tmp_path), source_url, "HOPNHAT_SOURCE_DVC_URL", store_url,
                                   tmp_path, expected, batch_size=3)
    balances = {b.entity: (b.merged, b.excluded) for b in result.conservation.balances}
    for part in {label for label, _ in expected}:
        outcome = [value[0] for (label, _), value in expected.items() if label == part]
        assert balances[part] == (outcome.count("merged"), outcome.count("excluded")), part


def test_published_statements_are_all_created():
    tables = [table for _, table, _ in translate("postgresql")]
    assert tables == ["USER_PROFILE", "DM_TCTK_DONVIHANHCHINH", "DM_QG_THUTUCHANHCHINH", "DM_DONVI", "HOSO",
                      "NGUOIDUNGTENHOSO", "QUATRINHXULY", "FILEKEMTHEOHOSO", "CONGDANDOANHNGHIEP"]
    assert all('"case".' in create for schema, _, create in translate("postgresql") if schema == "case")


def test_dvc_from_sqlite_into_sqlite_store(tmp_path, sqlite_store):
    _assert_dvc(f"sqlite:///{tmp_path / 'dvc.sqlite'}", sqlite_store, tmp_path)


def test_dvc_from_postgresql_into_postgresql_store(pg_url, pg_store, tmp_path):
    _assert_dvc(pg_url, pg_store, tmp_path)


def test_a_reserved_schema_name_compiles_for_sql_server(pg_url, tmp_path):
    """DVC v2 is a SQL Server design: its reads from the ``case`` schema (a reserved word), as a SQL Server
    source would be sent them, bracket it (no SQL Server here: compiled with SQLAlchemy's dialect)."""
    from adapters.profiles import load_profile
    from mssql_compile import statements_for_sql_server

    profile = load_profile(build(pg_url, tmp_path))
    sql = "\n".join(statements_for_sql_server("dvc", pg_url, profile))
    # PostgreSQL folded the DDL's names to lower case; ``case`` and ``identity`` are T-SQL reserved words
    assert "FROM [case].hoso" in sql and "FROM [case].quatrinhxuly" in sql
    assert "FROM [identity].user_profile" in sql and "FROM document.filekemtheohoso" in sql
