"""A migrated demo store on each engine, with the collisions real portals have.

Two former provinces used the same dossier number, and two different people
had the same username in two portals: the Nam Định portal is copied and two
of its rows edited before migration. Built once per session and engine.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from adapters.profiles import load_profile
from migrate import pipeline
from migrate.config import Settings
from migrate.continuity.index import refresh
from migrate.store import schema
from migrate.store.models import quarantine


@dataclass(frozen=True)
class Migrated:
    url: str
    engine: object
    profiles: list
    shared_number: str  # a dossier number in both Hà Nam and Nam Định
    shared_username: str  # one username, two different people
    quarantined_number: str  # a Hà Nam dossier held in quarantine


def _first_clean(manifest, table: str = "HoSo") -> int:
    awkward = {i for ids in manifest.awkward.values() for i in ids}
    return min(i for i in range(1, manifest.counts[table] + 1) if i not in awkward)


def build(url: str, portals, tmp_path) -> Migrated:
    hanam, namdinh = portals[0], portals[1]
    with sqlite3.connect(hanam.db_path) as db:
        number = db.execute("SELECT SoHoSo FROM HoSo WHERE Id = ?", (_first_clean(hanam),)).fetchone()[0]
        username = db.execute("SELECT TenDangNhap FROM TaiKhoan WHERE Id = 1").fetchone()[0]
    copy = tmp_path / "namdinh-edited.sqlite"
    shutil.copy(namdinh.db_path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE HoSo SET SoHoSo = ? WHERE Id = ?", (number, _first_clean(namdinh)))
        db.execute("UPDATE TaiKhoan SET TenDangNhap = ? WHERE Id = 2", (username,))
    profiles = [m.profile_path for m in portals]
    urls = {load_profile(m.profile_path).name: f"sqlite:///{m.db_path}" for m in portals}
    urls[load_profile(namdinh.profile_path).name] = f"sqlite:///{copy}"
    settings = Settings.load(profiles, store=url, files_dir=tmp_path / "files", source_urls=urls)
    engine = schema.connect(url, create=True)
    schema.upgrade(engine)
    assert pipeline.run(settings).ok
    with engine.connect() as conn:  # a Hà Nam dossier the run held in quarantine (its unit, a date, a file)
        held_key = next(key for (key,) in conn.execute(
            select(quarantine.c.source_key).where(quarantine.c.source_system == load_profile(hanam.profile_path).name,
                                                  quarantine.c.source_table == "HoSo",
                                                  quarantine.c.released_at.is_(None))
            .order_by(quarantine.c.id)))
    with sqlite3.connect(hanam.db_path) as db:
        held = db.execute("SELECT SoHoSo FROM HoSo WHERE Id = ?", (int(held_key),)).fetchone()[0]
    loaded = [load_profile(p) for p in profiles]
    refresh(engine, loaded)
    return Migrated(url, engine, loaded, number, username, held)


def copy_store(m: Migrated, tmp_path) -> Migrated:
    """A private copy of a migrated SQLite store, for tests that damage it."""
    target = tmp_path / "copy.sqlite"
    with sqlite3.connect(m.url.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    return Migrated(url, schema.connect(url), m.profiles, m.shared_number, m.shared_username, m.quarantined_number)


@pytest.fixture(scope="session")
def migrated_sqlite(demo_portals, tmp_path_factory) -> Migrated:
    """Shared by the continuity tests: never modify it (use copy_store)."""
    tmp_path = tmp_path_factory.mktemp("continuity-sqlite")
    m = build(f"sqlite:///{tmp_path / 'store.sqlite'}", demo_portals, tmp_path)
    yield m
    m.engine.dispose()


@pytest.fixture(scope="session")
def migrated_pg(pg_server, demo_portals, tmp_path_factory) -> Migrated:
    from pytest_postgresql.janitor import DatabaseJanitor

    janitor = DatabaseJanitor(user="postgres", host="127.0.0.1", port=pg_server.port, dbname="t_continuity",
                              password=None)
    janitor.init()
    m = build(pg_server.url("t_continuity"), demo_portals, tmp_path_factory.mktemp("continuity-pg"))
    yield m
    m.engine.dispose()
    janitor.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request) -> Migrated:
    """The same test on both stores (read-only)."""
    return request.getfixturevalue("migrated_sqlite" if request.param == "sqlite" else "migrated_pg")
