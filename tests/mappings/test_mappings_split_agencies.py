"""Split rules (rule-list, address) and agency/procedure remaps, validated."""

from __future__ import annotations

import pytest

from mappings.agencies import RemapTable, parse_remaps
from mappings.rules import Resolver, UnitRef
from mappings.split_rules import SplitRules, parse_rules
from migrate.core.errors import MappingError

RULES = """old_commune_code,new_commune_code,kind,value,source
00022,00004,street,Phố Đội Cấn,test
00022,00008,hamlet,Tổ dân phố 12,test
00022,00008,default,,province choice
"""


@pytest.fixture(scope="module")
def rules(table) -> SplitRules:
    return SplitRules.of(parse_rules(RULES, table, source="rules.csv"))


@pytest.mark.parametrize("ref, rule, new", [
    pytest.param(UnitRef(commune_code="00022", address="Số 5 phố Đội Cấn"), "split:rule-list", "00004",
                 id="split:rule-list-street"),
    pytest.param(UnitRef(commune_code="00022", address="Tổ dân phố 12, phường Đội Cấn"), "split:rule-list", "00008",
                 id="split:rule-list-hamlet"),
    pytest.param(UnitRef(commune_code="00022", address="to dan pho 12"), "split:rule-list", "00008",
                 id="split:rule-list-no-diacritics"),
    pytest.param(UnitRef(commune_code="00022", address="ngõ 3 phố Đội Cấnn"), "split:address", "00004",
                 id="split:address-fuzzy"),
    pytest.param(UnitRef(commune_code="00022", address="Khu tập thể X"), "review:split-ambiguous", None,
                 id="review:split-no-rule-matches"),
])
def test_split_rules(table, rules, ref, rule, new):
    d = Resolver(table, split_rules=rules).resolve(ref)
    assert (d.rule, d.new_commune) == (rule, new), d.detail


def test_policy_default_part_is_explicit_and_marked(table, rules):
    ref = UnitRef(commune_code="00022", address="Khu tập thể X")
    assert Resolver(table, split_rules=rules).resolve(ref).rule == "review:split-ambiguous"
    d = Resolver(table, split_rules=rules, default_part_policy=True).resolve(ref)
    assert (d.rule, d.new_commune) == ("policy:default-part", "00008")
    assert "policy" in d.detail and "not by the official table" in d.detail
    d = Resolver(table, default_part_policy={"00016": "00004"}).resolve(UnitRef(commune_code="00016"))
    assert (d.rule, d.new_commune) == ("policy:default-part", "00004")


def test_default_part_outside_the_parts_is_refused(table):
    with pytest.raises(MappingError, match="00016→00097"):
        Resolver(table, default_part_policy={"00016": "00097"})


def test_split_rule_validation_names_row_and_field(table):
    bad = ("old_commune_code,new_commune_code,kind,value\n"
           "00001,00097,street,X\n"        # not split
           "00022,00097,street,X\n"        # not a part
           "00022,00004,lane,X\n"          # bad kind
           "00022,00004,street,\n"         # empty value
           "99999,00004,street,X\n")       # unknown
    with pytest.raises(MappingError) as err:
        parse_rules(bad, table, source="r.csv")
    text = str(err.value)
    for expected in ("r.csv row 2, field old_commune_code: 00001 was not split",
                     "row 3, field new_commune_code: 00097 is not one of the parts",
                     "row 4, field kind", "row 5, field value", "row 6, field old_commune_code: 99999"):
        assert expected in text


REMAPS = """kind,source_code,source_name,target_code,target_name,target_level,note
agency,000.00.21.H40,UBND huyện Ý Yên,@commune,,commune,
agency,000.00.21.H40.TP,Phòng Tư pháp huyện Ý Yên,000.00.11.H40,Sở Tư pháp,province,
procedure,1.001612,Đăng ký khai sinh,1.001193,Đăng ký khai sinh,commune,
procedure,2.000001,Thủ tục bãi bỏ,,,retired,
"""


def test_agency_remaps_fill_in_the_record_commune_and_report_unmapped():
    table = RemapTable.of(parse_remaps(REMAPS, source="ninhbinh.csv"))
    assert table.target("agency", "000.00.21.H40", new_commune="13795") == "13795"
    assert table.target("agency", "000.00.21.H40.TP") == "000.00.11.H40"
    report = table.check("agency", ["000.00.21.H40", "000.00.21.H40.TP", "000.00.22.H40", ""])
    assert report.mapped == ("000.00.21.H40", "000.00.21.H40.TP") and report.unmapped == ("000.00.22.H40",)
    assert not report.complete and "1 unmapped: 000.00.22.H40" in report.summary()
    assert table.check("procedure", ["1.001612", "2.000001"]).complete


def test_agency_remap_validation_names_row_and_field():
    bad = ("kind,source_code,target_code,target_level\n"
           "office,A,B,province\n"
           "agency,,B,province\n"
           "agency,C,,province\n"
           "agency,D,@commune,province\n"
           "agency,E,B,district\n"
           "agency,F,B,province\n"
           "agency,F,G,province\n")
    with pytest.raises(MappingError) as err:
        parse_remaps(bad, source="a.csv")
    text = str(err.value)
    for expected in ("a.csv row 2, field kind", "row 3, field source_code: empty", "row 4, field target_code",
                     "row 5, field target_level", "row 6, field target_level", "row 8, field source_code: F already"):
        assert expected in text
