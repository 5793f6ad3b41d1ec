"""The built-in OpenCPS v2 profile against databases created from OpenCPS's published DDL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters import open_source
from adapters.inspect import check_profile
from adapters.profiles import load_profile
from migrate import pipeline
from migrate.config import Settings
from migrate.store import schema
from migrate.store.models import dossier, dossier_file, lineage, quarantine
from opencps_fixture import create_opencps
from reconciliation.checks import conservation


def _read_all(source, spec):
    return [r for page in source.read(spec, after=None, batch_size=2) for r in page]


def _assert_reads_opencps(url: str, counts: dict[str, int]) -> None:
    profile = load_profile("opencps-v2")
    source = open_source("opencps", url)
    try:
        check = check_profile(profile, source)
        assert check.ok, check.summary()
        assert any("archived-by-hand" in f.message for f in check.findings if f.level == "warning")
        for spec in profile.ordered():
            records = _read_all(source, spec)
            assert source.count(spec) == len(records) == counts[spec.table], spec.label
        files = {r.key[0]: r.payload for r in _read_all(source, profile.entities["dossier_file"])}
        assert files[1]["DLFileEntry.fileName"] == "hopdong.pdf"
        assert files[1]["=path"] == "20116/20143/90001/1.0"
        assert files[4]["=path"] is None  # no document library entry: nothing to point at
        accounts = {r.key[0]: r.payload for r in _read_all(source, profile.entities["account"])}
        assert accounts[1]["applicantName"] == "Nguyễn Văn An" and accounts[1]["=id_number"] == "035099000001"
        assert accounts[2]["=tax_code"] == "0700123456" and accounts[2]["=id_number"] is None
        staff = _read_all(source, profile.entities["account.staff"])
        assert {r.payload["=kind"] for r in staff} == {"staff"}
        dossiers = _read_all(source, profile.entities["dossier"])
        # None: the dossier a clerk entered for a walk-in applicant, who has no portal user
        assert {r.payload["opencps_applicant.applicantId"] for r in dossiers} == {1, 2, 3, None}
        assert source.count(profile.entities["dossier"], since="2024-03-02 12:00:00") == 3
    finally:
        source.close()


def test_opencps_on_sqlite(opencps_sqlite):
    url, _, counts = opencps_sqlite
    _assert_reads_opencps(url, counts)


def test_opencps_on_postgresql(pg_url, tmp_path):
    """On PostgreSQL, Liferay's unquoted camelCase names are folded to lower case; the profile still reads."""
    from sqlalchemy import create_engine, text

    from opencps_fixture import statements

    lowered = [s.replace("DLFileEntry", "dlfileentry") for s in statements("postgresql")]
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for table in ("opencps_applicant", "opencps_employee", "opencps_dossier", "opencps_dossieraction",
                      "opencps_dossierlog", "dlfileentry", "opencps_dossierfile", "opencps_deliverable"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        for stmt in lowered:  # unquoted, as Liferay creates them: PostgreSQL folds the names
            conn.execute(text(stmt))
    engine.dispose()
    counts = _seed_lowercase(pg_url, tmp_path)
    _assert_reads_opencps(pg_url, counts)


def _seed_lowercase(url: str, files_root: Path) -> dict[str, int]:
    from sqlalchemy import MetaData, create_engine, insert

    from opencps_fixture import _rows

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    rows = _rows(files_root)
    with engine.begin() as conn:
        for name, values in rows.items():
            names = {k for row in values for k in row}
            conn.execute(insert(meta.tables[name.lower()]),
                         [{k.lower(): row.get(k) for k in names} for row in values])
    engine.dispose()
    return {name: len(values) for name, values in rows.items()}


def test_opencps_migrates(opencps_sqlite, sqlite_store, tmp_path):
    url, files_root, counts = opencps_sqlite
    settings = Settings.load(["opencps-v2"], store=sqlite_store, source_urls={"opencps-v2": url},
                             files_dir=tmp_path / "files",
                             environ={"HOPNHAT_SOURCE_OPENCPS_FILES": str(files_root)})
    report = pipeline.run(settings)
    engine = schema.connect(sqlite_store)
    with engine.connect() as conn:
        loaded = conn.execute(select(func.count()).select_from(dossier)).scalar_one()
        stored_files = conn.execute(select(func.count()).select_from(dossier_file)).scalar_one()
        reasons = conn.execute(select(quarantine.c.source_table, quarantine.c.field, quarantine.c.reason)).all()
    assert loaded == 6, report.summary()  # of 7: the fifth has a status no lookup covers
    assert any(f == "status" and "archived-by-hand" in r for _, f, r in reasons)
    assert stored_files >= 1
    assert any(t == "opencps_dossierfile" and f == "path" for t, f, _ in reasons)  # missing on disk, reported
    # every part is migrated: actions and logs as history, applicants and employees as accounts
    with engine.connect() as conn:
        tables = {t: n for t, n in conn.execute(
            select(lineage.c.source_table, func.count()).group_by(lineage.c.source_table))}
    for table in ("opencps_applicant", "opencps_employee", "opencps_dossieraction", "opencps_dossierlog"):
        assert tables.get(table), f"{table} not migrated: {tables}"
    result = conservation(engine)
    assert result.ok, result.broken()
    assert {b.entity for b in result.balances} >= {"account.staff", "dossier_event.log"}


def test_built_in_profiles_load():
    opencps = load_profile("opencps-v2")
    assert [s.label for s in opencps.ordered()] == [
        "account", "account.staff", "dossier", "dossier_event", "dossier_event.log", "dossier_file", "document"]
    assert [s.name for s in opencps.parts("dossier_event")] == ["dossier_event", "dossier_event"]
    assert opencps.entities["dossier_file"].joins[0].table == "DLFileEntry"
    with pytest.raises(Exception, match="built in: demo-portal, opencps-v2"):
        from adapters.profiles import builtin_profile_path

        builtin_profile_path("opencps-v1")
