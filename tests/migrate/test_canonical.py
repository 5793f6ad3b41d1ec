"""Canonical records: the compiled per-entity converter, its fast paths, and stable content hashes."""

from __future__ import annotations

import datetime as dt

import pytest

from migrate.core.records import EntitySpec, RawRecord
from migrate.core.canonical import FIELDS, content_hash, converter, hash_value, to_canonical

ACCOUNT_COLUMNS = {name: f"C_{name}" for name in FIELDS["account"]}
DOSSIER_COLUMNS = {name: f"C_{name}" for name in FIELDS["dossier"]}


def _account(convert: dict[str, str] | None = None) -> EntitySpec:
    return EntitySpec("account", "TaiKhoan", ("Id",), ACCOUNT_COLUMNS,
                      lookups={"kind": {"1": "citizen", "2": "business"}}, convert=convert or {})


def _dossier() -> EntitySpec:
    return EntitySpec("dossier", "HoSo", ("Id",), DOSSIER_COLUMNS, convert={"submitted_at": "datetime"})


@pytest.mark.parametrize("text, expected", [
    ("2024-01-02 03:04:05", dt.datetime(2024, 1, 2, 3, 4, 5)),
    ("2024-01-02T03:04:05", dt.datetime(2024, 1, 2, 3, 4, 5)),
    ("2024-01-02 03:04:05.5", dt.datetime(2024, 1, 2, 3, 4, 5, 500000)),
    ("2024-01-02T03:04:05+07:00", dt.datetime(2024, 1, 1, 20, 4, 5)),  # to UTC
    ("2024-01-02T03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5)),
    ("2024-1-2 3:04:05", dt.datetime(2024, 1, 2, 3, 4, 5)),  # not ISO: the listed formats
    ("02/01/2024 10:11", dt.datetime(2024, 1, 2, 10, 11)),
    ("  2024-01-02  ", dt.datetime(2024, 1, 2)),
])
def test_datetimes_read_the_same_by_every_path(text, expected):
    record, rejection = to_canonical(_dossier(), RawRecord("HoSo", (1,), {"C_dossier_no": "1", "C_submitted_at": text}))
    assert rejection is None
    assert record["submitted_at"] == expected


@pytest.mark.parametrize("text, expected", [
    ("17/05/1990", dt.date(1990, 5, 17)),
    ("7/5/1990", dt.date(1990, 5, 7)),
    ("31/02/1990", None),  # no such day: rejected, as strptime does
    ("00/05/1990", None),
    ("1990-05-17", None),  # not the profile's format
])
def test_explicit_date_format(text, expected):
    spec = _account({"birth_date": "date:%d/%m/%Y"})
    record, rejection = converter(spec)(RawRecord("TaiKhoan", (1,), {"C_kind": "1", "C_birth_date": text}))
    if expected is None:
        assert rejection is not None and rejection.field == "birth_date"
        assert "not a date in format %d/%m/%Y" in rejection.reason
    else:
        assert rejection is None and record["birth_date"] == expected


def test_converter_matches_to_canonical_on_awkward_values():
    spec = _account()
    convert = converter(spec)
    payloads = [
        {"C_kind": "1", "C_full_name": " Nguye\u0302\u0303n  ", "C_id_number": "035 073 093 942", "C_phone": 912,
         "C_email": "   "},
        {"C_kind": "9"},  # no lookup for the value
        {"C_kind": "2", "C_tax_code": "0101234567-001", "C_id_number": "123456789"},  # a CMND in the CCCD column
        {"C_kind": None},  # required
        {"C_kind": "1", "C_created_at": "yesterday"},
    ]
    for i, payload in enumerate(payloads):
        raw = RawRecord("TaiKhoan", (i,), payload)
        assert convert(raw) == to_canonical(spec, raw)
    record, rejection = convert(RawRecord("TaiKhoan", (0,), payloads[0]))
    assert rejection is None
    assert record["full_name"] == "Nguyễn" and record["id_number"] == "035073093942" and record["phone"] == "912"
    assert record["email"] is None
    assert convert(RawRecord("TaiKhoan", (1,), payloads[1]))[1].reason.startswith("C_kind='9': no lookup")
    swapped, _ = convert(RawRecord("TaiKhoan", (2,), payloads[2]))
    assert (swapped["id_number"], swapped["legacy_id_number"], swapped["tax_code"]) == (None, "123456789",
                                                                                         "0101234567-001")
    assert convert(RawRecord("TaiKhoan", (3,), payloads[3]))[1].reason == "C_kind is empty; kind is required"


def test_content_hash_is_stable():
    """The hashes recorded in stores already loaded must still come out: pinned values."""
    dossier = {"dossier_no": "000.09.26.H35-210218-0001", "address": "Đội 5, xã Đức Lý",
               "applicant_name": "Nguye\u0302\u0303n Văn A", "submitted_at": dt.datetime(2021, 2, 18, 7, 38, 34),
               "received_at": dt.datetime(2021, 2, 18, 7, 52, 34, 500000), "status": "returned",
               "province_code": "35"}
    account = {"kind": "citizen", "birth_date": dt.date(1990, 5, 17), "full_name": "Trần Thị B",
               "id_number": "035073093942", "created_at": dt.datetime(2020, 1, 1)}
    assert content_hash("dossier", dossier) == "46259d0ed18b2ee39b37e0647ddbb76a14d4f180fc216784b65129991e0134d4"
    assert content_hash("account", account) == "84f5d54907d4f2d5de2b18dd51782c0d3ae6b519ddacf1cb3ce8a9097fc7f33c"
    assert hash_value(dt.datetime(2021, 2, 18, 7, 38, 34)) == dt.datetime(2021, 2, 18, 7, 38, 34).isoformat()


@pytest.mark.parametrize("value", [
    "plain", "Nguye\u0302\u0303n", 'quote " back\\slash', "tab\tline\nNUL\x00 del\x7f", "lone \udcff surrogate",
    "\u2028 separators \u2029", "", dt.datetime(2021, 2, 18, 7, 38, 34), dt.datetime(2021, 2, 18, 7, 38, 34, 5),
    dt.datetime(2021, 2, 18, 7, 38, tzinfo=dt.timezone(dt.timedelta(hours=7))), dt.date(1990, 5, 17), None, 0, -7,
    2**70, True, False, 1.5, 1e20, float("inf"), __import__("decimal").Decimal("2048.00"), ["a", 1], {"k": "v"},
])
def test_content_hash_is_the_json_of_the_whole_record(value):
    """The hash is written part by part; its bytes are those of the canonical record encoded as one JSON object."""
    import hashlib
    import json

    from migrate.core.canonical import _SORTED_FIELDS

    names = _SORTED_FIELDS["dossier"]
    for record in ({"status": value}, {names[0]: value, names[-1]: value, "address": "Đội 5"}):
        body = {name: hash_value(record.get(name)) for name in names}
        text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode(body)
        assert content_hash("dossier", record) == hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
