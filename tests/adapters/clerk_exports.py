"""A folder of exports as a district's clerks saved them, with its profile and ground truth.

``HoSo.xlsx`` (written with openpyxl): two yearly sheets and a notes sheet; on each yearly
sheet a merged title, a second title row and a blank row above the header (row 4), the
columns in another order on the second sheet, a commune merged over two dossiers, a blank
row between dossiers, a totals row ("Tổng cộng" merged over three cells, "Cộng:"), and
formatted empty rows after the data. ``TaiKhoan.csv``: a title line, the header on row 2,
a blank line, a "Tổng cộng" line and blank lines at the end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HEADER = ["Id", "SoHoSo", "NguoiNop", "MaTinh", "MaHuyen", "MaXa", "NgayNop"]

PROFILE = """
[source]
name = "kimbang-exports"
engine = "files"
url_env = "HOPNHAT_SOURCE_KIMBANG_URL"
old_province = "35"

[export.HoSo]
header_row = 4
sheets = ["2023", "2024"]
merged = "fill"

[export.TaiKhoan]
header_row = 2

[entity.account]
table = "TaiKhoan"
key = ["Id"]
constants = {{ kind = "citizen" }}
columns = {{ full_name = "HoTen", id_number = "SoCCCD", province_code = "MaTinh", district_code = "MaHuyen", commune_code = "MaXa" }}

[entity.dossier]
table = "HoSo"
key = ["Id"]
[entity.dossier.columns]
dossier_no = "SoHoSo"
applicant_name = "NguoiNop"
province_code = "MaTinh"
district_code = "MaHuyen"
commune_code = "MaXa"
submitted_at = "NgayNop"
{extra}
"""

BLANK = "exclude:blank row in the export"
# (part, source key) -> (outcome, field or rule, values the store holds)
TRUTH = {
    ("account", "1"): ("loaded", None, {"full_name": "Nguyễn Văn An", "id_number": "035090000001"}),
    ("account", "2"): ("loaded", None, {"full_name": "Trần Thị Bình", "id_number": "035090000002"}),
    ("account", "3"): ("loaded", None, {"full_name": "Lê Văn Cường", "id_number": "035090000003"}),
    ("account", "~line 5"): ("excluded", BLANK, {}),
    ("account", "~line 7"): ("excluded", "exclude:totals row 'Tổng cộng' in the export", {}),
    ("dossier", "1"): ("loaded", None, {"dossier_no": "HS-2023-1", "new_commune_code": "13291"}),
    # 13327 (Xã Mộc Hoàn) went whole into Phường Duy Tân (13330) in the official table
    ("dossier", "2"): ("loaded", None, {"dossier_no": "HS-2023-2", "new_commune_code": "13330"}),
    ("dossier", "3"): ("loaded", None, {"dossier_no": "HS-2023-3", "new_commune_code": "13330"}),  # merged
    ("dossier", "4"): ("loaded", None, {"dossier_no": "HS-2023-4", "applicant_name": "Phạm Thị Dung"}),
    ("dossier", "5"): ("loaded", None, {"dossier_no": "HS-2024-1", "new_commune_code": "13291",
                                        "applicant_name": "Đỗ Văn Em"}),   # second sheet, columns reordered
    ("dossier", "6"): ("loaded", None, {"dossier_no": "HS-2024-2", "new_commune_code": "13291"}),
    ("dossier", "~2023!8"): ("excluded", BLANK, {}),
    ("dossier", "~2023!10"): ("excluded", "exclude:totals row 'Tổng cộng' in the export", {}),
    ("dossier", "~2024!7"): ("excluded", BLANK, {}),
    ("dossier", "~2024!8"): ("excluded", "exclude:totals row 'Cộng:' in the export", {}),
}


def _titles(sheet, year: int) -> None:
    sheet["A1"] = f"DANH SÁCH HỒ SƠ TIẾP NHẬN NĂM {year}"
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "Đơn vị: UBND huyện Kim Bảng, tỉnh Hà Nam"


def write_workbook(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "2023"
    _titles(first, 2023)
    first.append([])  # row 3: blank under the titles
    first.append(HEADER)  # row 4
    first.append([1, "HS-2023-1", "Nguyễn Văn An", "35", "347", "13291", dt.datetime(2023, 3, 2, 8, 30)])
    first.append([2, "HS-2023-2", "Trần Thị Bình", "35", "349", "13327", dt.datetime(2023, 3, 3)])
    first.append([3, "HS-2023-3", "Lê Văn Cường", "35", None, None, dt.datetime(2023, 3, 4)])
    first.merge_cells("E6:E7")  # one district and commune written once for two dossiers
    first.merge_cells("F6:F7")
    first.append([])  # row 8: a blank row between dossiers
    first.append([4, "HS-2023-4", "Phạm Thị Dung", "35", "347", "13291", dt.datetime(2023, 4, 1)])
    first.append(["Tổng cộng", None, None, None, None, None, 4])  # row 10
    first.merge_cells("A10:C10")
    first["A20"].number_format = "0"  # formatted, empty: the end of the sheet, no record
    second = book.create_sheet("2024")
    _titles(second, 2024)
    second.append([])
    reordered = ["Id", "NguoiNop", "SoHoSo", "MaTinh", "MaHuyen", "MaXa", "NgayNop"]
    second.append(reordered)
    second.append([5, "Đỗ Văn Em", "HS-2024-1", "35", "347", "13291", dt.datetime(2024, 1, 5)])
    second.append([6, "Hoàng Thị Gấm", "HS-2024-2", "35", "347", "13291", dt.datetime(2024, 1, 6)])
    second.append([])  # row 7
    second.append(["Cộng:", None, None, None, None, None, 2])  # row 8
    notes = book.create_sheet("Ghi chú")
    notes.append(["Lập biểu: Nguyễn Thị Hoa", "Ngày 05/01/2025"])
    book.save(path)


def write_accounts(path: Path) -> None:
    lines = [
        "DANH SÁCH CÔNG DÂN CÓ TÀI KHOẢN,,,,,",
        "Id,HoTen,SoCCCD,MaTinh,MaHuyen,MaXa",
        "1,Nguyễn Văn An,035090000001,35,347,13291",
        "2,Trần Thị Bình,035090000002,35,349,13327",
        "",
        "3,Lê Văn Cường,035090000003,35,349,13327",
        "Tổng cộng,3,,,,",
        ",,,,,",
        "",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(folder: Path, *, extra: str = "", layout: dict[str, str] | None = None) -> tuple[Path, str]:
    """Write the exports and the profile (``layout`` replaces lines of it); return (profile, source URL)."""
    exports = folder / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    write_workbook(exports / "HoSo.xlsx")
    write_accounts(exports / "TaiKhoan.csv")
    text = PROFILE.format(extra=extra)
    for old, new in (layout or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    profile = folder / "kimbang.toml"
    profile.write_text(text, encoding="utf-8")
    return profile, f"files://{exports}"
