"""UnitTable: the shipped table, indexed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mappings import units as units_module
from migrate.core.errors import MappingError
from mappings.units import UnitTable

SHIPPED = Path(units_module.__file__).parent / "data" / "units-2025.csv"


def test_load_reads_the_shipped_table_with_version_and_hash(table):
    assert table.version == "nso-2025-07"
    assert table.sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert len(table.old_communes()) == 10_041
    assert len(table.new_communes()) == 3_321
    assert len(table.old_provinces()) == 63 and len(table.new_provinces()) == 34


def test_every_new_commune_is_reachable_from_an_old_unit(table):
    reached = {p.new.code for o in table.old_communes() for p in table.parts(o.commune_code)}
    reached |= {p.new.code for d in ("318", "376", "471", "498", "536", "755")
                for p in table.district_keyed_parts(d)}
    assert reached == {n.code for n in table.new_communes()}


def test_parts_of_a_whole_and_a_split_commune(table):
    [part] = table.parts("00001")
    assert (part.old.commune_name, part.new.code, part.new.name, part.change) == (
        "Phường Phúc Xá", "00097", "Phường Hồng Hà", "whole")
    assert sorted(p.new.code for p in table.parts("00016")) == ["00004", "00008"]
    assert {p.change for p in table.parts("00016")} == {"split"}


def test_unknown_and_empty_codes_give_nothing(table):
    assert table.parts("99999") == [] and table.parts("") == []
    assert table.old_commune("99999") is None and table.new_commune("99999") is None


def test_district_lookups(table):
    [cd] = table.district_keyed_parts("755")
    assert (cd.old.province_code, cd.new.code, cd.new.province_code) == ("77", "26732", "79")
    kim_son = table.district_parts("376")
    assert any(p.old.commune_code == "" for p in kim_son) and len(kim_son) > 20


def test_new_communes_filter_by_province(table):
    hanoi = table.new_communes("01")
    assert len(hanoi) == 126 and all(n.province_code == "01" for n in hanoi)
    assert all(o.province_code == "35" for o in table.old_communes("35"))


def test_a_table_without_the_required_columns_is_refused(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("old_commune_code,new_commune_code\n00001,00097\n", encoding="utf-8")
    with pytest.raises(MappingError, match="lacks columns"):
        UnitTable.load(bad)


def test_load_from_a_path_without_manifest_is_custom(tmp_path):
    copy = tmp_path / "units.csv"
    copy.write_bytes(SHIPPED.read_bytes())
    assert UnitTable.load(copy).version == "custom"
