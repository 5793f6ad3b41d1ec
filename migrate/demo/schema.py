"""The legacy "one-door" portal schema: the same five tables in every demo portal.

Column names are the unaccented Vietnamese names such portals use. Indexes are
created after the bulk insert, as a portal that grew for years would have them.
"""

from __future__ import annotations

import sqlite3
from types import MappingProxyType

TABLES = ("TaiKhoan", "HoSo", "QuaTrinhXuLy", "TepDinhKem", "KhoDuLieu")

DDL = (
    """CREATE TABLE TaiKhoan (
        Id INTEGER PRIMARY KEY,
        LoaiTaiKhoan TEXT NOT NULL,   -- '1' citizen, '2' business, '3' staff (can bo)
        TenDangNhap TEXT,
        MatKhauHash TEXT,
        HoTen TEXT,
        SoCCCD TEXT,
        SoCMND TEXT,
        MaSoThue TEXT,
        NgaySinh TEXT,                -- dd/mm/yyyy, sometimes empty
        GioiTinh TEXT,
        DienThoai TEXT,
        Email TEXT,
        DiaChi TEXT,
        MaTinh TEXT,
        MaHuyen TEXT,
        MaXa TEXT,
        NgayTao TEXT,                 -- YYYY-MM-DD HH:MM:SS
        MaCoQuan TEXT                 -- staff only
    )""",
    """CREATE TABLE HoSo (
        Id INTEGER PRIMARY KEY,
        SoHoSo TEXT NOT NULL,
        MaThuTuc TEXT,
        TenThuTuc TEXT,
        MaCoQuan TEXT,
        TenCoQuan TEXT,
        TaiKhoanId INTEGER,
        TenNguoiNop TEXT,
        SoGiayTo TEXT,
        DiaChi TEXT,
        MaTinh TEXT,
        MaHuyen TEXT,
        MaXa TEXT,
        NgayNop TEXT,
        NgayTiepNhan TEXT,
        NgayHenTra TEXT,
        NgayTra TEXT,
        TrangThai TEXT,               -- '1'..'6'
        NgayCapNhat TEXT,
        HinhThucNop TEXT              -- 'TRUC_TUYEN' online, 'TRUC_TIEP' at the counter
    )""",
    """CREATE TABLE QuaTrinhXuLy (
        Id INTEGER PRIMARY KEY,
        HoSoId INTEGER NOT NULL,
        MaBuoc TEXT,
        TenBuoc TEXT,
        NguoiXuLy TEXT,
        ThoiGian TEXT,
        NoiDung TEXT
    )""",
    """CREATE TABLE TepDinhKem (
        Id INTEGER PRIMARY KEY,
        HoSoId INTEGER NOT NULL,
        TenTep TEXT,
        DuongDan TEXT,                -- relative to the portal's files folder, forward slashes
        KichThuoc INTEGER,
        MaHash TEXT                   -- sha256 hex recorded by the portal
    )""",
    """CREATE TABLE KhoDuLieu (
        Id INTEGER PRIMARY KEY,
        TaiKhoanId INTEGER,
        SoGiayTo TEXT,
        LoaiGiayTo TEXT,
        TenGiayTo TEXT,
        SoKyHieu TEXT,
        NgayCap TEXT,                 -- dd/mm/yyyy
        CoQuanCap TEXT,
        DuongDan TEXT,
        KichThuoc INTEGER,
        MaHash TEXT
    )""",
)

INDEXES = (
    "CREATE INDEX IX_HoSo_SoHoSo ON HoSo (SoHoSo)",
    "CREATE INDEX IX_HoSo_NgayCapNhat ON HoSo (NgayCapNhat)",
    "CREATE INDEX IX_QuaTrinhXuLy_HoSoId ON QuaTrinhXuLy (HoSoId)",
    "CREATE INDEX IX_TepDinhKem_HoSoId ON TepDinhKem (HoSoId)",
    "CREATE INDEX IX_KhoDuLieu_TaiKhoanId ON KhoDuLieu (TaiKhoanId)",
    "CREATE INDEX IX_TaiKhoan_SoCCCD ON TaiKhoan (SoCCCD)",
)

INSERT = MappingProxyType({
    "TaiKhoan": "INSERT INTO TaiKhoan VALUES (" + ", ".join("?" * 18) + ")",
    "HoSo": "INSERT INTO HoSo VALUES (" + ", ".join("?" * 20) + ")",
    "QuaTrinhXuLy": "INSERT INTO QuaTrinhXuLy VALUES (?, ?, ?, ?, ?, ?, ?)",
    "TepDinhKem": "INSERT INTO TepDinhKem VALUES (?, ?, ?, ?, ?, ?)",
    "KhoDuLieu": "INSERT INTO KhoDuLieu VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
})


def create(connection: sqlite3.Connection) -> None:
    for statement in DDL:
        connection.execute(statement)


def create_indexes(connection: sqlite3.Connection) -> None:
    for statement in INDEXES:
        connection.execute(statement)
