"""The store schema: alembic is the only way in, identical on both engines, reversible."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from migrate.store import schema
from migrate.store.models import metadata


def _drift(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": schema.made_on(conn.dialect.name)})
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


BATCH_KEYED = ("account", "account_alias", "document", "dossier", "dossier_event", "dossier_file", "lineage",
               "quarantine", "remap_decision")


def _batch_keys(engine) -> dict[str, list[str]]:
    """Per table, the foreign keys from batch_id to batch, plus the lineage's indexes on batch_id alone."""
    found = inspect(engine)
    out = {t: [fk["referred_table"] for fk in found.get_foreign_keys(t) if fk["constrained_columns"] == ["batch_id"]]
           for t in BATCH_KEYED}
    out["lineage index"] = [i["name"] for i in found.get_indexes("lineage") if i["column_names"] == ["batch_id"]]
    return out


def test_batch_keys_are_dropped_on_postgresql_only_and_come_back_on_downgrade(store_url):
    engine = schema.connect(store_url)
    kept = {**{t: ["batch"] for t in BATCH_KEYED}, "lineage index": ["ix_lineage_batch_id"]}
    if engine.dialect.name == "sqlite":  # SQLite cannot drop them without rebuilding referenced tables
        assert _batch_keys(engine) == kept
    else:
        assert _batch_keys(engine) == {**{t: [] for t in BATCH_KEYED}, "lineage index": []}
    assert schema.downgrade(engine, "0004") == "0004"
    assert _batch_keys(engine) == kept
    schema.upgrade(engine)
    assert _drift(engine) == []
    engine.dispose()
