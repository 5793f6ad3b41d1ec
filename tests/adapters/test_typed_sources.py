"""Typed columns holding what the driver cannot give as their type, and joins matching several rows,
read from an SQLite file and from PostgreSQL into both stores: one record's problem, never a failed run.

SQLite keeps any text in a DATE, TIMESTAMP or NUMERIC column (``07/04/1973``, ``0000-00-00``, ``abc``);
PostgreSQL's own types hold values Python cannot represent (``infinity``, a date BC, a year past 9999,
``NaN``) and NUMERIC(12,2) gives whole numbers with a scale (``2048.00``); a BLOB or BYTEA holds UTF-8
text or bytes that are none; sentinels (``''``, ``N/A``, ``-1``, a NUMERIC ``-1.00``) read as NULL. Each record is compared
with what it must become, conservation holds, and reconciliation (the source read again) PASSES.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from ground_truth import compare, outcomes
from migrate import pipeline
from migrate.config import Settings
from migrate.store import schema
from migrate.store.models import quarantine
from reconciliation.runner import reconcile

PROFILE = """
[source]
name = "typed-{engine}"
engine = "{engine}"
url_env = "HOPNHAT_SOURCE_TYPED_URL"
old_province = "35"

[entity.account]
table = "TaiKhoan"
key = ["Id"]
remap = false
nulls = ["0000-00-00"]
constants = {{ kind = "citizen" }}
columns = {{ full_name = "HoTen", birth_date = "NgaySinh", created_at = "NgayTao", address = "DiaChi" }}
convert = {{ birth_date = "date", created_at = "datetime" }}

[entity.document]
table = "GiayTo"
key = ["Id"]
nulls = ["N/A", "-1", ""]
[entity.document.join.CapBan]
on = {{ Id = "GiayToId" }}
[entity.document.columns]
owner_id_number = "SoGiayToChu"
title = "TenGiayTo"
issued_at = "NgayCap"
size = "KichThuoc"
issuer = "CapBan.NoiCap"
[entity.document.convert]
issued_at = "date"
"""

TABLES = {
    "TaiKhoan": '"Id" INTEGER PRIMARY KEY, "HoTen" TEXT, "NgaySinh" DATE, "NgayTao" TIMESTAMP, "DiaChi" {binary}',
    "GiayTo": '"Id" INTEGER PRIMARY KEY, "SoGiayToChu" TEXT, "TenGiayTo" TEXT, "NgayCap" DATE, '
              '"KichThuoc" NUMERIC(12,2)',
    "CapBan": '"Id" INTEGER PRIMARY KEY, "GiayToId" INTEGER, "NoiCap" TEXT',
}
T = "2024-03-01 08:00:00"
UTF8, BINARY = "Phủ Lý".encode(), b"\xff\xfe\x00\x81"  # a BLOB/BYTEA holding text, one holding none
ROWS = {  # per source engine: (TaiKhoan rows, GiayTo rows); CapBan is the same on both
    "sqlite": (
        [(1, "Nguyễn Văn An", "1973-04-07", T, UTF8), (2, "Trần Thị Bình", "07/04/1973", T, None),
         (3, "Lê Văn Cường", "0000-00-00", "0000-00-00 00:00:00", None),
         (4, "Phạm Thị Dung", "ngày sinh?", T, None), (5, "Hoàng Văn Em", "1980-01-01", "32/13/2020 08:00", None),
         (6, "Đỗ Thị Phương", "1980-01-01", T, BINARY)],
        [(1, "035099000001", "Giấy A", "2020-05-02", 2048), (2, "035099000002", "Giấy B", "02/05/2020", 12.5),
         (3, "035099000003", "Giấy C", "2020-05-02", "abc"), (4, "035099000004", "Giấy D", "31/02/2024", 10),
         (5, "035099000005", "Giấy E", "2020-05-02", 10), (6, "035099000006", "", "N/A", -1)]),
    "postgresql": (
        [(1, "Nguyễn Văn An", "1973-04-07", T, UTF8), (2, "Trần Thị Bình", "infinity", T, None),
         (3, "Lê Văn Cường", "0044-03-15 BC", T, None),
         (4, "Phạm Thị Dung", "1980-01-01", "10000-01-01 00:00:00", None),
         (5, "Hoàng Văn Em", "1980-01-01", "-infinity", None), (6, "Đỗ Thị Phương", "1980-01-01", T, BINARY)],
        [(1, "035099000001", "Giấy A", "2020-05-02", 2048), (2, "035099000002", "Giấy B", "2020-05-02", 12.5),
         (3, "035099000003", "Giấy C", "2020-05-02", "NaN"), (4, "035099000004", "Giấy D", "infinity", 10),
         (5, "035099000005", "Giấy E", "2020-05-02", 10), (6, "035099000006", "N/A", None, -1)]),
}
BINARY_TYPE = {"sqlite": "BLOB", "postgresql": "BYTEA"}
ISSUERS = [(1, 1, "Công an tỉnh Hà Nam"), (2, 5, "Công an tỉnh Hà Nam"), (3, 5, "Cục Cảnh sát QLHC")]

LOADED = ("loaded", None)
TRUTH = {
    "sqlite": {
        ("account", "1"): (*LOADED, {"birth_date": "1973-04-07", "created_at": "2024-03-01T08:00",
                                     "address": "Phủ Lý"}),
        ("account", "2"): (*LOADED, {"birth_date": "1973-04-07"}),  # dd/mm/yyyy in a DATE column
        ("account", "3"): (*LOADED, {"birth_date": None, "created_at": None}),  # sentinels in DATE, TIMESTAMP
        ("account", "4"): ("quarantined", "birth_date", {}),
        ("account", "5"): ("quarantined", "created_at", {}),
        ("account", "6"): ("quarantined", "address", {}),  # binary, not text
        ("document", "1"): (*LOADED, {"size": 2048, "issued_at": "2020-05-02", "issuer": "Công an tỉnh Hà Nam"}),
        ("document", "2"): ("quarantined", "size", {}),  # 12.5 bytes
        ("document", "3"): ("quarantined", "size", {}),  # text in a NUMERIC column
        ("document", "4"): ("quarantined", "issued_at", {}),
        ("document", "5"): ("quarantined", "CapBan", {}),  # two issuers and no `several` choice
        ("document", "6"): (*LOADED, {"title": None, "issued_at": None, "size": None}),  # sentinels '', N/A, -1
    },
    "postgresql": {
        ("account", "1"): (*LOADED, {"birth_date": "1973-04-07", "created_at": "2024-03-01T08:00",
                                     "address": "Phủ Lý"}),
        ("account", "2"): ("quarantined", "birth_date", {}),  # infinity
        ("account", "3"): ("quarantined", "birth_date", {}),  # before year 1
        ("account", "4"): ("quarantined", "created_at", {}),  # after year 9999
        ("account", "5"): ("quarantined", "created_at", {}),  # -infinity
        ("account", "6"): ("quarantined", "address", {}),  # BYTEA holding no text
        ("document", "1"): (*LOADED, {"size": 2048, "issued_at": "2020-05-02"}),  # NUMERIC(12,2): 2048.00
        ("document", "2"): ("quarantined", "size", {}),
        ("document", "3"): ("quarantined", "size", {}),  # NaN
        ("document", "4"): ("quarantined", "issued_at", {}),  # infinity
        ("document", "5"): ("quarantined", "CapBan", {}),
        ("document", "6"): (*LOADED, {"title": None, "size": None}),  # sentinels N/A and -1 (NUMERIC -1.00)
    },
}

REASONS = {  # what a quarantined record's reason quotes: the value as the source holds it
    "sqlite": {("TaiKhoan", "6"): "4 bytes of binary data, not text (rule blob:not-text)",
               ("TaiKhoan", "4"): "NgaySinh='ngày sinh?': not a date", ("GiayTo", "3"): "KichThuoc='abc': not a whole",
               ("GiayTo", "4"): "NgayCap='31/02/2024'"},
    "postgresql": {("TaiKhoan", "6"): "4 bytes of binary data, not text (rule blob:not-text)",
                   ("TaiKhoan", "2"): "NgaySinh='infinity'", ("TaiKhoan", "3"): "NgaySinh='0044-03-15 BC'",
                   ("TaiKhoan", "4"): "NgayTao='10000-01-01 00:00:00'", ("GiayTo", "3"): "KichThuoc='NaN'",
                   ("GiayTo", "2"): "KichThuoc='12.50': not a whole number"},
}


def _build(url: str, engine_name: str, folder) -> object:
    engine = create_engine(url)
    accounts, documents = ROWS[engine_name]
    with engine.begin() as conn:
        for table, columns in TABLES.items():
            conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
            conn.execute(text(f'CREATE TABLE "{table}" ({columns.format(binary=BINARY_TYPE[engine_name])})'))
        for table, rows in (("TaiKhoan", accounts), ("GiayTo", documents), ("CapBan", ISSUERS)):
            marks = ", ".join(f":p{i}" for i in range(len(rows[0])))
            conn.execute(text(f'INSERT INTO "{table}" VALUES ({marks})'),
                         [{f"p{i}": v for i, v in enumerate(row)} for row in rows])
    engine.dispose()
    profile = folder / "typed.toml"
    profile.write_text(PROFILE.format(engine=engine_name), encoding="utf-8")
    return profile


@pytest.mark.parametrize("source_engine", ["sqlite", "postgresql"])
def test_typed_values_and_several_join_rows_are_one_records_problem(source_engine, store_url, tmp_path, request):
    source_url = (f"sqlite:///{tmp_path / 'typed.sqlite'}" if source_engine == "sqlite"
                  else request.getfixturevalue("pg_url"))
    profile = _build(source_url, source_engine, tmp_path)
    settings = Settings.load([profile], store=store_url, files_dir=tmp_path / "files", batch_size=2,
                             environ={"HOPNHAT_SOURCE_TYPED_URL": source_url})
    report = pipeline.run(settings)
    assert report.ok and not report.failed_batches, report.summary()
    counts = {r.entity: (r.source_count, r.counts.loaded, r.counts.quarantined) for r in report.results}
    expected = TRUTH[source_engine]
    for part in ("account", "document"):
        outcome = [value[0] for (label, _), value in expected.items() if label == part]
        assert counts[part] == (len(outcome), outcome.count("loaded"), outcome.count("quarantined")), \
            _quarantine(store_url)
    assert compare(outcomes(store_url, settings.sources[0].profile), expected) == [], _quarantine(store_url)
    held = _quarantine(store_url)
    assert all(reason and payload for _, reason, payload in held.values())
    assert "join CapBan matched 2 rows for this record" in held[("GiayTo", "5")][1]
    for key, words in REASONS[source_engine].items():
        assert words in held[key][1], (key, held[key][1])
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()



def _quarantine(store_url: str) -> dict[tuple[str, str], tuple[str, str, dict]]:
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source_table, quarantine.c.source_key, quarantine.c.field,
                                   quarantine.c.reason, quarantine.c.raw_payload)).all()
    engine.dispose()
    return {(r.source_table, r.source_key): (r.field, r.reason, r.raw_payload) for r in rows}
