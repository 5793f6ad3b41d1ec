"""Resolver rules: each case named after the rule it exercises."""

from __future__ import annotations

import pytest

from mappings.rules import Decision, ManualDecision, Resolver, UnitRef


@pytest.fixture(scope="module")
def resolver(table) -> Resolver:
    return Resolver(table)


@pytest.mark.parametrize("code, rule, new", [
    ("00001", "official:whole", "00097"),
    ("1", "official:whole", "00097"),           # zero padding lost in a numeric column
    ("00001.0", "official:whole", "00097"),     # read through a spreadsheet
])
def test_official_exact_code(resolver, code, rule, new):
    d = resolver.resolve(UnitRef(commune_code=code))
    assert (d.rule, d.new_commune, d.new_province, d.resolved) == (rule, new, "01", True)
    assert "Phường Phúc Xá" in d.detail and "Phường Hồng Hà" in d.detail


def test_official_kept(resolver, table):
    kept = next(o for o in table.old_communes() if table.parts(o.commune_code)
                and table.parts(o.commune_code)[0].change == "kept")
    d = resolver.resolve(UnitRef(commune_code=kept.commune_code))
    assert d.rule == "official:kept" and d.resolved


@pytest.mark.parametrize("ref, rule", [
    (UnitRef(), "review:empty"),
    (UnitRef(commune_code="   ", address=""), "review:empty"),
    (UnitRef(commune_code="abc"), "review:malformed-code"),
    (UnitRef(commune_code="1234567"), "review:malformed-code"),
])
def test_bad_input_goes_to_review_with_a_reason(resolver, ref, rule):
    d = resolver.resolve(ref)
    assert not d.resolved and d.rule == rule and d.detail


def test_split_without_rules_is_never_guessed(resolver):
    d = resolver.resolve(UnitRef(commune_code="00016"))
    assert d.rule == "review:split-ambiguous" and d.new_commune is None
    assert set(d.candidates) == {"00004", "00008"}


def test_manual_decision_applies_and_is_recorded_as_manual(table):
    ref = UnitRef(commune_code="00016")
    r = Resolver(table, manual=[ManualDecision(ref.key, "00008", decided_by="reviewer-1")])
    d = r.resolve(ref)
    assert (d.rule, d.new_commune, d.new_province) == ("manual", "00008", "01")
    assert "reviewer-1" in d.detail


def test_manual_decision_naming_no_new_commune_is_reported(table):
    ref = UnitRef(commune_code="00016")
    d = Resolver(table, manual=[ManualDecision(ref.key, "99999")]).resolve(ref)
    assert d.rule == "review:manual-invalid" and not d.resolved


def test_decision_is_cached_per_distinct_reference(resolver):
    ref = UnitRef(commune_code="00004")
    assert resolver.resolve(ref) is resolver.resolve(UnitRef(commune_code="00004"))
    assert isinstance(resolver.resolve(ref), Decision)
