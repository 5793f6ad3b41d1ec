"""Only transient failures are tried again: an unknown column fails at once, a locked store is waited out."""

from __future__ import annotations

import logging
import shutil

import pytest
from sqlalchemy.exc import OperationalError

from adapters.profiles import load_profile
from migrate import pipeline
from migrate.core.errors import ConfigError, RetryableError, SourceError
from migrate.core.retry import policy
from migrate.demo.flow import demo_settings
from migrate.store import failures
from migrate.store.schema import connect as schema_connect


def test_an_unknown_column_is_not_retried(sqlite_store, demo_portals, tmp_path, caplog):
    portal = demo_portals[0]
    shutil.copytree(portal.profile_path.parent / "hanam-files", tmp_path / "hanam-files")
    broken = tmp_path / "hanam.toml"
    broken.write_text(portal.profile_path.read_text("utf-8").replace('username = "TenDangNhap"',
                                                                      'username = "TenDangNhapCu"'), "utf-8")
    settings = demo_settings([portal], sqlite_store, tmp_path / "files", batch_size=50)
    settings = type(settings)(**{**settings.__dict__, "sources": tuple(
        type(s)(load_profile(broken), s.url, s.files_root) for s in settings.sources)})
    with caplog.at_level(logging.WARNING):
        with pytest.raises(ConfigError, match="unknown column .* 'TenDangNhapCu'; closest: TenDangNhap"):
            pipeline.run(settings)
    assert "retrying" not in caplog.text


def test_the_policy_retries_transient_failures_only():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RetryableError("connection reset by peer", source="s")
        return "read"

    assert policy(attempts=3)(flaky) == "read" and len(calls) == 3

    def wrong():
        calls.append(1)
        raise SourceError("columns not found: X", source="s")

    calls.clear()
    with pytest.raises(SourceError, match="columns not found"):
        policy(attempts=3)(wrong)
    assert len(calls) == 1


def test_store_errors_classified(tmp_path):
    import sqlite3

    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (a)")
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        with pytest.raises(OperationalError) as unknown:
            conn.execute(text("SELECT b FROM t"))
    assert not failures.is_transient(unknown.value)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    locked_engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    with locked_engine.connect() as conn:
        with pytest.raises(OperationalError) as locked:
            conn.execute(text("SELECT a FROM t"))
    locker.rollback()
    locker.close()
    assert "database is locked" in str(locked.value) and failures.is_transient(locked.value)


def test_postgresql_store_errors_classified(pg_store):
    """On the suite's PostgreSQL: an unknown column or a refused row is not transient, a lock not granted is."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    engine = create_engine(pg_store)
    with engine.connect() as conn:
        with pytest.raises(ProgrammingError) as unknown:
            conn.execute(text("SELECT no_such_column FROM batch"))
    with engine.connect() as conn:
        with pytest.raises(IntegrityError) as refused:
            conn.execute(text("INSERT INTO agency (source_system, code) VALUES (NULL, NULL)"))
    holder = engine.connect()
    holder.begin()
    holder.execute(text("LOCK TABLE batch IN ACCESS EXCLUSIVE MODE"))
    try:
        with engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '50ms'"))
            with pytest.raises(OperationalError) as locked:
                conn.execute(text("SELECT * FROM batch"))
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert not failures.is_transient(unknown.value) and not failures.is_transient(refused.value)
    assert locked.value.orig.sqlstate == "55P03" and failures.is_transient(locked.value)


def test_a_batch_the_postgresql_store_refuses_fails_once_with_the_rerun_command(shell, pg_store, demo_portals,
                                                                                 tmp_path):
    """A store error that is neither transient nor one record's (a trigger refusing the record's lineage,
    so it cannot even be quarantined) fails its batch at the first attempt, names the rerun command, and
    the rerun loads it once the store accepts it."""
    import json

    from sqlalchemy import text

    portal = demo_portals[0]
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}"}
    engine = schema_connect(pg_store)
    with engine.begin() as conn:
        conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                          "IF NEW.entity = 'dossier' AND NEW.source_key = '45' THEN "
                          "RAISE EXCEPTION 'store refused the row'; END IF; RETURN NEW; END $$"))
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON lineage FOR EACH ROW EXECUTE FUNCTION refuse()"))
    files = str(tmp_path / "files")
    run = shell.main("run", "--store", pg_store, "--files-dir", files, "--batch-size", "40",
                     str(portal.profile_path), env=env, expect=1)
    assert "Rerun: hopnhat batches rerun" in run.output and "store refused the row" in run.output
    failed = json.loads(shell.main("batches", "list", "--state", "failed", "--json", "--store", pg_store,
                                   env=env).stdout)["batches"]
    assert [(b["entity"], b["attempts"]) for b in failed] == [("dossier", 1)]  # not retried: not transient
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse ON lineage"))
    engine.dispose()
    rerun = shell.main("batches", "rerun", "--failed", "--store", pg_store, "--files-dir", files, env=env)
    assert "1 batch(es) rerun: 1 loaded, 0 still failed" in rerun.stdout
