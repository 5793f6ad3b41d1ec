"""A portal laid out as provinces hand them over, profiled with no code change: SQLite and PostgreSQL.

Accounts in three tables with overlapping ids, links resolved by applicant type, typed
columns holding text, sentinels, soft-deleted rows, unnumbered dossiers, schemas and
reserved-word table names, e-form parts with no file, several file versions, sizes in KB,
walk-in applicants. Every record is compared with the ground truth, then reconciled.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select, text

from adapters import open_source
from adapters.inspect import check_profile
from adapters.profiles import load_profile
from ground_truth import compare, outcomes
from layered_portal import TRUTH, build
from migrate import pipeline
from migrate.config import Settings
from migrate.core.errors import ConfigError
from migrate.store import schema
from migrate.store.models import lineage, review_item
from reconciliation.runner import reconcile


def _migrate(source_url: str, store_url: str, tmp_path):
    build(source_url, tmp_path)
    settings = Settings.load([tmp_path / "layered.toml"], store=store_url, files_dir=tmp_path / "store-files",
                             environ={"HOPNHAT_SOURCE_LAYERED_URL": source_url}, batch_size=3)
    report = pipeline.run(settings)
    return settings, report


def _assert_migrated(source_url: str, store_url: str, tmp_path) -> None:
    settings, report = _migrate(source_url, store_url, tmp_path)
    assert report.ok, report.summary()
    profile = settings.sources[0].profile
    assert compare(outcomes(store_url, profile), TRUTH) == []
    counts = {r.entity: r.counts for r in report.results}
    assert (counts["account"].excluded, counts["dossier"].excluded) == (1, 1)  # counted, never dropped
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()
    assert {b.entity: b.excluded for b in result.conservation.balances}["dossier"] == 1
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        reviewed = set(conn.execute(select(review_item.c.source_table, review_item.c.source_key)).all())
        decided = set(conn.execute(select(lineage.c.source_table).where(lineage.c.remap_rule.is_not(None))).scalars())
    engine.dispose()
    staff, dossiers = profile.entities["account.staff"].table, profile.entities["dossier"].table
    assert staff not in {table for table, _ in reviewed} and staff not in decided  # remap = false: no remap
    assert (dossiers, "10") in reviewed  # the district-only dossier does go to review
    again = pipeline.run(settings)  # idempotent: nothing changes on a second run
    assert all(r.counts.loaded == counts[r.entity].loaded for r in again.results)
    assert compare(outcomes(store_url, profile), TRUTH) == []


def test_layered_portal_on_sqlite_files(tmp_path, sqlite_store):
    _assert_migrated(f"sqlite:///{tmp_path / 'portal.sqlite'}", sqlite_store, tmp_path)


def test_layered_portal_in_postgresql_schemas(pg_url, pg_store, tmp_path):
    """Source in three PostgreSQL schemas with reserved-word tables (``user``, ``order``), store on PostgreSQL."""
    _assert_migrated(pg_url, pg_store, tmp_path)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_source_check_samples_conversions(engine, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'portal.sqlite'}" if engine == "sqlite" else request.getfixturevalue("pg_url")
    build(url, tmp_path)
    profile = load_profile(tmp_path / "layered.toml")
    source = open_source("layered", url)
    try:
        check = check_profile(profile, source)
    finally:
        source.close()
    assert check.ok, check.summary()
    warnings = {(f.where, f.message.split(":", 1)[0]) for f in check.findings if f.level == "warning"}
    assert ("account", "birth_date") in warnings and ("dossier", "submitted_at") in warnings
    assert ("dossier", "applicant_account_key") in warnings  # 'to chuc' names no account part


def test_schemas_and_reserved_names_compile_for_sql_server(pg_url, tmp_path):
    """No SQL Server here: every statement reading the portal's three schemas (``nguoidung.user``,
    ``hoso.order``, a join into ``danhmuc``) is compiled with the SQL Server dialect as it is sent."""
    from mssql_compile import statements_for_sql_server

    build(pg_url, tmp_path)
    compiled = statements_for_sql_server("layered", pg_url, load_profile(tmp_path / "layered.toml"))
    sql = "\n".join(compiled)
    for name in ("nguoidung.[user]", "nguoidung.[DoanhNghiep]", "nguoidung.[CanBo]", "hoso.[order]",
                 "hoso.[TepDinhKem]", "hoso.[GiayTo]"):  # reserved and mixed-case names bracketed
        assert f"FROM {name}" in sql, name
    assert "LEFT OUTER JOIN danhmuc.[DonViHanhChinh] ON hoso.[order].[MaDonVi] = danhmuc.[DonViHanhChinh].[Ma]" in sql
    assert "LEFT OUTER JOIN hoso.[PhienBan]" in sql and "TOP" in sql and "OFFSET" not in sql


def test_sqlite_typed_columns_holding_text_never_crash_a_read(tmp_path):
    """A DATE or NUMERIC column holding text reaches the profile's conversion as stored."""
    path = tmp_path / "typed.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, d DATE, ts TIMESTAMP, n NUMERIC(10,2))"))
        conn.execute(text("INSERT INTO t VALUES (1, '07/04/1973', '0000-00-00 00:00:00', 'abc'),"
                          " (2, '1973-04-07', '2024-03-01 08:00:00', 12.5)"))
    engine.dispose()
    (tmp_path / "typed.toml").write_text(
        '[source]\nname = "typed"\nengine = "sqlite"\nurl_env = "X"\n[entity.account]\ntable = "t"\nkey = ["id"]\n'
        'constants = { kind = "citizen" }\ncolumns = { birth_date = "d", created_at = "ts", full_name = "n" }\n'
        'convert = { birth_date = "date", created_at = "datetime" }\n', encoding="utf-8")
    spec = load_profile(tmp_path / "typed.toml").entities["account"]
    source = open_source("typed", f"sqlite:///{path}")
    try:
        rows = {r.key[0]: r.payload for page in source.read(spec, after=None, batch_size=10) for r in page}
    finally:
        source.close()
    assert rows[1]["d"] == "07/04/1973" and rows[1]["ts"] == "0000-00-00 00:00:00" and rows[1]["n"] == "abc"
    from migrate.core.canonical import to_canonical
    from migrate.core.records import RawRecord

    record, rejection = to_canonical(spec, RawRecord("t", (1,), rows[1]))
    assert record["birth_date"] == dt.date(1973, 4, 7)
    assert rejection is not None and rejection.field == "created_at"


def test_postgresql_dates_the_driver_cannot_represent_are_one_record_problem(pg_url, tmp_path):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "group"'))
        conn.execute(text('CREATE TABLE "group" (id INTEGER PRIMARY KEY, d DATE, ts TIMESTAMPTZ)'))
        conn.execute(text("INSERT INTO \"group\" VALUES (1, 'infinity', '2024-03-01 08:00:00+07'),"
                          " (2, '1973-04-07', '-infinity')"))
    engine.dispose()
    (tmp_path / "pg.toml").write_text(
        '[source]\nname = "pgtyped"\nengine = "postgresql"\nurl_env = "X"\n[entity.account]\ntable = "group"\n'
        'key = ["id"]\nconstants = { kind = "citizen" }\ncolumns = { birth_date = "d", created_at = "ts" }\n'
        'convert = { birth_date = "date", created_at = "datetime" }\n', encoding="utf-8")
    spec = load_profile(tmp_path / "pg.toml").entities["account"]
    source = open_source("pgtyped", pg_url)
    try:
        rows = {r.key[0]: r for page in source.read(spec, after=None, batch_size=10) for r in page}
    finally:
        source.close()
    from migrate.core.canonical import to_canonical

    first, bad = to_canonical(spec, rows[1])
    assert bad is not None and bad.field == "birth_date"
    second, bad = to_canonical(spec, rows[2])
    assert second["birth_date"] == dt.date(1973, 4, 7) and bad is not None and bad.field == "created_at"


@pytest.mark.parametrize("body, message", [
    ('exclude = { column = "DaXoa", values = [1] }', "reason"),
    ('exclude = { column = "NgayXoa", values = [1], present = true, reason = "x" }', "or present = true"),
    ('exclude = { column = "NgayXoa", present = false, reason = "x" }', "or present = true"),
    ('links = { applicant_account_key = { part = "account.nowhere" } }', "no account part"),
    ('convert = { submitted_at = "date" }', "conversion 'date' would not give one"),
    ('convert = { dossier_no = "bytes:TB" }', "would not give one"),
    ('lookups = { status = { a = "x", " A" = "y" } }', "differing only in case"),
])
def test_profile_language_mistakes_are_named(tmp_path, body, message):
    (tmp_path / "p.toml").write_text(
        '[source]\nname = "p"\nengine = "sqlite"\nurl_env = "X"\n[entity.account]\ntable = "a"\nkey = ["id"]\n'
        'columns = { kind = "k" }\n[entity.dossier]\ntable = "d"\nkey = ["id"]\n' + body + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_profile(tmp_path / "p.toml")


def test_source_fields_prints_the_reference_generated_from_the_code():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
    from tests.harness import hopnhat

    from adapters.profiles import ENTITY_KEYS, SOURCE_KEYS
    from migrate.core.canonical import FIELDS

    result = hopnhat("source", "fields")
    assert result.code == 0, result.stderr
    for key in (*SOURCE_KEYS, *ENTITY_KEYS):
        assert f"- `{key}`:" in result.stdout
    for entity, fields in FIELDS.items():
        for name, meta in fields.items():
            assert f"| {name} | {meta.kind}" in result.stdout
    assert "| dossier_no | text | no |" in result.stdout  # an unnumbered dossier is still a dossier
    assert "| birth_date | date | no | date |" in result.stdout  # no datetime conversion on a date field


def test_decimal_values_match_the_profile_in_any_scale():
    """A DECIMAL(10,3) column (SQL Server, PostgreSQL NUMERIC) returns 0.000 where the profile says 0:
    sentinels, lookups, choices and exclude rules compare numbers, not their scale."""
    from decimal import Decimal

    from migrate.core.records import fold

    assert fold(Decimal("0.000")) == fold(0) == fold("0") == "0"
    assert fold(Decimal("1.250")) == fold("1.25") == fold(1.25)
    assert fold(Decimal("12")) == fold(12.0) == "12"
    assert fold(Decimal("2.5")) != fold("2") and fold(Decimal("-1.000")) == fold("-1")
    assert fold("0.000") == "0" and fold("1.250") == "1.25"   # as a source payload holds a DECIMAL
    assert fold("1.001193") == "1.001193" and fold("000.00.12.H35") == "000.00.12.h35"   # codes stay codes
