"""The one table writer: a control character a portal's text holds never stops a workbook being written."""

from __future__ import annotations

from openpyxl import load_workbook

from migrate.core.tables import CSV_ENCODING, TableWriter, write_workbook

TEXT = "Nguyễn\x01Văn\x1fA\tB"


def test_a_workbook_says_control_characters_it_cannot_hold_and_the_csv_keeps_them(tmp_path):
    write_workbook(tmp_path / "t.xlsx", {"rows": (["name", "total"], [{"name": TEXT, "total": 2}])})
    with TableWriter(tmp_path / "w.xlsx", ["name"]) as table:
        table.write({"name": TEXT})
    with TableWriter(tmp_path / "w.csv", ["name"]) as table:
        table.write({"name": TEXT})
    for name in ("t.xlsx", "w.xlsx"):
        sheet = load_workbook(tmp_path / name).worksheets[0]
        assert sheet.cell(2, 1).value == "Nguyễn\\x01Văn\\x1fA\tB"  # visible, tab kept
    assert load_workbook(tmp_path / "t.xlsx").worksheets[0].cell(2, 2).value == 2
    assert (tmp_path / "w.csv").read_text(encoding=CSV_ENCODING).splitlines()[1] == TEXT
