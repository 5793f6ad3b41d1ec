"""An entity added to the entity registry loads with no other edit: the loader does what the registry says.

The entity here is one hopnhat does not have: a business registration, owned by an
account or by none, placed in a commune by its own address fields. Its store table and
its registry entry are added for the test alone; the loader's code is not touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint, select

from mappings.rules import Decision, UnitRef
from migrate import ledger
from migrate.core.entities import REGISTRY, Entity, Field, ParentLink
from migrate.core.records import RawRecord
from migrate.load import BatchContext, load_batch
from migrate.prepare import Prepared
from migrate.store import models, schema

NEW = "business_registration"


@pytest.fixture
def registration(monkeypatch):
    table = Table(
        NEW, models.metadata,
        Column("id", models.Id, primary_key=True, autoincrement=True),
        *models._lineage_columns(),
        Column("account_id", models.Id, ForeignKey("account.id")),
        Column("registration_no", Text),
        Column("old_province_code", String(20)), Column("old_district_code", String(20)),
        Column("old_commune_code", String(20)), Column("new_commune_code", String(5)),
        UniqueConstraint("source_system", "source_table", "source_key"),
    )
    entity = Entity(NEW, (
        Field("owner_account_key", "code"),
        Field("registration_no", "text"),
        Field("province_code", "code", column="old_province_code"),
        Field("district_code", "code", column="old_district_code"),
        Field("commune_code", "code", column="old_commune_code"),
    ), parent=ParentLink("owner_account_key", "account", "account_id", required=False, noun="owner account"),
        placed=True)
    monkeypatch.setitem(REGISTRY, NEW, entity)
    yield entity
    models.metadata.remove(table)


def _prepared(entity: str, table: str, key: int, ref: UnitRef | None = None, decision: Decision | None = None,
              **values: object) -> Prepared:
    record = {name: None for name in REGISTRY[entity].field_names} | values
    digest = hashlib.sha256(repr(sorted(record.items())).encode()).hexdigest()  # canonical's are built at import
    return Prepared(RawRecord(table, (key,), {"Id": key, **values}), record, digest, ref, decision, None, str(key))


def _batch(engine, entity: str, table: str) -> int:
    with engine.begin() as conn:
        run_id = ledger.start_run(conn, tool_version="t", mapping_version="m", mapping_sha256="0", profiles=[])
        return ledger.open_batch(conn, run_id=run_id, source="src", entity=entity, table=table, seq=0,
                                 lo=(0,), hi=(9,))


def test_an_entity_added_to_the_registry_loads_linked_placed_and_quarantined(store_url, tmp_path, registration):
    engine = schema.connect(store_url)
    registration.store_table.create(engine)
    now = dt.datetime(2026, 1, 1)
    accounts = [_prepared("account", "TaiKhoan", 1, kind="business", full_name="Công ty A", tax_code="0100109106")]
    with engine.begin() as conn:
        ctx = BatchContext(_batch(engine, "account", "TaiKhoan"), "src", {}, None, tmp_path / "files", now)
        assert load_batch(conn, ctx, "account", "TaiKhoan", accounts).loaded == 1
    ref = UnitRef("35", "347", "13321")
    records = [
        _prepared(NEW, "DangKyKinhDoanh", 1, ref, Decision("13324", "37", "exact"), owner_account_key="1",
                  registration_no="0100109106", province_code="35", district_code="347", commune_code="13321"),
        _prepared(NEW, "DangKyKinhDoanh", 2, registration_no="0100109107"),  # owned by no account: allowed
        _prepared(NEW, "DangKyKinhDoanh", 3, owner_account_key="99", registration_no="0100109108"),
    ]
    with engine.begin() as conn:
        ctx = BatchContext(_batch(engine, NEW, "DangKyKinhDoanh"), "src", {"account": "TaiKhoan"}, None,
                           tmp_path / "files", now)
        counts = load_batch(conn, ctx, NEW, "DangKyKinhDoanh", records)
    assert (counts.extracted, counts.loaded, counts.quarantined) == (3, 2, 1)
    table, L, q = registration.store_table, models.lineage.c, models.quarantine.c
    with engine.connect() as conn:
        account_id = conn.execute(select(models.account.c.id)).scalar_one()
        rows = {r.source_key: r for r in conn.execute(select(table))}
        lineage = {r.source_key: r for r in conn.execute(select(models.lineage).where(L.entity == NEW))}
        (held,) = conn.execute(select(q.source_key, q.field, q.reason).where(q.entity == NEW)).all()
    assert set(rows) == {"1", "2"}
    assert (rows["1"].account_id, rows["1"].registration_no, rows["1"].new_commune_code,
            rows["1"].old_commune_code) == (account_id, "0100109106", "13324", "13321")
    assert (rows["2"].account_id, rows["2"].new_commune_code) == (None, None)
    assert (lineage["1"].outcome, lineage["1"].target_id, lineage["1"].old_district_code,
            lineage["1"].new_commune_code) == ("loaded", rows["1"].id, "347", "13324")
    assert tuple(held) == ("3", "owner_account_key",
                           "owner account 99 is not in the store (quarantined or missing in the source)")
    assert lineage["3"].outcome == "quarantined"
    with engine.begin() as conn:  # loading the batch again changes nothing
        again = load_batch(conn, ctx, NEW, "DangKyKinhDoanh", records)
    assert (again.loaded, again.quarantined) == (2, 1)
    with engine.connect() as conn:
        assert {r.source_key: r for r in conn.execute(select(table))} == rows
    engine.dispose()
