"""Account de-duplication: one rule per case, named after the rule; conflicts go to review."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from sqlalchemy import select

from migrate.core.records import EntitySpec, RawRecord
from mappings.rules import Resolver
from mappings.units import UnitTable
from migrate import ledger
from migrate.dedupe import compare, fold
from migrate.load import BatchContext, load_batch
from migrate.prepare import prepare
from migrate.store import schema
from migrate.store.models import account, account_alias, review_item

BORN = dt.date(1990, 5, 17)


def person(**fields) -> dict:
    base = dict(kind="citizen", full_name="Nguyễn Thị Hồng Nhung", id_number=None, legacy_id_number=None,
                tax_code=None, birth_date=BORN)
    return {**base, **fields}


CASES = [
    # (rule expected, first record, second record)
    ("cccd", person(id_number="001190012345"), person(id_number="001190012345")),
    ("cmnd", person(legacy_id_number="012345678"), person(legacy_id_number="012345678")),
    ("cmnd-cccd", person(legacy_id_number="012345678"), person(id_number="012345678", legacy_id_number=None)),
    ("cmnd-cccd", person(id_number="001190012345", legacy_id_number="012345678"),
     person(legacy_id_number=None, id_number="012345678")),
    ("tax-code", person(kind="business", full_name="Công ty TNHH Hòa Bình", tax_code="0101234567"),
     person(kind="business", full_name="CONG TY TNHH HOA BINH", tax_code="0101234567")),
    ("cccd:no-diacritics", person(id_number="001190012345"),
     person(id_number="001190012345", full_name="Nguyen Thi Hong Nhung")),
    ("cccd:decomposed", person(id_number="001190012345"),
     person(id_number="001190012345", full_name=unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung"))),
    ("cccd:swapped-order", person(id_number="001190012345"),
     person(id_number="001190012345", full_name="Hồng Nhung Nguyễn Thị")),
    ("cccd:upper-case-and-spacing", person(id_number="001190012345"),
     person(id_number="001190012345", full_name="  NGUYỄN  THỊ HỒNG   NHUNG ")),
    ("cccd:one-birth-date-missing", person(id_number="001190012345"),
     person(id_number="001190012345", birth_date=None)),
]


@pytest.mark.parametrize("rule, a, b", CASES, ids=[c[0] for c in CASES])
def test_same_person_is_merged(rule, a, b):
    match = compare(a, b)
    assert match.kind == "merged", match.reason
    assert match.rule == rule.split(":")[0]
    assert match.score is not None and match.score >= 85


CONFLICTS = [
    ("birth-date-differs", person(id_number="001190012345"),
     person(id_number="001190012345", birth_date=dt.date(1991, 5, 17)), "birth date"),
    ("name-differs", person(id_number="001190012345"),
     person(id_number="001190012345", full_name="Trần Văn Bình"), "names differ"),
    ("cmnd-cccd-birth-date-differs", person(legacy_id_number="012345678"),
     person(id_number="012345678", birth_date=dt.date(1970, 1, 1)), "birth date"),
]


@pytest.mark.parametrize("case, a, b, why", CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_same_number_but_different_person_is_a_conflict(case, a, b, why):
    match = compare(a, b)
    assert match.kind == "conflict" and why in match.reason


DIFFERENT = [
    ("different-numbers", person(id_number="001190012345"), person(id_number="001190099999")),
    ("different-kinds", person(id_number="001190012345"), person(kind="staff", id_number="001190012345")),
    ("citizen-tax-code-not-a-link", person(tax_code="0101234567"), person(tax_code="0101234567")),
    ("no-identifiers", person(), person()),
]


@pytest.mark.parametrize("case, a, b", DIFFERENT, ids=[c[0] for c in DIFFERENT])
def test_no_shared_identifier_is_a_new_account(case, a, b):
    assert compare(a, b).kind == "new"


def test_fold_removes_marks_case_spacing_and_d_stroke():
    assert fold("  Đặng   THỊ Hồng ") == "dang thi hong"
    assert fold(unicodedata.normalize("NFD", "Nguyễn")) == "nguyen"


SPEC = EntitySpec("account", "TaiKhoan", ("Id",), {
    "kind": "Loai", "full_name": "HoTen", "id_number": "CCCD", "legacy_id_number": "CMND", "birth_date": "NgaySinh",
})


def _load(conn, source: str, run_id: int, rows: list[dict], seq: int = 0) -> ledger.Counts:
    batch_id = ledger.open_batch(conn, run_id=run_id, source=source, entity="account", table="TaiKhoan", seq=seq,
                                 lo=(rows[0]["Id"],), hi=(rows[-1]["Id"],))
    resolver = Resolver(UnitTable.load())
    prepared = [prepare(SPEC, RawRecord("TaiKhoan", (r["Id"],), r), resolver, "35") for r in rows]
    ctx = BatchContext(batch_id, source, {"account": "TaiKhoan"}, None, None, ledger.now())  # type: ignore[arg-type]
    return load_batch(conn, ctx, "account", "TaiKhoan", prepared)


def test_three_provinces_one_person_one_account_and_conflicts_go_to_review(store_url):
    engine = schema.connect(store_url)
    row = dict(Loai="citizen", HoTen="Nguyễn Thị Hồng Nhung", CCCD=None, CMND="012345678", NgaySinh="1990-05-17")
    with engine.begin() as conn:
        run_id = ledger.start_run(conn, tool_version="t", mapping_version="m", mapping_sha256="s", profiles=[])
        first = _load(conn, "hanam", run_id, [dict(row, Id=1)])
        second = _load(conn, "namdinh", run_id, [dict(row, Id=7, CCCD="001190012345",
                                                      HoTen="Nguyen Thi Hong Nhung")])
        third = _load(conn, "ninhbinh", run_id, [dict(row, Id=3, HoTen="Hồng Nhung Nguyễn Thị"),
                                                 dict(row, Id=4, NgaySinh="1961-01-01")])
        again = _load(conn, "ninhbinh", run_id, [dict(row, Id=3, HoTen="Hồng Nhung Nguyễn Thị"),
                                                 dict(row, Id=4, NgaySinh="1961-01-01")], seq=1)
    assert (first.loaded, second.merged, third.merged, third.loaded) == (1, 1, 1, 1)
    assert (again.loaded, again.merged) == (third.loaded, third.merged)  # the same batch again: same outcome
    with engine.connect() as conn:
        accounts = conn.execute(select(account.c.source_system, account.c.source_key).order_by(account.c.id)).all()
        aliases = conn.execute(select(account_alias.c.source_system, account_alias.c.match_rule,
                                      account_alias.c.account_id).order_by(account_alias.c.id)).all()
        reviews = conn.execute(select(review_item.c.kind, review_item.c.source_key, review_item.c.reason)
                               .where(review_item.c.kind == "account-conflict")).all()
    assert [tuple(a) for a in accounts] == [("hanam", "1"), ("ninhbinh", "4")]
    assert {a.account_id for a in aliases if a.source_system != "ninhbinh" or a.match_rule != "self"} == {1}
    assert sorted(a.match_rule for a in aliases) == ["cmnd", "cmnd", "self", "self"]
    assert [(r.kind, r.source_key) for r in reviews] == [("account-conflict", "4")]
    assert "birth date" in reviews[0].reason
