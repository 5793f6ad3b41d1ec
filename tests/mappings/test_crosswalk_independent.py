"""The shipped unit table against an independent reading of the published crosswalk.

The raw file (``mappings/data/raw/nso-crosswalk-old-new-2025.csv``, SHA-256 in
``raw/PROVENANCE.md``) is parsed here with nothing but ``csv`` and a regular
expression, not with ``mappings.build_units``. Every old→new pair it gives must
be a row of ``units-2025.csv`` with the same codes and raw line, and the table may
differ from it only by the six corrections listed below, each one documented in
``crosswalk-corrections.csv`` with evidence this test checks against the GSO list
of communes before 1 July 2025.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "mappings" / "data"
RAW = DATA / "raw" / "nso-crosswalk-old-new-2025.csv"
GSO = DATA / "raw" / "gso-communes-before-2025-07-01.csv"
CODE = re.compile(r"\((\d+)\)\s*$")

# (raw line, field, as published, as shipped): the only differences allowed between the two readings.
CORRECTIONS = {
    (426, "old_commune_code", "00553", "00556"),     # Xã Đặng Xá (Gia Lâm) printed with Xã Cổ Bi's code
    (912, "old_commune_code", "01615", "01651"),     # Xã Mỹ Hưng (Quảng Hòa) printed with Xã Hồng Quang's code
    (1260, "old_commune_code", "02485", "02482"),    # Xã Phú Thịnh (Yên Sơn) printed with Xã Công Đa's code
    (6212, "old_province_code", "44", "45"),         # Huyện Cồn Cỏ was in Quảng Trị (45), not Quảng Bình (44)
    (9532, "old_province_code", "82", "80"),         # Thành phố Tân An was in Long An (80), not Tiền Giang (82)
    (10652, "old_province_code", "89", "91"),        # Thành phố Hà Tiên was in Kiên Giang (91), not An Giang (89)
}


@dataclass(frozen=True)
class Pair:
    """One published (new commune, old unit) row."""

    raw_line: int
    new_province_code: str
    new_commune_code: str
    new_commune_name: str
    old_commune_code: str       # '' for the units keyed by their district (island districts, Kim Sơn's area)
    old_commune_name: str
    old_district_code: str
    old_province_code: str

    @property
    def old_key(self) -> str:
        return self.old_commune_code or f"district:{self.old_district_code}"


def _code(cell: str, width: int) -> str:
    found = CODE.search(cell)
    assert found, f"no ({width}-digit) code in {cell!r}"
    assert len(found.group(1)) == width, cell
    return found.group(1)


def _name(cell: str) -> str:
    return " ".join(unicodedata.normalize("NFC", cell).split())


def read_published() -> list[Pair]:
    """Every pair of the raw crosswalk; the two title rows and the 34 province header rows are not pairs."""
    pairs, headers = [], 0
    with RAW.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader)[0].startswith("Đơn vị hành chính từ ngày 01/7/2025")
        assert next(reader)[:6] == ["Tỉnh, thành phố", "Tên Xã mới", "Mã Xã mới", "Tên Xã cũ", "Mã Xã cũ", "Ghi chú"]
        ended = reader.line_num
        for cells in reader:
            start, ended = ended + 1, reader.line_num      # a record may hold a line break inside a name
            if not any(c.strip() for c in cells[1:]):
                headers += 1
                continue
            new_province, new_name, new_code, old_name, old_code, _note, district, old_province = cells[:8]
            assert re.fullmatch(r"\d{5}", new_code.strip()), (start, new_code)
            assert old_code.strip() == "" or re.fullmatch(r"\d{5}", old_code.strip()), (start, old_code)
            pairs.append(Pair(start, _code(new_province, 2), new_code.strip(), _name(new_name), old_code.strip(),
                              _name(old_name), _code(district, 3), _code(old_province, 2)))
    assert headers == 34
    return pairs


def read_shipped() -> list[Pair]:
    with (DATA / "units-2025.csv").open(encoding="utf-8", newline="") as fh:
        return [Pair(int(r["raw_line"]), r["new_province_code"], r["new_commune_code"], r["new_commune_name"],
                     r["old_commune_code"], r["old_commune_name"], r["old_district_code"], r["old_province_code"])
                for r in csv.DictReader(fh)]


def corrected(pair: Pair) -> Pair:
    for line, field, published, fixed in CORRECTIONS:
        if pair.raw_line == line:
            assert getattr(pair, field) == published, (line, field)
            pair = replace(pair, **{field: fixed})
    return pair


@pytest.fixture(scope="module")
def published() -> list[Pair]:
    return read_published()


@pytest.fixture(scope="module")
def shipped() -> list[Pair]:
    return read_shipped()


def test_the_raw_file_is_the_one_the_provenance_names():
    provenance = (DATA / "raw" / "PROVENANCE.md").read_text("utf-8")
    for path in (RAW, GSO):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = next(line for line in provenance.splitlines() if line.startswith(f"| {path.name} |"))
        assert row.rstrip(" |").endswith(digest), path.name


def test_the_publication_holds_10571_pairs_of_10039_old_units(published):
    assert len(published) == 10_571
    targets = defaultdict(set)
    for p in published:
        targets[p.old_key].add(p.new_commune_code)
    assert len(targets) == 10_039
    assert sum(len(t) > 1 for t in targets.values()) == 441
    assert len({p.new_commune_code for p in published}) == 3_321
    assert len({p.new_province_code for p in published}) == 34
    assert len({p.old_province_code for p in published}) == 63
    assert sum(not p.old_commune_code for p in published) == 6


def test_every_pair_is_in_the_shipped_table_except_the_documented_corrections(published, shipped):
    def codes(p: Pair) -> tuple:
        return (p.raw_line, p.old_province_code, p.old_district_code, p.old_commune_code,
                p.new_province_code, p.new_commune_code)

    by_line = {p.raw_line: p for p in shipped}
    assert len(by_line) == len(shipped) == len(published)
    differing = set()
    for p in published:
        mine = by_line.get(p.raw_line)
        assert mine is not None, f"raw line {p.raw_line} is not in the shipped table"
        for field in ("old_province_code", "old_district_code", "old_commune_code", "new_province_code",
                      "new_commune_code"):
            if getattr(mine, field) != getattr(p, field):
                differing.add((p.raw_line, field, getattr(p, field), getattr(mine, field)))
    assert differing == CORRECTIONS
    assert sorted(codes(corrected(p)) for p in published) == sorted(codes(s) for s in shipped)


def test_names_are_the_published_names(published, shipped):
    by_line = {p.raw_line: p for p in shipped}
    for p in published:
        mine = by_line[p.raw_line]
        assert mine.new_commune_name == p.new_commune_name, p.raw_line
        if p.old_commune_code:       # the district-keyed units' old names are the district's (tested elsewhere)
            assert mine.old_commune_name == p.old_commune_name, p.raw_line


def test_after_the_corrections_10041_old_units_and_440_splits(published):
    targets = defaultdict(set)
    for p in map(corrected, published):
        targets[p.old_key].add(p.new_commune_code)
    manifest = json.loads((DATA / "units-2025.manifest.json").read_text("utf-8"))
    assert len(targets) == manifest["counts"]["old_units"] == 10_041
    assert sum(len(t) > 1 for t in targets.values()) == manifest["counts"]["split_old_units"] == 440


def test_each_correction_is_documented_with_evidence_the_gso_list_confirms(published):
    with (DATA / "crosswalk-corrections.csv").open(encoding="utf-8", newline="") as fh:
        documented = {(int(r["raw_line"]), r["field"], r["published"], r["corrected"]): r["evidence"]
                      for r in csv.DictReader(fh)}
    assert set(documented) == CORRECTIONS
    manifest = json.loads((DATA / "units-2025.manifest.json").read_text("utf-8"))
    assert {(c["raw_line"], c["field"], c["published"], c["corrected"]) for c in manifest["corrections"]} == CORRECTIONS
    with GSO.open(encoding="utf-8", newline="") as fh:
        gso = list(csv.DictReader(fh))
    commune_code = {(r["Mã QH"], _name(r["Phường Xã"])): r["Mã PX"] for r in gso}
    province_of_district = {r["Mã QH"]: r["Mã TP"] for r in gso}
    commune_name = {r["Mã PX"]: _name(r["Phường Xã"]) for r in gso}
    by_line = {p.raw_line: p for p in published}
    for (line, field, was, fixed), evidence in documented.items():
        pair = by_line[line]
        assert evidence.strip() and "GSO list" in evidence, line
        if field == "old_commune_code":
            # the row names one commune and prints another commune's code; the GSO list gives the right one
            assert commune_code[(pair.old_district_code, pair.old_commune_name)] == fixed, line
            assert commune_name[was] != pair.old_commune_name and commune_name[fixed] == pair.old_commune_name
            assert pair.old_commune_name in evidence and was in evidence and fixed in evidence
        else:
            # the row's district lies in another old province than the one printed
            assert province_of_district[pair.old_district_code] == fixed != was, line
            assert pair.old_district_code in evidence and fixed in evidence


def test_the_readme_names_the_corrections():
    readme = (DATA.parents[1] / "README.md").read_text("utf-8")
    assert "crosswalk-corrections.csv" in readme
    assert "reuses three old commune codes" in readme and "wrong old province on three rows" in readme
