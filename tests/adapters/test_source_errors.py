"""What a source's failures become: a retry for what passes (a lock, a timeout), an error naming source
and table for what does not. On the suite's real PostgreSQL server; SQL Server's source is built
without a server (its engine connects lazily) and its driver's own exception types are classified."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adapters import open_source
from adapters import postgresql as pg_adapter
from migrate.core.errors import ConfigError, RetryableError, SourceError
from migrate.core.records import EntitySpec

SPEC = EntitySpec(name="dossier", table="HoSo", key=("Id",), columns={"dossier_no": "SoHoSo"})


@pytest.fixture
def pg_source_url(pg_url):
    """A PostgreSQL legacy database with one table, whose sessions give up on a lock after 200 ms."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "HoSo"'))
        conn.execute(text('CREATE TABLE "HoSo" ("Id" INTEGER PRIMARY KEY, "SoHoSo" VARCHAR(40))'))
        conn.execute(text('INSERT INTO "HoSo" SELECT g, \'HS-\' || g FROM generate_series(1, 30) AS g'))
        database = make_url(pg_url).database
        conn.execute(text(f'ALTER DATABASE "{database}" SET lock_timeout = \'200ms\''))  # name from the fixture
    engine.dispose()
    return pg_url


@pytest.mark.postgresql
def test_a_locked_table_is_a_retry_naming_source_and_table(pg_source_url):
    source = open_source("hanam-portal", pg_source_url)
    holder = create_engine(pg_source_url)
    try:
        assert source.count(SPEC) == 30
        with holder.connect() as conn:
            conn.execute(text('LOCK TABLE "HoSo" IN ACCESS EXCLUSIVE MODE'))   # a DBA's maintenance job
            with pytest.raises(RetryableError) as caught:
                source.count(SPEC)
            conn.rollback()
        assert caught.value.source == "hanam-portal" and caught.value.table == "HoSo"
        assert "lock" in str(caught.value).lower()
        assert source.count(SPEC) == 30                                      # released: read again
    finally:
        source.close()
        holder.dispose()


@pytest.mark.postgresql
def test_real_server_errors_are_classified_by_their_sqlstate(pg_url):
    engine = create_engine(pg_url)
    errors = {}
    with engine.connect() as conn:
        for name, statement in (("timeout", "SET LOCAL statement_timeout = 50; SELECT pg_sleep(2)"),
                                ("syntax", "SELEC 1"), ("missing", 'SELECT * FROM "NoSuchTable"'),
                                ("division", "SELECT 1 / 0")):
            try:
                with conn.begin():
                    conn.exec_driver_sql(statement)
            except Exception as exc:  # noqa: BLE001 - the driver's error is what is classified
                errors[name] = exc
    engine.dispose()
    assert set(errors) == {"timeout", "syntax", "missing", "division"}
    assert pg_adapter._transient(errors["timeout"])
    assert not any(pg_adapter._transient(errors[n]) for n in ("syntax", "missing", "division"))


@pytest.mark.postgresql
def test_a_source_that_cannot_be_reached_is_named(pg_server):
    url = pg_server.url("no_such_database")
    source = open_source("namdinh-portal", url)
    try:
        with pytest.raises(SourceError) as caught:
            source.count(SPEC)
    finally:
        source.close()
    assert caught.value.source == "namdinh-portal" and "no_such_database" in str(caught.value)


def test_postgresql_urls_use_psycopg_and_other_drivers_are_refused():
    assert pg_adapter.engine_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert pg_adapter.engine_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ConfigError, match="psycopg"):
        pg_adapter.engine_url("postgresql+pg8000://u@h/db")


def test_a_sql_server_source_is_built_without_a_server_and_reads_its_schema():
    source = open_source("hanam-portal", "mssql+pymssql://reader:s3cret@db.invalid:1433/portal?schema=dbo")
    try:
        assert source.engine == "mssql" and source.schema == "dbo"
        assert source.type_map["datetime2"] == "timestamp"
    finally:
        source.close()


def test_sql_server_errors_are_classified_from_the_driver_exceptions():
    import pymssql

    from adapters import mssql

    deadlock = pymssql.exceptions.OperationalError(1205, b"Transaction (Process ID 52) was deadlocked")
    nested = pymssql.exceptions.OperationalError((40613, b"Database 'portal' is not currently available"), "")
    missing = pymssql.exceptions.ProgrammingError(208, b"Invalid object name 'HoSo'.")
    reset = pymssql.exceptions.OperationalError("DB-Lib error message 20004: connection reset by peer")
    assert mssql.error_number(deadlock) == 1205 and mssql.is_transient(deadlock)
    assert mssql.error_number(nested) == 40613 and mssql.is_transient(nested)
    assert mssql.error_number(missing) == 208 and not mssql.is_transient(missing)
    assert mssql.error_number(reset) is None and mssql.is_transient(reset)
