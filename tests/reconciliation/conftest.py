"""A demo migration done once per module; each test reconciles (and tampers with) its own copy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrate import pipeline
from migrate.config import Settings
from migrate.demo.flow import demo_settings


@dataclass(frozen=True)
class Migrated:
    store_url: str
    files_dir: Path
    settings: Settings

    @property
    def sources(self):
        return self.settings.sources


@pytest.fixture(scope="module")
def migrated_template(demo_portals, tmp_path_factory):
    base = tmp_path_factory.mktemp("migrated")
    url = f"sqlite:///{base / 'store.sqlite'}"
    from migrate.store import schema

    schema.upgrade(schema.connect(url, create=True))
    settings = demo_settings(demo_portals, url, base / "files", batch_size=200)
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    return base, settings


def copy_migrated(template, folder: Path) -> Migrated:
    base, settings = template
    target = folder / "copy"
    shutil.copytree(base, target)
    url = f"sqlite:///{target / 'store.sqlite'}"
    copy = Settings(store_url=url, files_dir=target / "files", sources=settings.sources)
    return Migrated(url, target / "files", copy)


@pytest.fixture
def migrated(migrated_template, tmp_path) -> Migrated:
    """A private copy of the migrated SQLite store and its files."""
    return copy_migrated(migrated_template, tmp_path)


@pytest.fixture
def pg_demo_store(pg_store, demo_portals, tmp_path):
    """The demo portals migrated into a PostgreSQL store of the test's own."""
    settings = demo_settings(demo_portals, pg_store, tmp_path / "files", batch_size=200)
    assert pipeline.run(settings).ok
    return settings


def store_parts(conn):
    """(source, entity, table, parent_table) of every part a store holds, as reconciliation reads them."""
    from sqlalchemy import select

    from migrate.core.entities import ENTITIES, REGISTRY
    from migrate.store.models import source_snapshot
    from reconciliation.rebuild import account_parts, entity_tables

    for name in conn.execute(select(source_snapshot.c.source_system).distinct()).scalars():
        tables = entity_tables(conn, name)
        for entity in ENTITIES:
            for table in tables.get(entity, []):
                link = REGISTRY[entity].parent
                parent = (account_parts(conn, name) if link and REGISTRY[link.entity].merges
                          else tables.get(link.entity, [None])[0] if link else None)
                yield name, entity, table, parent
