"""The store schema: alembic is the only way in, identical on both engines, reversible."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from migrate.store import schema
from migrate.store.models import metadata


def _drift(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)


def test_upgrade_downgrade_upgrade_without_drift(store_url):
    engine = schema.connect(store_url)
    assert schema.current_revision(engine) == schema.head_revision()
    assert _drift(engine) == []
    assert schema.downgrade(engine, "base") == "base"
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    schema.upgrade(engine)
    assert _drift(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {"dossier", "lineage", "batch", "quarantine", "remap_decision", "account_alias"} <= tables


def test_work_refused_on_an_old_schema(tmp_path):
    from migrate.core.errors import StoreError
    import pytest

    import sqlite3

    sqlite3.connect(tmp_path / "old.sqlite").close()  # a store file with no schema at all
    engine = schema.connect(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with pytest.raises(StoreError, match="hopnhat store upgrade"):
        schema.require_current(engine)
