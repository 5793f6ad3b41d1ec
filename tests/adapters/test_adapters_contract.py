"""One contract over every engine: counts match reads, keyset pages cover the key space,
ranges and digests agree, deltas follow the watermark.

SQL Server runs only when HOPNHAT_TEST_MSSQL_URL names a server; every statement the
adapter sends is still compiled with SQLAlchemy's SQL Server dialect (see
``test_every_statement_compiles_for_sql_server``).
"""

from __future__ import annotations

import csv
import dataclasses
import os

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.dialects import mssql
from sqlalchemy.sql import ClauseElement

from adapters import open_source
from migrate.core.records import Delta, EntitySpec
from migrate.core.errors import ConfigError, SourceError

ROWS = 57
SPEC = EntitySpec(name="dossier", table="HoSo", key=("MaDonVi", "Id"),
                  columns={"dossier_no": "SoHoSo", "address": "DiaChi", "status": "TrangThai"},
                  modified="NgayCapNhat", text="auto")


def _rows():
    for i in range(1, ROWS + 1):
        address = "Hµ Néi" if i == 7 else "Phủ Lý"  # one TCVN3 value
        yield {"MaDonVi": "A" if i % 3 else "B", "Id": i, "SoHoSo": f"HS-{i:04d}", "DiaChi": address,
               "TrangThai": str(i % 5), "NgayCapNhat": f"2024-03-{1 + i % 28:02d} 08:00:00"}


def _create_sql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text('CREATE TABLE "HoSo" ("MaDonVi" VARCHAR(10) NOT NULL, "Id" INTEGER NOT NULL, '
                          '"SoHoSo" VARCHAR(40), "DiaChi" VARCHAR(200), "TrangThai" VARCHAR(10), '
                          '"NgayCapNhat" VARCHAR(30), PRIMARY KEY ("MaDonVi", "Id"))'))
        conn.execute(text('INSERT INTO "HoSo" VALUES (:MaDonVi, :Id, :SoHoSo, :DiaChi, :TrangThai, :NgayCapNhat)'),
                     list(_rows()))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "files-csv", "files-xlsx", "mssql"])
def source_url(request, tmp_path):
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
        _create_sql(url)
        return url
    if kind == "postgresql":
        base = request.getfixturevalue("pg_url")
        engine = create_engine(base)
        with engine.begin() as conn:
            conn.execute(text('DROP TABLE IF EXISTS "HoSo"'))
        engine.dispose()
        _create_sql(base)
        return base
    if kind == "mssql":
        url = os.environ.get("HOPNHAT_TEST_MSSQL_URL")
        if not url:
            pytest.skip("no SQL Server here: set HOPNHAT_TEST_MSSQL_URL=mssql+pymssql://user:pass@host/db to run "
                        "the SQL Server adapter against a real server (its SQL is still compiled below)")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("IF OBJECT_ID('HoSo') IS NOT NULL DROP TABLE HoSo"))
        engine.dispose()
        _create_sql(url)
        return url
    folder = tmp_path / "exports"
    folder.mkdir()
    rows = list(_rows())
    header = list(rows[0])
    if kind == "files-csv":
        with (folder / "HoSo.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(reversed(rows))  # exports are not sorted
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in reversed(rows):
            sheet.append([row[h] for h in header])
        book.save(folder / "HoSo.xlsx")
    return f"files://{folder}"


def _all(source, spec=SPEC, batch_size=10, **kw):
    return [r for page in source.read(spec, after=None, batch_size=batch_size, **kw) for r in page]


def test_contract(source_url):
    source = open_source("legacy", source_url)
    try:
        assert source.count(SPEC) == ROWS
        records = _all(source)
        assert len(records) == ROWS
        keys = [tuple(str(k) for k in r.key) for r in records]
        assert len(set(keys)) == ROWS and keys == sorted(keys, key=lambda k: (k[0], int(k[1])))
        # resuming after any key reads exactly the rest
        middle = records[20].key
        rest = [r for page in source.read(SPEC, after=middle, batch_size=7) for r in page]
        assert [r.key for r in rest] == [r.key for r in records[21:]]
        # a range reads what the full scan read between its bounds, and digests agree
        lo, hi = records[5].key, records[30].key
        ranged = [r for page in source.read_range(SPEC, lo, hi, batch_size=4) for r in page]
        assert [r.payload for r in ranged] == [r.payload for r in records[5:31]]
        assert source.digest(SPEC, lo, hi).count == 26
        assert source.digest(SPEC, lo, hi) == source.digest(SPEC, lo, hi)
        # text repair in the adapter, raw value kept
        fixed = next(r for r in records if str(r.key[1]) == "7")
        assert fixed.payload["DiaChi"] == "Hà Nội" and fixed.payload["~raw"] == {"DiaChi": "Hµ Néi"}
        assert source.text_report() == {"dossier": {"DiaChi/tcvn3": 1}}
        # delta: records modified at or after the watermark, still in key order
        since = "2024-03-25 08:00:00"
        changed = _all(source, since=since)
        assert changed and all(r.payload["NgayCapNhat"] >= since for r in changed)
        assert len(changed) == source.count(SPEC, since=since) == sum(r.payload["NgayCapNhat"] >= since
                                                                       for r in records)
        assert source.watermark(SPEC) == max(r.payload["NgayCapNhat"] for r in records)
        assert source.census(SPEC) == (source.count(SPEC), source.watermark(SPEC)) == (len(records), max(
            r.payload["NgayCapNhat"] for r in records))  # both in one pass over the table
        # keys alone, in key order, each with whether its watermark passed (the delta's key comparison)
        streamed = [row for page in source.keys(SPEC, batch_size=10, since=since) for row in page]
        assert [tuple(row[:2]) for row in streamed] == [r.key for r in records]  # (MaDonVi, Id, rows, fresh)
        assert all(row[2] == 1 for row in streamed)
        assert [row[3] for row in streamed] == [int(r.payload["NgayCapNhat"] >= since) for r in records]
        assert all(row[3] is None for page in source.keys(SPEC, batch_size=50) for row in page)
        # a part read as a delta: its watermark or its key ranges, on every read of it
        ranges = ((records[2].key, records[4].key), (records[40].key, records[40].key))
        part = dataclasses.replace(SPEC, delta=Delta(since, ranges))
        picked = [i for i, r in enumerate(records) if r.payload["NgayCapNhat"] >= since or 2 <= i <= 4 or i == 40]
        assert [r.key for r in _all(source, part, batch_size=4)] == [records[i].key for i in picked]
        assert [r.key for p in source.read_range(part, records[0].key, records[10].key, batch_size=3)
                for r in p] == [records[i].key for i in picked if i <= 10]
    finally:
        source.close()


def test_batches_planned_from_the_keys_alone_read_the_pages(source_url):
    """A worker plans a batch from the next page's keys alone (``bounds``); reading its range gives the page."""
    source = open_source("legacy", source_url)
    try:
        records = _all(source)
        part = dataclasses.replace(SPEC, delta=Delta("2024-03-25 08:00:00", ((records[2].key, records[4].key),)))
        for spec in (SPEC, part):
            for batch_size in (1, 10, 100):
                pages = list(source.read(spec, after=None, batch_size=batch_size))
                ranges, after = [], None
                while (bounds := source.bounds(spec, after=after, batch_size=batch_size)) is not None:
                    ranges.append(bounds)
                    after = bounds[1]
                assert ranges == [(p[0].key, p[-1].key) for p in pages]
                assert [[r.payload for p in source.read_range(spec, lo, hi, batch_size=batch_size) for r in p]
                        for lo, hi in ranges] == [[r.payload for r in p] for p in pages]
    finally:
        source.close()


def test_unknown_columns_and_tables_name_the_source(source_url):
    source = open_source("legacy", source_url)
    try:
        bad = EntitySpec(name="dossier", table="HoSo", key=("Id",), columns={"dossier_no": "SoHoSoo"})
        with pytest.raises(SourceError, match="legacy/HoSo: columns not found: SoHoSoo"):
            source.count(bad)
        with pytest.raises(SourceError, match="legacy/HoSoo"):
            source.count(EntitySpec(name="dossier", table="HoSoo", key=("Id",), columns={}))
    finally:
        source.close()


def test_every_statement_compiles_for_sql_server(tmp_path):
    """Run the whole contract on SQLite while compiling each statement sent with the mssql dialect."""
    url = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    _create_sql(url)
    source = open_source("legacy", url)
    compiled = []

    @event.listens_for(source._db, "before_execute")
    def compile_for_mssql(conn, clause, multiparams, params, execution_options):
        if isinstance(clause, ClauseElement):
            compiled.append(str(clause.compile(dialect=mssql.dialect())))

    _all(source)
    _all(source, since="2024-03-25 08:00:00")
    records = _all(source)
    source.digest(SPEC, records[1].key, records[9].key)
    source.count(SPEC)
    source.count(SPEC, since="2024-03-25 08:00:00")
    source.watermark(SPEC)
    source.census(SPEC)
    list(source.keys(SPEC, batch_size=10, since="2024-03-25 08:00:00"))
    source.bounds(SPEC, after=records[3].key, batch_size=10)
    _all(source, dataclasses.replace(SPEC, delta=Delta("2024-03-25 08:00:00", ((records[2].key, records[4].key),))))
    source.distinct_values("HoSo", "TrangThai")
    source.row_count("HoSo")
    source.close()
    assert len(compiled) > 15
    assert all("OFFSET" not in sql.upper() and "LIMIT" not in sql.upper() for sql in compiled)
    assert any("TOP" in sql for sql in compiled)
    assert any("[HoSo].[MaDonVi] >" in sql for sql in compiled)


def test_unknown_engine_lists_the_known_ones():
    with pytest.raises(ConfigError, match="Known: files, mssql, postgresql, sqlite"):
        open_source("x", "oracle://host/db")


def test_files_errors_name_file_and_line(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "HoSo.csv").write_text("Id,SoHoSo\n1,HS-1\n2,HS-2\n1,HS-3\n", encoding="utf-8")
    (folder / "TaiKhoan.csv").write_text("Id,HoTen\n1,A\n2,B,extra\n", encoding="utf-8")
    source = open_source("legacy", f"files://{folder}")
    try:
        with pytest.raises(SourceError, match=r"not unique in HoSo.csv; key 1 appears on lines 2 and 4"):
            source.count(EntitySpec(name="dossier", table="HoSo", key=("Id",), columns={"dossier_no": "SoHoSo"}))
        with pytest.raises(SourceError, match=r"TaiKhoan.csv line 3: 3 fields, the header has 2"):
            source.row_count("TaiKhoan")
        with pytest.raises(SourceError, match="no export file Nope.csv"):
            source.row_count("Nope")
    finally:
        source.close()


def test_files_cp1258_exports(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "HoSo.csv").write_bytes(b"Id;DiaChi\n1;\xd0\xe3\xeck L\xe3\xeck\n")  # Windows-1258, tone combining
    source = open_source("legacy", f"files://{folder}?encoding=cp1258&delimiter=;")
    spec = EntitySpec(name="dossier", table="HoSo", key=("Id",), columns={"address": "DiaChi"}, text="nfc")
    try:
        assert _all(source, spec)[0].payload["DiaChi"] == "Đắk Lắk"
    finally:
        source.close()
