"""Styles seen in real legacy addresses (mappings/data/bench/real-addresses.csv), rule-named.

Each case is a written style, not a string special-cased in the parser: English renderings,
type words inside a part without a comma, abbreviations without a dot, hyphen separators.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mappings.bench import REAL
from mappings.rules import Resolver, UnitRef


@pytest.fixture(scope="module")
def resolver(table) -> Resolver:
    return Resolver(table)


@pytest.mark.parametrize("style, address, new", [
    ("english-ward-number", "1127 Trần Hưng Đạo, Ward 5, District 5, Ho Chi Minh City", "27316"),
    ("english-ward-suffix", "24 Le Thanh Ton, Ben Nghe Ward, District 1, HCMC", "26740"),
    ("english-district-suffix", "659 Nguyen Kiem, Ward 9, Phu Nhuan District, HCMC", "27043"),
    ("english-city-suffix", "No. 45C, 59 Street, Thao Dien Ward, Thu Duc City, HCMC", "27094"),
    ("english-ward-prefix", "21 Bui Thi Xuan, Ward Pham Ngu Lao, District 1, Ho Chi Minh", "26743"),
    ("english-hanoi", "54 Tho Nhuom Street, Tran Hung Dao Ward, Hoan Kiem District, Hanoi", "00082"),
    ("tt-without-dot-mid-part", "Khóm 4 TT Trà Cú Huyện Trà Cú, Trà Cú, Trà Vinh", "29461"),
    ("xa-mid-part", "Thôn 4 xã Lộc Quảng, Bảo Lâm, Lâm Đồng", "25054"),
    ("phuong-mid-part", "12 Trần Quý Cáp Phường Vạn Thạnh, Nha Trang, Khánh Hoà", "22366"),
    ("p-without-dot", "296 CMT8, P Hòa Thọ Đông, Cẩm Lệ, Đà Nẵng", "20260"),
    ("hyphen-separator", "KV1 -TT Đông Thành, Đức Huệ, Long An", "27898"),
    ("hyphen-after-word", "Khu phố Vân Tùng- xã Vân Tùng, Ngân Sơn, Bắc Kạn", "01954"),
    ("typo-diacritic-province", "Khối 1 TT Buôn Trấp, Krông ANa, Đắk Lăk", "24538"),
])
def test_real_style_resolves(resolver, style, address, new):
    d = resolver.resolve(UnitRef(address=address))
    assert d.new_commune == new, (style, d.rule, d.detail)


@pytest.mark.parametrize("style, address", [
    ("split-ward-english", "124/1 Cao Thang, Ward 4, District 3, HCMC"),
    ("street-no-ward", "Ky Dong Street, District 3, Ho Chi Minh City"),
    ("district-only", "229 Tây Sơn, Đống Đa, Hà Nội"),
])
def test_real_style_goes_to_review(resolver, style, address):
    d = resolver.resolve(UnitRef(address=address))
    assert not d.resolved, (style, d.new_commune, d.detail)


def test_real_addresses_never_wrong(resolver):
    """No real address may get a commune outside its expected set: review beats a wrong guess."""
    with Path(REAL).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 500 and all(r["source"] for r in rows)
    wrong = []
    for r in rows:
        d = resolver.resolve(UnitRef(address=r["address"]))
        if d.resolved and d.new_commune not in r["expected_new_commune"].split(";"):
            wrong.append((r["address"], d.new_commune, r["expected_new_commune"]))
    assert wrong == []


@pytest.mark.parametrize("style, address, new", [
    ("no-commas-all-units", "Đông Tân Đông Hưng Thái Bình", "12793"),
    ("street-glued-before-commune", "10 Đinh Bộ Lĩnh Phú Cường, Thủ Dầu Một, Bình Dương", "25747"),
    ("street-glued-no-house-word", "45 Lê Lợi Thạch Thang, Hải Châu, Đà Nẵng", "20242"),
    ("unmarked-type-word-or-name", "tinh tra son tinh quang ngai", "21205"),
])
def test_read_from_the_end(resolver, style, address, new):
    d = resolver.resolve(UnitRef(address=address))
    assert d.new_commune == new and "Read from the end" in d.detail, (style, d.rule, d.detail)


@pytest.mark.parametrize("style, address", [
    ("street-after-house-number", "247 Đường Cao Xanh, Hạ Long, Quảng Ninh"),
    ("district-named-like-commune-untyped", "Số nhà 108, đường bãi cháy, hạ Long , quảng ninh"),
])
def test_read_from_the_end_never_takes_a_street(resolver, style, address):
    d = resolver.resolve(UnitRef(address=address))
    assert not d.resolved, (style, d.new_commune, d.detail)


def test_split_commune_read_from_the_end_goes_to_review_with_its_parts(resolver, table):
    d = resolver.resolve(UnitRef(address="Tân Lập, Đan Phượng Hà Nội"))
    old = [o for o in table.old_communes() if o.commune_name == "Xã Tân Lập" and o.district_name == "Huyện Đan Phượng"]
    assert not d.resolved and set(d.candidates) == {p.new.code for p in table.parts(old[0].commune_code)}
