"""The store schema: alembic is the only way in, identical on both engines, reversible."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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
    assert {"dossier", "lineage", "batch", "quarantine", "account_alias"} <= tables
    assert "remap_decision" not in tables  # revision 0006: decisions are held in their lineage rows


def test_work_refused_on_an_old_schema(tmp_path):
    from migrate.core.errors import StoreError
    import pytest

    import sqlite3

    sqlite3.connect(tmp_path / "old.sqlite").close()  # a store file with no schema at all
    engine = schema.connect(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with pytest.raises(StoreError, match="hopnhat store upgrade"):
        schema.require_current(engine)


BATCH_KEYED = ("account", "account_alias", "document", "dossier", "dossier_event", "dossier_file", "lineage",
               "quarantine")
DECISIONS = "remap_decision"  # a table of its own before revision 0006


def _batch_keys(engine) -> dict[str, list[str]]:
    """Per table, the foreign keys from batch_id to batch, plus the lineage's indexes on batch_id alone."""
    found = inspect(engine)
    tables = (*BATCH_KEYED, DECISIONS) if DECISIONS in found.get_table_names() else BATCH_KEYED
    out = {t: [fk["referred_table"] for fk in found.get_foreign_keys(t) if fk["constrained_columns"] == ["batch_id"]]
           for t in tables}
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
    assert _batch_keys(engine) == {**kept, DECISIONS: ["batch"]}
    schema.upgrade(engine)
    assert _drift(engine) == []
    engine.dispose()


def _dossier_indexes(engine) -> list[str]:
    return sorted(i["name"] for i in inspect(engine).get_indexes("dossier"))


def test_the_dossier_number_index_is_dropped_on_both_engines_and_comes_back_on_downgrade(store_url):
    """Revision 0008: lookups by number go through old_identifier.normalized; dossier keeps no index of its own."""
    engine = schema.connect(store_url)
    assert "ix_dossier_dossier_no" not in _dossier_indexes(engine)
    assert "ix_dossier_new_commune_code" in _dossier_indexes(engine)
    assert schema.downgrade(engine, "0007") == "0007"
    assert "ix_dossier_dossier_no" in _dossier_indexes(engine)
    schema.upgrade(engine)
    assert "ix_dossier_dossier_no" not in _dossier_indexes(engine)
    assert _drift(engine) == []
    engine.dispose()


def test_remap_decisions_move_into_the_lineage_rows_and_back(store_url):
    """Revision 0006 on a store holding decisions: each lands in its record's lineage row (a record without
    one keeps NULLs), the remap_decision table goes; a downgrade writes the same decisions back."""
    from datetime import datetime

    from sqlalchemy import MetaData, Table, insert, select

    engine = schema.connect(store_url)
    assert schema.downgrade(engine, "0005") == "0005"
    tables = MetaData()
    lineage, decision, batch, run = (Table(t, tables, autoload_with=engine)
                                     for t in ("lineage", DECISIONS, "batch", "migration_run"))
    key = {"source_system": "hanam", "source_table": "HoSo"}
    decided = {"old_province_code": "35", "old_district_code": "347", "old_commune_code": "13318",
               "new_commune_code": "13318", "batch_id": 1, "content_hash": "a" * 64, "entity": "dossier"}
    moved = {"rule": "split:ward-list", "score": 0.93, "detail": "Phường Châu Sơn, thôn Đồng Ao",
             "address": "Số 1, thôn Đồng Ao", "new_province_code": "37"}
    with engine.begin() as conn:
        conn.execute(insert(run).values(id=1, started_at=datetime(2026, 12, 1), tool_version="0", profiles=[],
                                        state="done"))
        conn.execute(insert(batch).values(id=1, run_id=1, source_system="hanam", entity="dossier", source_table="HoSo",
                                          seq=1, key_lo="[1]", key_hi="[2]", state="loaded", attempts=1, extracted=2,
                                          loaded=2, merged=0, quarantined=0, excluded=0))
        for n in ("1", "2"):
            conn.execute(insert(lineage).values(**key, **decided, source_key=n, outcome="loaded", target_id=int(n)))
        conn.execute(insert(decision).values(**key, **decided, **moved, source_key="1"))
    schema.upgrade(engine)
    assert _drift(engine) == []
    assert DECISIONS not in inspect(engine).get_table_names()
    from migrate.store.models import lineage as model

    columns = (model.c.source_key, model.c.remap_rule, model.c.remap_score, model.c.remap_detail,
               model.c.remap_address, model.c.new_province_code, model.c.new_commune_code)
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(model.c.source_key)).all()
    assert [tuple(r) for r in rows] == [("1", *moved.values(), "13318"), ("2", None, None, None, None, None, "13318")]
    assert schema.downgrade(engine, "0005") == "0005"
    back = Table(DECISIONS, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = conn.execute(select(back).where(back.c.source_key == "1")).mappings().all()
        assert conn.execute(select(back.c.source_key)).scalars().all() == ["1"]
    assert {k: rows[0][k] for k in (*key, *decided, *moved)} == {**key, **decided, **moved}
    schema.upgrade(engine)
    assert _drift(engine) == []
    engine.dispose()


ROOMY = ("account", "dossier", "dossier_event", "dossier_file", "document", "lineage")


def _fill_factors(engine) -> dict[str, str | None]:
    """Per table a delta rewrites, its PostgreSQL fill factor (None: the default, pages filled whole)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(:names)"),
                            {"names": list(ROOMY)}).all()
    return {name: next((o.split("=")[1] for o in options or () if o.startswith("fillfactor=")), None)
            for name, options in rows}


def test_tables_a_delta_rewrites_keep_room_in_their_pages_on_postgresql(store_url):
    """Revision 0007: the entity tables and lineage filled to 90% (a changed row's new version stays on its page,
    no index entry written for it); back to full pages at 0006."""
    engine = schema.connect(store_url)
    if engine.dialect.name == "sqlite":  # no fill factor: the revision changes nothing there
        assert schema.downgrade(engine, "0006") == "0006"
        schema.upgrade(engine)
        assert _drift(engine) == []
        engine.dispose()
        return
    assert _fill_factors(engine) == {t: "90" for t in ROOMY}
    assert schema.downgrade(engine, "0006") == "0006"
    assert _fill_factors(engine) == {t: None for t in ROOMY}
    schema.upgrade(engine)
    assert _fill_factors(engine) == {t: "90" for t in ROOMY}
    assert _drift(engine) == []
    engine.dispose()
