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
