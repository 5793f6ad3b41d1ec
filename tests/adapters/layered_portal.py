"""A one-door portal laid out as provinces hand them over, with its ground truth.

Accounts in three tables (citizens in ``user``, businesses, staff) whose ids
overlap; dossiers naming their applicant by type + id; typed columns holding
text (``07/04/1973``, ``0000-00-00``, garbage); sentinels; soft-deleted rows;
unnumbered dossiers; a unit table whose rows are districts or communes;
files whose size is in KB, e-form parts with no file, several file versions;
documents of walk-in applicants owned by their id number. On PostgreSQL the
tables live in three schemas (``nguoidung``, ``hoso``, ``danhmuc``).

``build(url, files_root)`` creates and fills the portal and returns the
profile text for it and ``TRUTH``: what each record must become.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# name, [columns]; the type DATE is kept on SQLite (which stores any text in it)
TABLES = {
    "nguoidung": {
        "user": "Id INTEGER PRIMARY KEY, HoTen TEXT, SoCCCD TEXT, NgaySinh {date}, MaXa TEXT, DaXoa INTEGER",
        "DoanhNghiep": "Id INTEGER PRIMARY KEY, TenDN TEXT, MaSoThue TEXT, MaXa TEXT",
        "CanBo": "Id INTEGER PRIMARY KEY, HoTen TEXT, MaCoQuan TEXT",
    },
    "danhmuc": {
        "DonViHanhChinh": "Ma TEXT PRIMARY KEY, Cap TEXT, MaCha TEXT, Ten TEXT",
    },
    "hoso": {
        "order": ("Id INTEGER PRIMARY KEY, SoHoSo TEXT, MaBienNhan TEXT, LoaiChuHoSo TEXT, ChuHoSoId INTEGER, "
                  "TenNguoiNop TEXT, MaDonVi TEXT, NgayNop {date}, TrangThai TEXT, DaXoa INTEGER"),
        "TepDinhKem": "Id INTEGER PRIMARY KEY, HoSoId INTEGER, TenTep TEXT, KichThuoc TEXT",
        "PhienBan": "Id INTEGER PRIMARY KEY, TepId INTEGER, SoPhienBan INTEGER, DuongDan TEXT",
        "GiayTo": ("Id INTEGER PRIMARY KEY, ChuSoHuuId INTEGER, SoGiayToChu TEXT, TenGiayTo TEXT, "
                   "NgayCap TEXT"),
    },
}

CITIZENS = [  # Id, HoTen, SoCCCD, NgaySinh (as the clerk typed it), MaXa, DaXoa
    (1, "Nguyễn Văn An", "035099000001", "1973-04-07", "13291", 0),
    (2, "Trần Thị Bình", "035099000002", "07/04/1980", "13327", 0),
    (3, "Lê Văn Cường", "035099000003", "0000-00-00", "13291", 0),     # sentinel: no birth date
    (4, "Phạm Thị Dung", "035099000004", "1900-01-01", "13327", 0),    # sentinel
    (5, "Hoàng Văn Em", "035099000005", "ngày sinh?", "13291", 0),     # garbage: quarantined
    (6, "Đỗ Thị Phương", "035099000006", "1990-12-31", "13291", 1),    # soft-deleted: excluded
]
BUSINESSES = [  # same ids as citizens: a bare number must never decide the account
    (1, "Công ty TNHH Minh Phát", "0700123456", "13291"),
    (2, "HTX Nông nghiệp Thanh Liêm", "0700654321", "13327"),
]
STAFF = [(1, "Vũ Văn Giang", "000.00.12.H35"), (2, "Ngô Thị Hà", "000.00.13.H35")]
UNITS = [("13291", "xa", "347", "Phường Quang Trung"), ("13327", "xa", "349", "Xã Thanh Hà"),
         ("347", "huyen", "35", "Thành phố Phủ Lý")]
DOSSIERS = [  # Id, SoHoSo, MaBienNhan, LoaiChuHoSo, ChuHoSoId, TenNguoiNop, MaDonVi, NgayNop, TrangThai, DaXoa
    (1, "H35.01-240301-0001", None, "Citizen", 1, "Nguyễn Văn An", "13291", "2024-03-01 08:00:00", "DaTra", 0),
    (2, "H35.01-240301-0002", None, " BUSINESS ", 1, "Công ty TNHH Minh Phát", "13327", "01/03/2024", "dang xu ly", 0),
    (3, None, "BN-0003", "citizen", 2, "Trần Thị Bình", "13327", "2024-03-02", " DANGXULY", 0),   # number from fallback
    (4, None, None, "CITIZEN", 2, "Trần Thị Bình", "13291", "1970-01-01", "MoiNop", 0),  # unnumbered, unsubmitted
    (5, "H35.01-240301-0005", None, "business", 2, "HTX Nông nghiệp Thanh Liêm", "13291", "garbage", "DaTra", 0),
    (6, "H35.01-240301-0006", None, "to chuc", 1, "Ai đó", "13291", "2024-03-03", "DaTra", 0),  # no part
    (7, "H35.01-240301-0007", None, "citizen", 9, "Không có", "13291", "2024-03-03", "DaTra", 0),  # no account 9
    (8, "H35.01-240301-0008", None, "Citizen", 1, "Nguyễn Văn An", "13291", "2024-03-04", "DaTra", 1),  # deleted
    (9, "H35.01-240301-0009", None, None, None, "Khách vãng lai", "13327", "2024-03-05", "DaTra", 0),  # walk-in
    (10, "H35.01-240301-0010", None, "citizen", 1, "Nguyễn Văn An", "347", "2024-03-05", "DaTra", 0),  # district
]
FILES = [  # Id, HoSoId, TenTep, KichThuoc (KB)
    (1, 1, "don.pdf", "2"),        # two versions: the latest is kept
    (2, 1, "to-khai-dien-tu", "0"),  # an e-form part: no file version at all
    (3, 2, "giay-phep.pdf", "1,5"),
    (4, 7, "khong-cha.pdf", "1"),  # its dossier is quarantined
]
VERSIONS = [(1, 1, 1, "2024/1/v1/don.pdf"), (2, 1, 2, "2024/1/v2/don.pdf"), (3, 3, 1, "2024/3/v1/giay-phep.pdf")]
DOCUMENTS = [  # Id, ChuSoHuuId, SoGiayToChu, TenGiayTo, NgayCap
    (1, 2, "035099000002", "Giấy khai sinh", "07/04/2020"),
    (2, None, "035099000001", "Giấy xác nhận", "1900-01-01"),   # walk-in, an account has the number: linked
    (3, None, "035099000777", "Giấy xác nhận", "02/05/2021"),   # walk-in, no account: owned by the number
    (4, None, None, "Giấy không chủ", "02/05/2021"),             # no owner at all: quarantined
]

# what each record becomes: (part, key) -> outcome, field/rule, expected values
TRUTH = {
    ("account", "1"): ("loaded", None, {"kind": "citizen", "birth_date": "1973-04-07"}),
    ("account", "2"): ("loaded", None, {"kind": "citizen", "birth_date": "1980-04-07"}),
    ("account", "3"): ("loaded", None, {"kind": "citizen", "birth_date": None}),
    ("account", "4"): ("loaded", None, {"kind": "citizen", "birth_date": None}),
    ("account", "5"): ("quarantined", "birth_date", {}),
    ("account", "6"): ("excluded", "exclude:soft-deleted", {}),
    ("account.business", "1"): ("loaded", None, {"kind": "business", "tax_code": "0700123456"}),
    ("account.business", "2"): ("loaded", None, {"kind": "business", "tax_code": "0700654321"}),
    ("account.staff", "1"): ("loaded", None, {"kind": "staff"}),
    ("account.staff", "2"): ("loaded", None, {"kind": "staff"}),
    ("dossier", "1"): ("loaded", None, {"dossier_no": "H35.01-240301-0001", "owner": ("citizen", "Nguyễn Văn An"),
                                        "status": "returned", "new_commune_code": "13291"}),
    ("dossier", "2"): ("loaded", None, {"owner": ("business", "Công ty TNHH Minh Phát"), "status": "processing"}),
    ("dossier", "3"): ("loaded", None, {"dossier_no": "BN-0003", "owner": ("citizen", "Trần Thị Bình"),
                                        "status": "processing"}),
    ("dossier", "4"): ("loaded", None, {"dossier_no": None, "submitted_at": None, "status": "submitted",
                                        "owner": ("citizen", "Trần Thị Bình")}),
    ("dossier", "5"): ("quarantined", "submitted_at", {}),
    ("dossier", "6"): ("quarantined", "applicant_account_key", {}),
    ("dossier", "7"): ("quarantined", "applicant_account_key", {}),
    ("dossier", "8"): ("excluded", "exclude:soft-deleted", {}),
    ("dossier", "9"): ("loaded", None, {"owner": None}),
    ("dossier", "10"): ("quarantined", "commune_code", {}),
    ("dossier_file", "1"): ("loaded", None, {"size": 2048, "source_path": "2024/1/v2/don.pdf", "file_state": "stored"}),
    ("dossier_file", "2"): ("loaded", None, {"size": None, "source_path": None, "file_state": "no-path"}),
    ("dossier_file", "3"): ("loaded", None, {"size": 1536, "file_state": "stored"}),
    ("dossier_file", "4"): ("quarantined", "dossier_key", {}),
    ("document", "1"): ("loaded", None, {"owner": ("citizen", "Trần Thị Bình"), "issued_at": "2020-04-07"}),
    ("document", "2"): ("loaded", "owner:id-number", {"owner": ("citizen", "Nguyễn Văn An"), "issued_at": None}),
    ("document", "3"): ("loaded", "owner:id-number", {"owner": None, "owner_id_number": "035099000777"}),
    ("document", "4"): ("quarantined", "owner_account_key", {}),
}

PROFILE = """
[source]
name = "{name}"
engine = "{engine}"
url_env = "HOPNHAT_SOURCE_LAYERED_URL"
old_province = "35"
files_root = "files"

[entity.account]
table = "{nd}user"
key = ["Id"]
nulls = ["0000-00-00", "1900-01-01", "N/A"]
exclude = {{ column = "DaXoa", values = [1], reason = "soft-deleted" }}
constants = {{ kind = "citizen" }}
columns = {{ full_name = "HoTen", id_number = "SoCCCD", birth_date = "NgaySinh", commune_code = "MaXa" }}
convert = {{ birth_date = "date" }}

[entity."account.business"]
table = "{nd}DoanhNghiep"
key = ["Id"]
constants = {{ kind = "business" }}
columns = {{ full_name = "TenDN", tax_code = "MaSoThue", commune_code = "MaXa" }}

[entity."account.staff"]
table = "{nd}CanBo"
key = ["Id"]
remap = false
constants = {{ kind = "staff" }}
columns = {{ full_name = "HoTen", agency_code = "MaCoQuan" }}

[entity.dossier]
table = "{hs}order"
key = ["Id"]
nulls = {{ submitted_at = ["1970-01-01"] }}
exclude = {{ column = "DaXoa", values = [1], reason = "soft-deleted" }}
[entity.dossier.join."{dm}DonViHanhChinh"]
on = {{ MaDonVi = "Ma" }}
[entity.dossier.columns]
dossier_no = ["SoHoSo", "MaBienNhan"]
applicant_account_key = "ChuHoSoId"
applicant_name = "TenNguoiNop"
submitted_at = "NgayNop"
status = "TrangThai"
[[entity.dossier.choose.commune_code]]
column = "{dm}DonViHanhChinh.Ma"
when = {{ "{dm}DonViHanhChinh.Cap" = ["xa"] }}
[[entity.dossier.choose.district_code]]
column = "{dm}DonViHanhChinh.Ma"
when = {{ "{dm}DonViHanhChinh.Cap" = ["huyen"] }}
[[entity.dossier.choose.district_code]]
column = "{dm}DonViHanhChinh.MaCha"
when = {{ "{dm}DonViHanhChinh.Cap" = ["xa"] }}
[entity.dossier.links.applicant_account_key]
by = "LoaiChuHoSo"
parts = {{ citizen = "account", business = "account.business" }}
[entity.dossier.lookups.status]
DaTra = "returned"
DangXuLy = "processing"
"dang xu ly" = "processing"
MoiNop = "submitted"
[entity.dossier.convert]
submitted_at = "datetime"

[entity.dossier_file]
table = "{hs}TepDinhKem"
key = ["Id"]
attachment = "optional"
nulls = {{ size = ["0"] }}
[entity.dossier_file.join."{hs}PhienBan"]
on = {{ Id = "TepId" }}
several = "latest:SoPhienBan"
[entity.dossier_file.columns]
dossier_key = "HoSoId"
file_name = "TenTep"
path = "{hs}PhienBan.DuongDan"
size = "KichThuoc"
[entity.dossier_file.convert]
size = "bytes:KB"

[entity.document]
table = "{hs}GiayTo"
key = ["Id"]
nulls = {{ issued_at = ["1900-01-01"] }}
[entity.document.columns]
owner_account_key = "ChuSoHuuId"
owner_id_number = "SoGiayToChu"
title = "TenGiayTo"
issued_at = "NgayCap"
[entity.document.links.owner_account_key]
part = "account"
[entity.document.convert]
issued_at = "date:%d/%m/%Y"
"""


def build(url: str, folder: Path) -> str:
    """Create the portal at ``url``, its files under ``folder/files``; return the profile (written to folder)."""
    engine = create_engine(url)
    backend = make_url(url).get_backend_name()
    schemas = backend == "postgresql"
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        for schema, tables in TABLES.items():
            if schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            for table, columns in tables.items():
                name = f"{schema}.{quote(table)}" if schemas else quote(table)
                # PostgreSQL's DATE cannot hold a clerk's text: there the column is text, as such portals have
                conn.execute(text(f"CREATE TABLE {name} ({_quoted(columns, quote).format(date='TEXT' if schemas else 'DATE')})"))
        for schema, table, rows in (("nguoidung", "user", CITIZENS), ("nguoidung", "DoanhNghiep", BUSINESSES),
                                    ("nguoidung", "CanBo", STAFF), ("danhmuc", "DonViHanhChinh", UNITS),
                                    ("hoso", "order", DOSSIERS), ("hoso", "TepDinhKem", FILES),
                                    ("hoso", "PhienBan", VERSIONS), ("hoso", "GiayTo", DOCUMENTS)):
            name = f"{schema}.{quote(table)}" if schemas else quote(table)
            marks = ", ".join(f":p{i}" for i in range(len(rows[0])))
            conn.execute(text(f"INSERT INTO {name} VALUES ({marks})"),
                         [{f"p{i}": v for i, v in enumerate(row)} for row in rows])
    engine.dispose()
    for _, _, _, path in VERSIONS:
        target = folder / "files" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f"content of {path}".encode())
    prefixes = ({"nd": "nguoidung.", "hs": "hoso.", "dm": "danhmuc."} if schemas
                else {"nd": "", "hs": "", "dm": ""})
    profile = PROFILE.format(name=f"layered-{backend}", engine=backend, **prefixes)
    (folder / "layered.toml").write_text(profile, encoding="utf-8")
    return profile


def _quoted(columns: str, quote) -> str:
    """Column definitions with each (camel-case) name quoted, as the portal's DDL tool would."""
    out = []
    for definition in columns.split(", "):
        name, rest = definition.split(" ", 1)
        out.append(f"{quote(name)} {rest}")
    return ", ".join(out)
