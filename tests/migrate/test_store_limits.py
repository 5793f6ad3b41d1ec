"""Records are checked against the store's own limits before the write: a bad value quarantines its record.

The limits come from the store models, so a value PostgreSQL would refuse is
refused on SQLite too: the outcome never depends on the store engine.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from mappings.rules import Resolver
from mappings.units import UnitTable
from migrate.core.records import EntitySpec, RawRecord, jsonable
from migrate.prepare import DateRange, field_limits, prepare
from migrate.store.limits import storable_payload, storable_reason
from migrate.store.models import dossier, dossier_file

FILE = EntitySpec("dossier_file", "TepDinhKem", ("Id",), {"dossier_key": "HoSoId", "file_name": "TenTep",
                                                          "path": "DuongDan", "size": "KichThuoc"},
                  convert={"size": "int"})
DOSSIER = EntitySpec("dossier", "HoSo", ("Id",), {
    "dossier_no": "SoHoSo", "procedure_code": "MaThuTuc", "applicant_name": "TenNguoiNop",
    "commune_code": "MaXa", "province_code": "MaTinh", "submitted_at": "NgayNop", "due_at": "NgayHenTra",
}, convert={"submitted_at": "datetime", "due_at": "datetime"})


RESOLVER = Resolver(UnitTable.load())


def _prepared(spec: EntitySpec, **payload):
    base = {"Id": 7, "HoSoId": 1, "SoHoSo": "HS-1", "MaXa": "13291", "MaTinh": "35"}
    base.update(payload)
    return prepare(spec, RawRecord(spec.table, (7,), base), RESOLVER, "35")


def _rejection(spec: EntitySpec, **payload):
    p = _prepared(spec, **payload)
    assert p.rejection is not None, p.record
    assert p.rejection.raw_payload["Id"] == 7
    return p.rejection


def test_limits_are_read_from_the_store_models():
    limits = dict(field_limits("dossier"))
    assert limits["procedure_code"].length == dossier.c.procedure_code.type.length == 100
    assert limits["applicant_account_key"].column == "lineage.source_key"
    assert dict(field_limits("dossier_file"))["size"].bits == 63
    assert dict(field_limits("dossier_file"))["path"].column == f"{dossier_file.name}.source_path"


@pytest.mark.parametrize("value, field, words", [
    ("P" * 150, "procedure_code", "150 characters, longer than store column dossier.procedure_code (at most 100)"),
    ("Nguyễn\x00Văn", "applicant_name", "NUL character at position 6 (rule text:nul)"),
    ("ab\udcff", "applicant_name", "not UTF-8 text (rule text:not-utf8)"),
])
def test_text_the_store_refuses_quarantines_the_record(value, field, words):
    column = {"procedure_code": "MaThuTuc", "applicant_name": "TenNguoiNop"}[field]
    rejection = _rejection(DOSSIER, **{column: value})
    assert rejection.field == field
    assert words in rejection.reason


@pytest.mark.parametrize("value, words", [
    (1e20, "out of range for store column dossier_file.size (64-bit integer)"),
    (2 ** 70, "out of range"),
    (float("inf"), "not a finite number"),
    (float("nan"), "not a finite number"),
    (3.5, "not a whole number"),
    ("1e20", "not a whole number"),
    (True, "not a whole number"),
])
def test_numbers_out_of_range_are_record_problems(value, words):
    rejection = _rejection(FILE, KichThuoc=value)
    assert rejection.field == "size"
    assert words in rejection.reason


def test_whole_floats_and_big_integers_in_range_load():
    assert _prepared(FILE, KichThuoc=2048.0).record["size"] == 2048
    assert _prepared(FILE, KichThuoc=2 ** 63 - 1).rejection is None


def test_binary_values_are_text_only_when_they_hold_utf8():
    text = jsonable("Trần Thị Bích".encode())
    assert text.startswith("base64:")
    assert _prepared(DOSSIER, TenNguoiNop=text).record["applicant_name"] == "Trần Thị Bích"
    binary = jsonable(b"\xff\xfe\x00\x81")
    rejection = _rejection(DOSSIER, TenNguoiNop=binary)
    assert rejection.field == "applicant_name"
    assert "4 bytes of binary data, not text (rule blob:not-text)" in rejection.reason


@pytest.mark.parametrize("value, words", [
    ("1899-12-31 10:00:00", "before 1900-01-01"),
    ("2999-01-01 00:00:00", "after the snapshot"),
    ("31/02/2024", "not a date"),
    ("0000-00-00 00:00:00", "not a date"),
])
def test_implausible_and_impossible_dates_are_quarantined(value, words):
    rejection = _rejection(DOSSIER, NgayNop=value)
    assert rejection.field == "submitted_at"
    assert words in rejection.reason


def test_date_range_is_configurable_and_due_dates_may_lie_ahead():
    raw = RawRecord("HoSo", (7,), {"Id": 7, "SoHoSo": "HS", "MaXa": "13291", "MaTinh": "35",
                                   "NgayNop": "1890-05-01 08:00:00", "NgayHenTra": "2999-01-01 00:00:00"})
    from migrate.prepare import prepare_page

    loose = prepare_page(DOSSIER, [raw], RESOLVER, "35", DateRange(earliest=dt.date(1800, 1, 1)))
    assert loose[0].rejection is None
    assert _prepared(DOSSIER, NgayHenTra="2999-01-01 00:00:00").rejection is None


def test_a_long_reason_keeps_the_value_short():
    rejection = _rejection(DOSSIER, MaThuTuc="x" * 1_000_000)
    assert len(rejection.reason) < 400


def test_quarantine_payload_is_storable():
    payload = storable_payload({"a": "x\udcff", "b": float("inf"), "c": b"\x00\x01", "d": "ok\x00"})
    assert payload["a"] == "x\\udcff"
    assert payload["b"] == "inf"
    assert payload["c"] == "base64:" + base64.b64encode(b"\x00\x01").decode()
    assert payload["d"] == "ok\x00"


def test_attachment_path_over_the_file_name_limit_is_that_records_problem(tmp_path):
    from migrate.attachments import store_file

    (tmp_path / "a").mkdir()
    stored = store_file(tmp_path, "a/" + "x" * 300 + ".pdf", tmp_path / "files")
    assert not stored.ok
    assert stored.state == "unreadable"
    assert "File name too long" in stored.reason and len(stored.reason) < 400


def test_a_reason_quoting_a_nul_or_a_surrogate_is_storable():
    assert storable_reason("no lookup for value 'a\x00b\udcff'") == "no lookup for value 'a\\x00b\\udcff'"


# --- the other writes of a batch: what in them comes from a record, and why the store cannot refuse it --------

def test_bookkeeping_columns_taking_a_records_values_are_no_narrower_than_the_checked_ones():
    """Lineage (with its remap decisions), review items, aliases and the identifier index repeat a record's key and
    old unit codes: they hold at least what the checked columns hold, so a record that passed the checks
    (its key against ``lineage.source_key``, its codes against the entity's columns) fits them too.
    Free text there (reasons, details) goes through ``storable_reason``; raw payloads through
    ``storable_payload``."""
    from migrate.core.entities import REGISTRY
    from migrate.store.models import account_alias, lineage, old_identifier, quarantine, review_item

    entity_tables = [e.store_table for e in REGISTRY.values()]
    key = lineage.c.source_key.type.length
    for table in (*entity_tables, quarantine, review_item, account_alias, old_identifier):
        assert table.c.source_key.type.length >= key, table.name
    for code in ("old_province_code", "old_district_code", "old_commune_code"):
        checked = max(t.c[code].type.length for t in entity_tables if code in t.c)
        for table in (lineage,):  # the remap decision's old units are the lineage row's
            assert table.c[code].type.length >= checked, (table.name, code)
    assert lineage.c.remap_address.type.length is None and review_item.c.reason.type.length is None
    assert lineage.c.remap_detail.type.length is None  # free text, through storable_reason


@pytest.mark.parametrize("key, words", [
    ("k" * 401, "401 characters, longer than store column lineage.source_key"),
    ("7\x00b", "NUL character"),
    ("7\udcffb", "rule text:not-utf8"),
])
def test_a_source_key_the_lineage_cannot_hold_quarantines_its_record_under_a_stand_in(key, words):
    raw = RawRecord("HoSo", (key,), {"Id": key, "SoHoSo": "HS-1", "MaXa": "13291", "MaTinh": "35"})
    p = prepare(DOSSIER, raw, RESOLVER, "35")
    assert p.rejection is not None and words in p.rejection.reason and p.rejection.field == "Id"
    assert p.source_key.startswith("~key~") and p.source_key == prepare(DOSSIER, raw, RESOLVER, "35").source_key
    from migrate.store.models import lineage

    assert len(p.source_key) <= lineage.c.source_key.type.length  # the stand-in itself fits the lineage


def test_an_identifier_read_from_a_raw_payload_is_written_as_the_index_holds_it():
    from migrate.continuity.index import _text

    assert _text("0351\x0056") == "0351\\x0056"
    assert _text("ab\udcffc") == "ab\\udcffc"
    assert _text("  ") is None


# --- through a run, into both stores: one bad value changes its record's outcome and nothing else ------------

SPOILS = [  # (table, key, column, value, field, words of the reason)
    ("HoSo", 5, "TenNguoiNop", "Nguyễn\x00Văn", "applicant_name", "NUL character at position 6 (rule text:nul)"),
    ("HoSo", 6, "MaThuTuc", "P" * 150, "procedure_code", "longer than store column dossier.procedure_code"),
    ("HoSo", 7, "NgayNop", "2999-01-01 08:00:00", "submitted_at", "after the snapshot"),
    ("HoSo", 8, "NgayNop", "31/02/2024 08:00", "submitted_at", "not a date"),
    ("TaiKhoan", 2, "HoTen", b"\xff\xfe\x00\x81", "full_name", "binary data, not text (rule blob:not-text)"),
    ("TepDinhKem", 1, "KichThuoc", 1e20, "size", "out of range for store column dossier_file.size"),
    ("TepDinhKem", 2, "KichThuoc", float("inf"), "size", "not a finite number"),
    ("TepDinhKem", 3, "KichThuoc", str(2 ** 70), "size", "out of range"),
    ("TepDinhKem", 4, "DuongDan", lambda path: path.rsplit("/", 1)[0] + "/" + "x" * 300 + ".pdf", "path",
     "File name too long"),  # in a folder that exists
    ("KhoDuLieu", 1, "SoGiayTo", "0" * 45, "owner_id_number",
     "45 characters, longer than store column document.owner_id_number (at most 40)"),
]


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory):
    from migrate.demo.generate import build_demo

    return build_demo(tmp_path_factory.mktemp("limits-portal"), scale=8, seed=11, files=True)[0]


def _run(portal, db, store_url: str, files):
    import dataclasses

    from migrate import pipeline
    from migrate.demo.flow import demo_settings

    settings = demo_settings([dataclasses.replace(portal, db_path=db)], store_url, files, batch_size=4)
    report = pipeline.run(settings)
    assert report.ok and not report.failed_batches, report.summary()
    return settings


def _outcomes(store_url: str) -> dict[tuple[str, str], tuple[str, str | None, str | None, object]]:
    from sqlalchemy import select

    from migrate.store import schema
    from migrate.store.models import lineage, quarantine

    engine = schema.connect(store_url)
    with engine.connect() as conn:
        held = {(r.source_table, r.source_key): r for r in conn.execute(
            select(quarantine.c.source_table, quarantine.c.source_key, quarantine.c.field, quarantine.c.reason,
                   quarantine.c.raw_payload).where(quarantine.c.released_at.is_(None)))}
        out = {}
        for r in conn.execute(select(lineage.c.source_table, lineage.c.source_key, lineage.c.outcome)):
            q = held.get((r.source_table, r.source_key))
            out[(r.source_table, r.source_key)] = (r.outcome, *((q.field, q.reason, q.raw_payload) if q else
                                                                (None, None, None)))
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def clean_outcomes(demo_portal, tmp_path_factory):
    """What a run of the unspoiled portal makes of every record (SQLite store)."""
    from migrate.store import schema

    folder = tmp_path_factory.mktemp("limits-clean")
    clean_store = f"sqlite:///{folder / 'store.sqlite'}"
    schema.upgrade(schema.connect(clean_store, create=True))
    _run(demo_portal, demo_portal.db_path, clean_store, folder / "files")
    return _outcomes(clean_store)


def test_values_past_the_store_limits_quarantine_their_record_alone_on_both_stores(demo_portal, clean_outcomes,
                                                                                    store_url, tmp_path):
    """The issue's cases in one portal: the bad record is quarantined with its field and reason, its batch
    loads, and every other record ends as in a clean run (children of a quarantined dossier as orphans)."""
    import shutil
    import sqlite3

    from migrate import pipeline
    from migrate.store import schema
    from reconciliation.checks import conservation

    baseline = clean_outcomes

    db = tmp_path / "spoiled.sqlite"
    shutil.copy(demo_portal.db_path, db)
    with sqlite3.connect(db) as conn:
        for table, key, column, value, _, _ in SPOILS:
            if callable(value):
                value = value(conn.execute(f'SELECT "{column}" FROM "{table}" WHERE Id = ?', (key,)).fetchone()[0])
            conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE Id = ?', (value, key))
        spoiled_dossiers = {str(k) for t, k, *_ in SPOILS if t == "HoSo"}
        orphans = {(t, str(i)) for t in ("QuaTrinhXuLy", "TepDinhKem")
                   for (i, parent) in conn.execute(f'SELECT Id, HoSoId FROM "{t}"') if str(parent) in spoiled_dossiers}
    settings = _run(demo_portal, db, store_url, tmp_path / "files")
    found = _outcomes(store_url)

    assert set(found) == set(baseline)
    for table, key, column, _, field, words in SPOILS:
        outcome, got_field, reason, payload = found[(table, str(key))]
        assert (outcome, got_field) == ("quarantined", field), (table, key, reason)
        assert words in reason and payload["Id"] == key, (table, key, reason)
        assert len(reason) < 600
    spoiled = {(t, str(k)) for t, k, *_ in SPOILS}
    for ref, (outcome, field, _, _) in baseline.items():
        if ref in spoiled:
            continue
        if ref in orphans and outcome == "loaded":
            assert found[ref][:2] == ("quarantined", "dossier_key"), ref
        else:
            assert found[ref][:2] == (outcome, field), (ref, found[ref], baseline[ref])
    store = schema.connect(store_url)
    assert conservation(store).ok
    # the batch holding a bad record reruns as it is: loaded, nothing changes (it used to fail forever)
    from sqlalchemy import select

    from migrate.store.models import lineage

    with store.connect() as conn:
        batches = {r.batch_id for r in conn.execute(select(lineage.c.source_table, lineage.c.source_key,
                                                           lineage.c.batch_id))
                   if (r.source_table, r.source_key) == ("HoSo", "5")}
    store.dispose()
    (batch_id,) = batches
    assert pipeline.rerun(settings, batch_id).state == "loaded"
    assert _outcomes(store_url) == found
