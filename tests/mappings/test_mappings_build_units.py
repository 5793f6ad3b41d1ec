"""The shipped unit table: complete, regenerable, and faithful to the crosswalk."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from mappings import build_units

DATA = Path(build_units.__file__).parent / "data"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(DATA / "units-2025.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DATA / "units-2025.manifest.json").read_text("utf-8"))


def _key(r: dict[str, str]) -> str:
    return r["old_commune_code"] or "district:" + r["old_district_code"]


def test_counts_as_published_match_the_statistics_office(manifest):
    published = manifest["counts_as_published"]
    assert published["old_units"] == 10_039
    assert published["new_communes"] == 3_321
    assert published["split_old_units"] == 441
    assert published["old_provinces"] == 63 and published["new_provinces"] == 34


def test_shipped_counts_after_the_documented_corrections(rows, manifest):
    keys = {_key(r) for r in rows}
    targets = defaultdict(set)
    for r in rows:
        targets[_key(r)].add(r["new_commune_code"])
    assert len(keys) == manifest["counts"]["old_units"] == 10_041
    assert len({r["new_commune_code"] for r in rows}) == 3_321
    assert sum(1 for t in targets.values() if len(t) > 1) == 440
    assert len(manifest["corrections"]) == 6


def test_split_units_list_every_part_and_count_them(rows):
    targets = defaultdict(set)
    for r in rows:
        targets[_key(r)].add(r["new_commune_code"])
    for r in rows:
        assert int(r["parts"]) == len(targets[_key(r)])
        assert (r["change"] == "split") == (len(targets[_key(r)]) > 1)
    # Phường Ngọc Hà (Ba Đình, Hà Nội) went to Ba Đình and Ngọc Hà.
    assert targets["00016"] == {"00004", "00008"}


def test_codes_are_zero_padded_text(rows):
    for r in rows:
        assert re.fullmatch(r"\d{2}", r["old_province_code"]) and re.fullmatch(r"\d{2}", r["new_province_code"])
        assert re.fullmatch(r"\d{3}", r["old_district_code"])
        assert re.fullmatch(r"\d{5}", r["new_commune_code"])
        assert r["old_commune_code"] == "" or re.fullmatch(r"\d{5}", r["old_commune_code"])


def test_names_are_clean(rows):
    for r in rows:
        for col in ("old_province_name", "old_district_name", "old_commune_name", "new_commune_name",
                    "new_province_name", "note"):
            v = r[col]
            assert v == v.strip() and "\n" not in v and "  " not in v and not re.search(r"\(\d+\)$", v)
    assert {r["old_province_name"] for r in rows if r["old_province_code"] == "45"} == {"Tỉnh Quảng Trị"}
    assert {r["old_province_name"] for r in rows if r["old_province_code"] == "44"} == {"Tỉnh Quảng Bình"}


def test_con_co_is_in_the_old_province_quang_tri(rows):
    [con_co] = [r for r in rows if r["old_district_code"] == "471"]
    assert (con_co["old_province_code"], con_co["old_province_name"]) == ("45", "Tỉnh Quảng Trị")


def test_units_without_a_commune_are_keyed_by_district(rows):
    keyed = {r["old_district_code"]: r["new_commune_name"] for r in rows if not r["old_commune_code"]}
    assert keyed == {
        "318": "Đặc khu Bạch Long Vĩ", "376": "Xã Kim Đông", "471": "Đặc khu Cồn Cỏ",
        "498": "Đặc khu Hoàng Sa", "536": "Đặc khu Lý Sơn", "755": "Đặc khu Côn Đảo",
    }


def test_every_unit_has_one_change_class(rows):
    by_key = defaultdict(set)
    for r in rows:
        by_key[_key(r)].add(r["change"])
    assert all(len(v) == 1 for v in by_key.values())
    assert {c for v in by_key.values() for c in v} <= set(build_units.CHANGES)


def test_regenerating_gives_the_shipped_files_byte_for_byte(manifest):
    table, fresh = build_units.generate()
    assert table == (DATA / "units-2025.csv").read_bytes()
    assert build_units.render_manifest(fresh) == (DATA / "units-2025.manifest.json").read_bytes()
    assert manifest["inputs"]["raw/nso-crosswalk-old-new-2025.csv"] == (
        "21da94f59a498d03deda1f0882e71f65cd3b7c855bbd6c760ba72f6b6a94ee46")


def test_a_correction_that_no_longer_matches_the_raw_file_is_refused():
    rows = build_units.read_crosswalk((DATA / "raw" / "nso-crosswalk-old-new-2025.csv").read_text("utf-8"))
    bad = build_units.Correction(426, "old_commune_code", "99999", "00556", "test")
    with pytest.raises(ValueError, match="raw line 426"):
        build_units.apply_corrections(rows, [bad])


def test_split_code_strips_the_code_suffix():
    assert build_units.split_code(" Quận Ba Đình (001)\n") == ("Quận Ba Đình", "001")
    assert build_units.split_code("Quảng Trị (44)") == ("Quảng Trị", "44")
    assert build_units.split_code("Phường  6") == ("Phường 6", "")


def test_old_and_new_province_codes_are_separate_namespaces(rows):
    old80 = {r["old_province_name"] for r in rows if r["old_province_code"] == "80"}
    new80 = {r["new_province_name"] for r in rows if r["new_province_code"] == "80"}
    assert old80 == {"Tỉnh Long An"} and new80 == {"Tỉnh Tây Ninh"}
    assert {r["old_province_name"] for r in rows if r["old_province_code"] == "15"} == {"Tỉnh Yên Bái"}
    assert {r["new_province_name"] for r in rows if r["new_province_code"] == "15"} == {"Tỉnh Lào Cai"}


def test_every_old_district_lies_in_the_old_province_the_gso_list_gives(rows):
    with open(DATA / "raw" / "gso-communes-before-2025-07-01.csv", encoding="utf-8", newline="") as fh:
        gso = {r["Mã QH"]: r["Mã TP"] for r in csv.DictReader(fh)}
    wrong = {(r["old_district_code"], r["old_province_code"]) for r in rows
             if gso.get(r["old_district_code"], r["old_province_code"]) != r["old_province_code"]}
    assert wrong == set()


def test_raw_line_points_at_the_published_record(rows):
    lines = (DATA / "raw" / "nso-crosswalk-old-new-2025.csv").read_text("utf-8").split("\n")
    for r in rows[::500]:
        assert r["new_commune_code"] in lines[int(r["raw_line"]) - 1]
