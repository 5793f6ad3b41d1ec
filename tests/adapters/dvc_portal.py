"""A DVC v2 public-service portal from its published SQL Server DDL, with generated rows and their ground truth.

The tables are created from ``fixtures/dvc_v2/tables.sql`` (provenance in its header), translated from
T-SQL per engine (``translate``): on PostgreSQL they live in the schemas ``identity``, ``lookup``,
``tthc``, ``organization``, ``case`` and ``document`` (``case`` a reserved word); on SQLite, one file,
without them, and a DATETIME2 or DATE column keeps the text a clerk typed.
The rows hold the cases of real portals: citizens and businesses in one table told apart by
``LoaiDangKy`` (1, 2; a 3 no account kind matches) and staff in another; a citizen registered twice
with the same CCCD (merged; a dossier naming the second registration is the first's); a member of staff
soft-deleted by a ``DeletedAt`` date; SQL Server's 1900-01-01 for "no date"; dates typed as dd/mm/yyyy and
DATETIME2 text with seven fraction digits; a dossier's holder in a joined table with several rows when
corrected (the latest wins), none, or no account (walk-in, by id number); a unit id pointing at a
district row instead of a commune; unnumbered dossiers and one numbered by the national portal only;
agency and step codes in mixed case; soft-deleted dossiers and files (BIT IsDeleted); file sizes in
MB; a component replaced by data (FileID '', no file); and 40 ordinary generated dossiers over the
four accounts, dates written three ways, every fifth holder corrected, every seventh file soft-deleted.
The profile (``PROFILE``) is data only: the portal is migrated with no code written for it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

from sqlalchemy import MetaData, create_engine, insert, text
from sqlalchemy.engine import make_url

DDL = Path(__file__).parent / "fixtures" / "dvc_v2" / "tables.sql"
MB = 1024 * 1024
_TYPES = {  # T-SQL type -> the engine's
    "sqlite": [(r"NVARCHAR\(MAX\)", "TEXT"), (r"NVARCHAR\((\d+)\)", r"VARCHAR(\1)"), (r"\bDATETIME2\b", "DATETIME"),
               (r"\bBIT\b", "BOOLEAN"), (r"\bTINYINT\b", "SMALLINT"), (r"\bUNIQUEIDENTIFIER\b", "VARCHAR(36)")],
    "postgresql": [(r"NVARCHAR\(MAX\)", "TEXT"), (r"NVARCHAR\((\d+)\)", r"VARCHAR(\1)"),
                   (r"\bDATETIME2\b", "TIMESTAMP"), (r"\bBIT\b", "BOOLEAN"), (r"\bTINYINT\b", "SMALLINT"),
                   (r"\bUNIQUEIDENTIFIER\b", "UUID")],
}
_DEFAULT = re.compile(r"\s+DEFAULT\s+(\w+\(\)|N?'[^']*'|-?\d+(\.\d+)?)")


def translate(backend: str) -> list[tuple[str | None, str, str]]:
    """(schema, table, CREATE TABLE statement) for each published statement, in the engine's dialect."""
    out = []
    source = DDL.read_text(encoding="utf-8")
    for name, body in re.findall(r"^CREATE TABLE (\S+) \((.*?)\n\);", source, re.S | re.M):
        schema, table = name.replace("[", "").replace("]", "").split(".")
        columns = []
        for line in body.splitlines():
            line = line.split("--", 1)[0].strip().rstrip(",")
            if not line or line.startswith(("CONSTRAINT", "FOREIGN KEY")) or "PERSISTED" in line:
                continue
            line = _DEFAULT.sub("", line.replace(" IDENTITY", ""))
            for pattern, replacement in _TYPES[backend]:
                line = re.sub(pattern, replacement, line)
            columns.append(line)
        target = f'"{schema}".{table}' if backend == "postgresql" else table
        out.append((schema if backend == "postgresql" else None, table,
                    f"CREATE TABLE {target} (\n    " + ",\n    ".join(columns) + "\n)"))
    return out


# --- the rows -----------------------------------------------------------------------------------------

UNITS = [  # [lookup].DM_TCTK_DONVIHANHCHINH: ID, code, name, parent code, province, Level
    dict(ID=1, MaDonViHanhChinh="35", TenDonViHanhChinh="Tỉnh Hà Nam", MaTinhThanh="35", Level=2),
    dict(ID=2, MaDonViHanhChinh="347", TenDonViHanhChinh="Thành phố Phủ Lý", MaDonViHanhChinhCha="35",
         MaTinhThanh="35", Level=3),
    dict(ID=3, MaDonViHanhChinh="349", TenDonViHanhChinh="Thị xã Duy Tiên", MaDonViHanhChinhCha="35",
         MaTinhThanh="35", Level=3),
    dict(ID=4, MaDonViHanhChinh="13291", TenDonViHanhChinh="Phường Lê Hồng Phong", MaDonViHanhChinhCha="347",
         MaTinhThanh="35", Level=4),
    dict(ID=5, MaDonViHanhChinh="13327", TenDonViHanhChinh="Xã Mộc Hoàn", MaDonViHanhChinhCha="349",
         MaTinhThanh="35", Level=4),
]
PROCEDURES = [dict(ID=1, MaTTHC="1.001193", TenTTHC="Đăng ký khai sinh"),
              dict(ID=2, MaTTHC="2.001610", TenTTHC="Đăng ký thành lập hộ kinh doanh")]
AGENCIES = [dict(DonViID=1, MaDonVi="000.00.12.h35", TenDonVi="UBND Phường Lê Hồng Phong", CapDonVi=4, TenantID=1),
            dict(DonViID=2, MaDonVi="000.00.31.H35", TenDonVi="UBND Xã Mộc Hoàn", CapDonVi=4, TenantID=1)]


def _person(pid: int, kind: int, name: str, number: str, dob: str | None, ward: int, **extra) -> dict:
    return dict(ThongTinCongDanID=pid, TechID=str(uuid.UUID(int=pid)), LoaiDangKy=kind, TenDayDu=name,
                SoGiayTo=number, DoB=dob, ThuongTruPhuongXaID=ward, CreatedAt="2023-01-10 08:00:00", **extra)


PEOPLE = [  # [identity].CONGDANDOANHNGHIEP
    _person(1, 1, "Nguyễn Thị Lan", "035190000101", "15/06/1990", 4),
    _person(2, 1, "Trần Văn Minh", "035190000102", "1900-01-01", 5),        # SQL Server's zero date
    _person(3, 2, "Công ty CP Sông Đáy", "0700111222", None, 4),
    _person(4, 2, "HTX Nông nghiệp Mộc Hoàn", "0700333444", None, 5),
    _person(5, 1, "Lê Thị Nga", "12345", "1991-01-02", 4),                    # no CCCD/CMND: quarantined
    _person(6, 1, "Phạm Văn Hùng", "035190000106", "không rõ", 4),           # garbage in a DATE column
    _person(7, 3, "Hội Nông dân xã", "0700555666", None, 5),                  # a kind no account has
    _person(8, 1, "Nguyễn Thị Lan", "035190000101", "1990-06-15", 4),         # registered again: merged
]
STAFF = [  # [identity].USER_PROFILE
    dict(UserID=1, TenantID=1, Username="cb.lehongphong", Email="quy@lehongphong.hanam.gov.vn",
         PasswordHash="$2b$12$abcdefghijklmnopqrstuv", PasswordSalt="-", HoVaTen="Phan Văn Quý",
         CCCD="035085000201", Ngaysinh="1985-02-03", IsActive=1),
    dict(UserID=2, TenantID=1, Username="cb.mochoan", Email="yen@mochoan.hanam.gov.vn",
         PasswordHash="$2b$12$zyxwvutsrqponmlkjihgfe", PasswordSalt="-", HoVaTen="Đinh Thị Yến",
         CCCD="035087000202", Ngaysinh="1900-01-01", IsActive=0),             # left office: still an account
    dict(UserID=3, TenantID=1, Username="cb.tamthoi", Email="tam@mochoan.hanam.gov.vn",
         PasswordHash="$2b$12$0123456789abcdefghijkl", PasswordSalt="-", HoVaTen="Vũ Văn Tâm",
         CCCD="035089000203", Ngaysinh="1989-09-09", IsActive=0,
         DeletedAt="2024-01-15 16:30:00.0000000"),                           # soft-deleted by its date
]


def _dossier(hid: int, number: str, received: str, status: int, ward: int, **extra) -> dict:
    row = dict(HoSoID=hid, MaHoSo=number, TTHCID=1, TenantID=1, KenhNop=1, DonViNhanID=1,
               PhuongXaNguoiNopID=ward, NgayNhan=received, TinhTrangID=1, TrangThaiXuLy=status, IsDeleted=0,
               CreatedAt=received)
    row.update(extra)
    return row


def _holder(nid: int, hid: int, account: str | None, name: str, number: str | None, created: str) -> dict:
    return dict(NguoiDungTenHoSoID=nid, HoSoID=hid, LoaiDoiTuong=1, MaDoiTuong=account, Ten=name,
                SoGiayTo=number, CreatedAt=created)


DOSSIERS = [  # [case].HOSO
    _dossier(1, "000.00.12.H35-240302-0001", "02/03/2024 08:15", 3, 4, NgayHoanTat="05/03/2024 10:00"),
    _dossier(2, "000.00.12.H35-240304-0002", "2024-03-04 09:30:00.0000000", 2, 5, TTHCID=2, DonViNhanID=2),
    _dossier(3, "", "1900-01-01 00:00:00", 1, 5),                              # online, not received: no number
    _dossier(4, " ", "2024-03-05 14:00:00", 2, 4, MaDongBoDVCQG="G22.98-240305-0004"),  # national number only
    _dossier(5, "000.00.12.H35-240306-0005", "2024-03-06 08:00:00", 3, 4),    # walk-in holder
    _dossier(6, "000.00.12.H35-240306-0006", "2024-03-06 09:00:00", 3, 4),    # holder names no account
    _dossier(7, "000.00.12.H35-240306-0007", "2024-03-06 10:00:00", 3, 4, IsDeleted=1),   # soft-deleted
    _dossier(8, "000.00.12.H35-240307-0008", "2024-03-07 08:00:00", 2, 5),    # holder corrected: latest
    _dossier(9, "000.00.12.H35-240307-0009", "2024-03-07 09:00:00", 2, 2),    # a district, not a commune
    _dossier(10, "000.00.12.H35-240307-0010", "2024-03-07 10:00:00", 2, 4, NgayHenTra="31/02/2024"),
    _dossier(11, "000.00.12.H35-240308-0011", "2024-03-08 08:00:00", 5, 5, KenhNop=2),   # cancelled
    _dossier(12, "000.00.12.H35-240308-0012", "2024-03-08 09:00:00", 1, 4),   # no holder row at all
    _dossier(13, "000.00.12.H35-240308-0013", "2024-03-08 10:00:00", 3, 4),   # holder: the second registration
]
HOLDERS = [  # [case].NGUOIDUNGTENHOSO
    _holder(1, 1, "1", "Nguyễn Thị Lan", "035190000101", "2024-03-02 08:15:00"),
    _holder(2, 2, "3", "Công ty CP Sông Đáy", "0700111222", "2024-03-04 09:30:00"),
    _holder(3, 3, "2", "Trần Văn Minh", "035190000102", "2024-03-05 07:00:00"),
    _holder(4, 4, "4", "HTX Nông nghiệp Mộc Hoàn", "0700333444", "2024-03-05 14:00:00"),
    _holder(5, 5, None, "Khách vãng lai", "035190000999", "2024-03-06 08:00:00"),
    _holder(6, 6, "99", "Không có tài khoản", "035190000998", "2024-03-06 09:00:00"),
    _holder(7, 7, "1", "Nguyễn Thị Lan", "035190000101", "2024-03-06 10:00:00"),
    _holder(8, 8, "1", "Nguyễn Thị Lan", "035190000101", "2024-03-07 08:00:00"),   # entered wrong ...
    _holder(9, 8, "2", "Trần Văn Minh", "035190000102", "2024-03-07 11:00:00"),    # ... corrected later
    _holder(10, 9, "1", "Nguyễn Thị Lan", "035190000101", "2024-03-07 09:00:00"),
    _holder(11, 10, "2", "Trần Văn Minh", "035190000102", "2024-03-07 10:00:00"),
    _holder(12, 11, "4", "HTX Nông nghiệp Mộc Hoàn", "0700333444", "2024-03-08 08:00:00"),
    _holder(13, 13, "8", "Nguyễn Thị Lan", "035190000101", "2024-03-08 10:00:00"),
]
FILES = [  # [document].FILEKEMTHEOHOSO
    dict(FileDinhKemHoSoID=1, HoSoID=1, MaHoSoKemTheo="TK01", FileID="2024/03/0f1e2d.pdf", FileName="to-khai.pdf",
         DungLuongMB="0.5", IsDeleted=0),
    dict(FileDinhKemHoSoID=2, HoSoID=1, MaHoSoKemTheo="GKS", FileID="", FileName="Giấy khai sinh (dữ liệu)",
         DungLuongMB="0", IsDeleted=0),                    # a component replaced by data: no file
    dict(FileDinhKemHoSoID=3, HoSoID=2, MaHoSoKemTheo="DN01", FileID="2024/03/3c4b5a.pdf",
         FileName="giay-de-nghi.pdf", DungLuongMB="1.25", IsDeleted=0),
    dict(FileDinhKemHoSoID=4, HoSoID=2, MaHoSoKemTheo="DN01", FileID="2024/03/3c4b59.pdf",
         FileName="giay-de-nghi-cu.pdf", DungLuongMB="1.2", IsDeleted=1),     # soft-deleted
    dict(FileDinhKemHoSoID=5, HoSoID=6, MaHoSoKemTheo="TK01", FileID="2024/03/6a6a6a.pdf", FileName="to-khai.pdf",
         DungLuongMB="0.1", IsDeleted=0),                  # its dossier is quarantined
]
STEPS = [  # [case].QUATRINHXULY
    dict(QuaTrinhXuLyID=1, HoSoID=1, BuocXuLy="1", MaBuocXuLy="TIEPNHAN", TenBuocXuLy="Tiếp nhận hồ sơ",
         TenNguoiXuLy="Phan Văn Quý", NgayBatDau="02/03/2024 08:15"),
    dict(QuaTrinhXuLyID=2, HoSoID=1, BuocXuLy="2", MaBuocXuLy="TraKetQua", TenBuocXuLy="Trả kết quả",
         TenNguoiXuLy="Phan Văn Quý", NgayBatDau="2024-03-05 10:00:00.0000000"),
    dict(QuaTrinhXuLyID=3, HoSoID=2, BuocXuLy="1", MaBuocXuLy=" tiepnhan", TenBuocXuLy="Tiếp nhận hồ sơ",
         TenNguoiXuLy="Đinh Thị Yến", NgayBatDau="1900-01-01"),
]
# What each record must become: (part, key) -> outcome, field or rule, values. New communes from the
# official table: 13291 (Phường Lê Hồng Phong) -> 13291 Phường Phù Vân, 13327 (Xã Mộc Hoàn) -> 13330 Phường Duy Tân.
# Ordinary traffic, generated: dossiers 101..140 of the four accounts, each date written one of three
# ways, every fifth holder entered wrong and corrected later, one file each (every seventh soft-deleted).
HOLDERS_OF = {1: ("Nguyễn Thị Lan", "035190000101"), 2: ("Trần Văn Minh", "035190000102"),
              3: ("Công ty CP Sông Đáy", "0700111222"), 4: ("HTX Nông nghiệp Mộc Hoàn", "0700333444")}
KIND_OF = {1: "citizen", 2: "citizen", 3: "business", 4: "business"}
WARDS = {4: "13291", 5: "13330"}  # unit id -> new commune (official table)
STATUS = {1: "submitted", 2: "processing", 3: "returned", 4: "rejected", 5: "cancelled"}
GENERATED = range(101, 141)


def _when(n: int) -> tuple[str, str]:
    """(as the portal holds it, ISO) for the n-th generated dossier."""
    day, hour = 1 + n % 28, 7 + n % 10
    written = (f"{day:02d}/04/2024 {hour:02d}:05", f"2024-04-{day:02d} {hour:02d}:05:00.0000000",
               f"2024-04-{day:02d} {hour:02d}:05:00")[n % 3]
    return written, f"2024-04-{day:02d}T{hour:02d}:05"


for n in GENERATED:
    account, ward = 1 + n % 4, 4 + n % 2
    written, _ = _when(n)
    DOSSIERS.append(_dossier(n, f"000.00.12.H35-2404{n:02d}-{n:04d}", written, 1 + n % 5, ward))
    if n % 5 == 0:  # entered under the wrong account first
        wrong = 1 + (n + 1) % 4
        HOLDERS.append(_holder(1000 + n, n, str(wrong), HOLDERS_OF[wrong][0], HOLDERS_OF[wrong][1],
                               "2024-04-01 00:00:00"))
    HOLDERS.append(_holder(n, n, str(account), *HOLDERS_OF[account], "2024-04-02 00:00:00"))
    FILES.append(dict(FileDinhKemHoSoID=n, HoSoID=n, MaHoSoKemTheo="TK01", FileID=f"2024/04/{n:06x}.pdf",
                      FileName=f"to-khai-{n}.pdf", DungLuongMB="0.25", IsDeleted=int(n % 7 == 0)))

LAN = ("citizen", "Nguyễn Thị Lan")
MINH = ("citizen", "Trần Văn Minh")
TRUTH = {
    ("account", "1"): ("loaded", None, {"kind": "citizen", "id_number": "035190000101", "tax_code": None,
                                        "birth_date": "1990-06-15", "new_commune_code": "13291"}),
    ("account", "2"): ("loaded", None, {"kind": "citizen", "birth_date": None, "new_commune_code": "13330"}),
    ("account", "3"): ("loaded", None, {"kind": "business", "tax_code": "0700111222", "id_number": None}),
    ("account", "4"): ("loaded", None, {"kind": "business", "tax_code": "0700333444", "new_commune_code": "13330"}),
    ("account", "5"): ("quarantined", "id_number", {}),
    ("account", "6"): ("quarantined", "birth_date", {}),
    ("account", "7"): ("quarantined", "kind", {}),
    ("account", "8"): ("merged", "merge:cccd", {}),
    ("account.staff", "1"): ("loaded", None, {"kind": "staff", "id_number": "035085000201",
                                              "birth_date": "1985-02-03", "new_commune_code": None}),
    ("account.staff", "2"): ("loaded", None, {"kind": "staff", "birth_date": None, "new_commune_code": None}),
    ("account.staff", "3"): ("excluded", "exclude:soft-deleted", {}),
    ("dossier", "1"): ("loaded", None, {"dossier_no": "000.00.12.H35-240302-0001", "owner": LAN, "status": "returned",
                                        "agency_code": "000.00.12.H35", "procedure_code": "1.001193",
                                        "received_at": "2024-03-02T08:15", "finished_at": "2024-03-05T10:00",
                                        "new_commune_code": "13291"}),
    ("dossier", "2"): ("loaded", None, {"owner": ("business", "Công ty CP Sông Đáy"), "status": "processing",
                                        "agency_code": "000.00.31.H35", "procedure_code": "2.001610",
                                        "received_at": "2024-03-04T09:30:00", "new_commune_code": "13330"}),
    ("dossier", "3"): ("loaded", None, {"dossier_no": None, "received_at": None, "status": "submitted",
                                        "owner": MINH}),
    ("dossier", "4"): ("loaded", None, {"dossier_no": "G22.98-240305-0004",
                                        "owner": ("business", "HTX Nông nghiệp Mộc Hoàn")}),
    ("dossier", "5"): ("loaded", None, {"owner": None, "applicant_id_number": "035190000999",
                                        "applicant_name": "Khách vãng lai"}),
    ("dossier", "6"): ("quarantined", "applicant_account_key", {}),
    ("dossier", "7"): ("excluded", "exclude:soft-deleted", {}),
    ("dossier", "8"): ("loaded", None, {"owner": MINH, "applicant_id_number": "035190000102"}),
    ("dossier", "9"): ("quarantined", "commune_code", {}),
    ("dossier", "10"): ("quarantined", "due_at", {}),
    ("dossier", "11"): ("loaded", None, {"status": "cancelled", "owner": ("business", "HTX Nông nghiệp Mộc Hoàn")}),
    ("dossier", "12"): ("loaded", None, {"owner": None, "applicant_name": None, "status": "submitted"}),
    ("dossier", "13"): ("loaded", None, {"owner": LAN}),   # account 8 was merged into account 1
    ("dossier_event", "1"): ("loaded", None, {"action_code": "TIEPNHAN", "occurred_at": "2024-03-02T08:15"}),
    ("dossier_event", "2"): ("loaded", None, {"action_code": "TRAKETQUA", "occurred_at": "2024-03-05T10:00:00"}),
    ("dossier_event", "3"): ("loaded", None, {"action_code": "TIEPNHAN", "occurred_at": None}),
    ("dossier_file", "1"): ("loaded", None, {"size": MB // 2, "source_path": "2024/03/0f1e2d.pdf",
                                             "file_state": "stored"}),
    ("dossier_file", "2"): ("loaded", None, {"size": None, "source_path": None, "file_state": "no-path",
                                             "file_name": "Giấy khai sinh (dữ liệu)"}),
    ("dossier_file", "3"): ("loaded", None, {"size": MB * 5 // 4, "file_state": "stored"}),
    ("dossier_file", "4"): ("excluded", "exclude:soft-deleted", {}),
    ("dossier_file", "5"): ("quarantined", "dossier_key", {}),
}
for n in GENERATED:
    account = 1 + n % 4
    TRUTH[("dossier", str(n))] = ("loaded", None, {
        "dossier_no": f"000.00.12.H35-2404{n:02d}-{n:04d}", "received_at": _when(n)[1],
        "owner": (KIND_OF[account], HOLDERS_OF[account][0]), "applicant_id_number": HOLDERS_OF[account][1],
        "status": STATUS[1 + n % 5], "new_commune_code": WARDS[4 + n % 2]})
    TRUTH[("dossier_file", str(n))] = (("excluded", "exclude:soft-deleted", {}) if n % 7 == 0 else
                                       ("loaded", None, {"size": MB // 4, "file_state": "stored"}))


def truth(backend: str) -> dict:
    """The ground truth on one engine: a PostgreSQL DATE or TIMESTAMP cannot hold 'không rõ' or 31/02/2024,
    so there those columns hold no date and the records load without it."""
    if backend == "postgresql":
        return {**TRUTH, ("account", "6"): ("loaded", None, {"kind": "citizen", "birth_date": None}),
                ("dossier", "10"): ("loaded", None, {"due_at": None, "owner": MINH})}
    return TRUTH


ROWS = [("identity", "CONGDANDOANHNGHIEP", PEOPLE), ("identity", "USER_PROFILE", STAFF),
        ("lookup", "DM_TCTK_DONVIHANHCHINH", UNITS), ("tthc", "DM_QG_THUTUCHANHCHINH", PROCEDURES),
        ("organization", "DM_DONVI", AGENCIES), ("case", "HOSO", DOSSIERS), ("case", "NGUOIDUNGTENHOSO", HOLDERS),
        ("case", "QUATRINHXULY", STEPS), ("document", "FILEKEMTHEOHOSO", FILES)]

PROFILE = """
# DVC v2 (a SQL Server public-service portal), tables as published in github.com/anhnth24/dvc-v2
# docs/db-design.md (see tests/adapters/fixtures/dvc_v2/tables.sql).
[source]
name = "dvc-{engine}"
engine = "{engine}"
url_env = "HOPNHAT_SOURCE_DVC_URL"
old_province = "35"
files_root = "minio"

[entity.account]
table = "{identity}CONGDANDOANHNGHIEP"
key = ["ThongTinCongDanID"]
nulls = {{ birth_date = ["1900-01-01"] }}
[entity.account.join."{lookup}DM_TCTK_DONVIHANHCHINH"]
on = {{ ThuongTruPhuongXaID = "ID" }}
[entity.account.columns]
kind = "LoaiDangKy"
full_name = "TenDayDu"
birth_date = "DoB"
created_at = "CreatedAt"
province_code = "{lookup}DM_TCTK_DONVIHANHCHINH.MaTinhThanh"
district_code = "{lookup}DM_TCTK_DONVIHANHCHINH.MaDonViHanhChinhCha"
commune_code = "{lookup}DM_TCTK_DONVIHANHCHINH.MaDonViHanhChinh"
[entity.account.lookups.kind]
1 = "citizen"
2 = "business"
[[entity.account.choose.id_number]]
column = "SoGiayTo"
when = {{ LoaiDangKy = [1] }}
[[entity.account.choose.tax_code]]
column = "SoGiayTo"
when = {{ LoaiDangKy = [2] }}
[entity.account.convert]
birth_date = "date"
created_at = "datetime"

[entity."account.staff"]
table = "{identity}USER_PROFILE"
key = ["UserID"]
remap = false
exclude = {{ column = "DeletedAt", present = true, reason = "soft-deleted" }}
nulls = {{ birth_date = ["1900-01-01"] }}
constants = {{ kind = "staff" }}
columns = {{ username = "Username", password_hash = "PasswordHash", full_name = "HoVaTen", id_number = "CCCD", birth_date = "Ngaysinh", email = "Email" }}
convert = {{ birth_date = "date" }}

[entity.dossier]
table = "{case}HOSO"
key = ["HoSoID"]
nulls = {{ received_at = ["1900-01-01"] }}
exclude = {{ column = "IsDeleted", values = [1], reason = "soft-deleted" }}
[entity.dossier.join."{tthc}DM_QG_THUTUCHANHCHINH"]
on = {{ TTHCID = "ID" }}
[entity.dossier.join."{organization}DM_DONVI"]
on = {{ DonViNhanID = "DonViID" }}
[entity.dossier.join."{lookup}DM_TCTK_DONVIHANHCHINH"]
on = {{ PhuongXaNguoiNopID = "ID" }}
[entity.dossier.join."{case}NGUOIDUNGTENHOSO"]
on = {{ HoSoID = "HoSoID" }}
several = "latest:CreatedAt"
[entity.dossier.columns]
dossier_no = ["MaHoSo", "MaDongBoDVCQG"]
procedure_code = "{tthc}DM_QG_THUTUCHANHCHINH.MaTTHC"
procedure_name = "{tthc}DM_QG_THUTUCHANHCHINH.TenTTHC"
agency_code = "{organization}DM_DONVI.MaDonVi"
agency_name = "{organization}DM_DONVI.TenDonVi"
applicant_account_key = "{case}NGUOIDUNGTENHOSO.MaDoiTuong"
applicant_name = "{case}NGUOIDUNGTENHOSO.Ten"
applicant_id_number = "{case}NGUOIDUNGTENHOSO.SoGiayTo"
province_code = "{lookup}DM_TCTK_DONVIHANHCHINH.MaTinhThanh"
submitted_at = "CreatedAt"
received_at = "NgayNhan"
due_at = "NgayHenTra"
finished_at = "NgayHoanTat"
status = "TrangThaiXuLy"
[[entity.dossier.choose.commune_code]]
column = "{lookup}DM_TCTK_DONVIHANHCHINH.MaDonViHanhChinh"
when = {{ "{lookup}DM_TCTK_DONVIHANHCHINH.Level" = [4] }}
[[entity.dossier.choose.district_code]]
column = "{lookup}DM_TCTK_DONVIHANHCHINH.MaDonViHanhChinh"
when = {{ "{lookup}DM_TCTK_DONVIHANHCHINH.Level" = [3] }}
[[entity.dossier.choose.district_code]]
column = "{lookup}DM_TCTK_DONVIHANHCHINH.MaDonViHanhChinhCha"
when = {{ "{lookup}DM_TCTK_DONVIHANHCHINH.Level" = [4] }}
[entity.dossier.links.applicant_account_key]
part = "account"
[entity.dossier.lookups.status]
1 = "submitted"
2 = "processing"
3 = "returned"
4 = "rejected"
5 = "cancelled"
[entity.dossier.convert]
agency_code = "upper"
submitted_at = "datetime"
received_at = "datetime"
due_at = "datetime"
finished_at = "datetime"

[entity.dossier_file]
table = "{document}FILEKEMTHEOHOSO"
key = ["FileDinhKemHoSoID"]
attachment = "optional"
nulls = {{ size = ["0"] }}
exclude = {{ column = "IsDeleted", values = [1], reason = "soft-deleted" }}
columns = {{ dossier_key = "HoSoID", file_name = "FileName", path = "FileID", size = "DungLuongMB" }}
convert = {{ size = "bytes:MB" }}

[entity.dossier_event]
table = "{case}QUATRINHXULY"
key = ["QuaTrinhXuLyID"]
nulls = {{ occurred_at = ["1900-01-01"] }}
columns = {{ dossier_key = "HoSoID", action_code = "MaBuocXuLy", action_name = "TenBuocXuLy", actor = "TenNguoiXuLy", occurred_at = "NgayBatDau" }}
convert = {{ action_code = "upper", occurred_at = "datetime" }}
"""

_DATES = ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def build(url: str, folder: Path) -> Path:
    """Create and fill the portal at ``url`` and its MinIO folder; write and return the profile."""
    backend = make_url(url).get_backend_name()
    engine = create_engine(url)
    statements = translate(backend)
    with engine.begin() as conn:
        for schema in dict.fromkeys(s for s, _, _ in statements if s):
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        for schema, table, create in statements:
            if not schema:
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(text(create))
    with engine.begin() as conn:
        for schema, table, rows in ROWS:
            columns = sorted({k for r in rows for k in r})
            rows = [{c: r.get(c) for c in columns} for r in rows]
            if backend == "sqlite":  # as stored: DATETIME2 and DATE columns keep the text, as such portals hold it
                conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                  f"({', '.join(':' + c for c in columns)})"),
                             rows)
            else:
                meta = MetaData(schema=schema)
                meta.reflect(conn, only=[table.lower()])
                target = meta.tables[f"{schema}.{table.lower()}"]
                conn.execute(insert(target), [_typed(target, r) for r in rows])
    engine.dispose()
    for row in FILES:
        if row["FileID"]:
            path = folder / "minio" / row["FileID"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"object {row['FileID']}".encode())
    profile = folder / "dvc.toml"
    prefixes = {s: (f"{s}." if backend == "postgresql" else "") for s, _, _ in ROWS}
    profile.write_text(PROFILE.format(engine=backend, **prefixes), encoding="utf-8")
    return profile


def _typed(table, row: dict) -> dict:
    """A PostgreSQL TIMESTAMP, DATE or BOOLEAN holds its type: a clerk's text is parsed, what is no date
    (31/02/2024, 'không rõ') cannot be stored there and is NULL."""
    out = {}
    for name, value in row.items():
        column = table.c[name.lower()]
        kind = column.type.python_type if hasattr(column.type, "python_type") else str
        if isinstance(value, str) and kind in (dt.datetime, dt.date):
            value = _parse(value, kind)
        elif kind is bool and value is not None:
            value = bool(value)
        out[name.lower()] = value
    return out


def _parse(value: str, kind):
    for fmt in _DATES:
        try:
            parsed = dt.datetime.strptime(value[:26] if "." in value else value, fmt)
            return parsed if kind is dt.datetime else parsed.date()
        except ValueError:
            continue
    return None
