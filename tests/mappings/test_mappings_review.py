"""Review queue files: export, import with validation, decisions applied as manual."""

from __future__ import annotations

import pytest

from mappings.review import export_review, import_decisions, load_decisions, review_row, write_decisions
from mappings.rules import Resolver, UnitRef
from migrate.core.errors import MappingError


@pytest.fixture(scope="module")
def resolver(table):
    return Resolver(table)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_applies_as_manual(table, resolver, tmp_path, suffix):
    ref = UnitRef(commune_code="00016", address="Số 1 Đội Cấn")
    decision = resolver.resolve(ref)
    row = review_row(ref, decision, table, source="hanam", record_key="42")
    assert "00004 Phường Ba Đình" in row.candidates and row.rule == "review:split-ambiguous"
    path = tmp_path / f"review{suffix}"
    assert export_review([row], path) == 1
    import csv
    if suffix == ".csv":
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        rows[0]["decision_new_commune"] = "00004"
        rows[0]["decided_by"] = "an"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    else:
        from openpyxl import load_workbook
        wb = load_workbook(path)
        header = [c.value for c in wb.active[1]]
        wb.active.cell(row=2, column=header.index("decision_new_commune") + 1, value="00004")
        wb.active.cell(row=2, column=header.index("decided_by") + 1, value="an")
        wb.save(path)
    decisions = import_decisions(path, table)
    assert [(d.ref_key, d.new_commune, d.decided_by) for d in decisions] == [(ref.key, "00004", "an")]
    saved = tmp_path / "decisions.csv"
    write_decisions(decisions, saved)
    d = Resolver(table, manual=load_decisions(saved)).resolve(ref)
    assert (d.rule, d.new_commune) == ("manual", "00004")


def test_import_names_every_bad_row_and_field(table, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ref_key,decision_new_commune\n"
                    "aaa,00004\n"
                    ",00004\n"
                    "bbb,12ab\n"
                    "ccc,99999\n"
                    "aaa,00008\n"
                    "ddd,\n", encoding="utf-8")
    with pytest.raises(MappingError) as err:
        import_decisions(path, table)
    text = str(err.value)
    assert "4 problem(s)" in text
    assert "row 3, field ref_key" in text and "row 4, field decision_new_commune" in text
    assert "row 5, field decision_new_commune: 99999 is not a new commune" in text
    assert "row 6, field decision_new_commune: 00008 contradicts 00004" in text


def test_import_refuses_a_file_that_is_not_a_review_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not a review file"):
        import_decisions(path)


def test_export_refuses_other_formats(tmp_path):
    with pytest.raises(MappingError, match=".csv or .xlsx"):
        export_review([], tmp_path / "x.json")
