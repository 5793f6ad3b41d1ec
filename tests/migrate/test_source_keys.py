"""Every source key accounted for: NULL keys, keys shared by several rows, text and float keys, keys the
lineage cannot hold, in tables without a primary key (SQLite and PostgreSQL sources, both stores).

Source count = loaded + merged + quarantined + excluded must hold without reconciliation finding
anything: a row whose key cannot name it is quarantined with a reason naming the key and the rows
sharing it, and the NULL-key rows, read in their own pass, form a batch that reruns like any other.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from adapters import open_source
from adapters.keyset import is_null_key
from migrate import pipeline
from migrate.config import Settings
from migrate.core.records import EntitySpec, Join
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import batch, lineage, quarantine
from reconciliation.checks import conservation
from reconciliation.runner import reconcile

SPEC = EntitySpec(name="dossier", table="HoSo", key=("Id",), columns={"dossier_no": "SoHoSo"})
# key values of a table without a primary key: 2 and 5 are shared (5 by rows straddling pages), two NULLs
KEYS = [1, 2, 2, None, 3, 4, 5, 5, 5, 6, None, 7]


def _legacy(url: str, keys, key_type: str = "INTEGER") -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "HoSo"'))
        conn.execute(text(f'CREATE TABLE "HoSo" ("Id" {key_type}, "SoHoSo" VARCHAR(40))'))
        conn.execute(text('INSERT INTO "HoSo" VALUES (:k, :n)'),
                     [{"k": k, "n": f"HS-{i:03d}"} for i, k in enumerate(keys)])
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def legacy_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.mark.parametrize("batch_size", [2, 3, 100])
def test_every_row_is_read_once_whatever_its_key(legacy_url, batch_size):
    _legacy(legacy_url, KEYS)
    source = open_source("legacy", legacy_url)
    try:
        pages = list(source.read(SPEC, after=None, batch_size=batch_size))
        records = [r for page in pages for r in page]
        assert sorted(r.payload["SoHoSo"] for r in records) == [f"HS-{i:03d}" for i in range(len(KEYS))]
        assert len({r.source_key for r in records}) == len(KEYS)  # each its own lineage key
        nulls = [r for r in records if r.payload["Id"] is None]
        assert len(nulls) == 2 and pages[-1] == nulls and all(is_null_key(r.key) for r in nulls)
        assert all("key Id is NULL" in r.key_problem and "2 row(s) of HoSo have a NULL key" in r.key_problem
                   for r in nulls)
        fives = [r for r in records if r.payload["Id"] == 5]
        assert len(fives) == 3
        for r in fives:
            others = [o.source_key for o in fives if o is not r]
            assert "key Id=5 is shared by 3 rows of HoSo" in r.key_problem
            assert all(o in r.key_problem for o in others) and r.source_key.startswith("5~")
        assert [r.key_problem for r in records if r.payload["Id"] in (1, 3, 4, 6, 7)] == [None] * 5
        # a batch's range reads the same rows again, the NULL-key pass included
        null_batch = [r for page in source.read_range(SPEC, (None,), (None,), batch_size=batch_size) for r in page]
        assert [r.source_key for r in null_batch] == [r.source_key for r in nulls]
        again = [r for page in source.read_range(SPEC, (4,), (6,), batch_size=batch_size) for r in page]
        assert sorted(r.source_key for r in again) == sorted(r.source_key for r in records
                                                               if r.payload["Id"] in (4, 5, 6))
    finally:
        source.close()


@pytest.mark.parametrize("key_type, keys, twice", [
    ("TEXT", ["b", "a", "ha-noi/01", "Hồ Chí Minh", "a", None, "10", "9"], "a"),
    ("REAL", [1.5, 0.25, 2.0, -3.75, 1.5, None, 1e20], 1.5),
])
def test_text_and_float_keys_page_over_every_row(legacy_url, key_type, keys, twice):
    if legacy_url.startswith("postgresql") and key_type == "REAL":
        key_type = "DOUBLE PRECISION"
    _legacy(legacy_url, keys, key_type)
    source = open_source("legacy", legacy_url)
    try:
        records = [r for page in source.read(SPEC, after=None, batch_size=2) for r in page]
        assert sorted(r.payload["SoHoSo"] for r in records) == [f"HS-{i:03d}" for i in range(len(keys))]
        shared = [r for r in records if r.payload["Id"] == twice]
        assert len(shared) == 2 and all(f"key Id={twice!r} is shared by 2 rows" in r.key_problem for r in shared)
        alone = [r for r in records if r.key_problem is None]
        assert len(alone) == len(keys) - 3  # two rows share a key, one has none
    finally:
        source.close()


# --- through the pipeline, into both stores ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory):
    from migrate.demo.generate import build_demo

    return build_demo(tmp_path_factory.mktemp("keys-portal"), scale=12, seed=7, files=True)[0]


def _without_primary_keys(db: Path) -> None:
    """Every table rebuilt from its rows alone: no primary key, no unique index, as some portals hold them."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            conn.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
            conn.execute(f'CREATE TABLE "{table}" AS SELECT * FROM "{table}_old"')
            conn.execute(f'DROP TABLE "{table}_old"')


def _copy_rows(conn, table: str, where: str, **changes) -> None:
    """Insert copies of the rows matching ``where`` with some columns changed."""
    columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    picked = ", ".join(f":{c}" if c in changes else f'"{c}"' for c in columns)
    conn.execute(f'INSERT INTO "{table}" SELECT {picked} FROM "{table}" WHERE {where}', changes)


def test_null_shared_and_unstorable_keys_are_quarantined_on_both_stores(demo_portal, store_url, tmp_path):
    db = tmp_path / demo_portal.db_path.name
    shutil.copy(demo_portal.db_path, db)
    _without_primary_keys(db)
    with sqlite3.connect(db) as conn:
        _copy_rows(conn, "TaiKhoan", "Id = 3", Id=None)  # a NULL key
        _copy_rows(conn, "TaiKhoan", "Id = 4", Id=None)
        _copy_rows(conn, "TaiKhoan", "Id = 5", TenDangNhap="copy-of-5")  # key 5 shared by two accounts
        _copy_rows(conn, "HoSo", "Id = 2", SoHoSo="copy-of-2")  # dossier 2 shared: its events are orphans
        _copy_rows(conn, "HoSo", "Id = 6", Id="k" * 500)  # a key longer than the lineage holds
        _copy_rows(conn, "HoSo", "Id = 7", Id="7\x00b")  # a key with a NUL character
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                  for t in ("TaiKhoan", "HoSo", "QuaTrinhXuLy")}
    manifest = dataclasses.replace(demo_portal, db_path=db)
    settings = demo_settings([manifest], store_url, tmp_path / "files", batch_size=4)
    report = pipeline.run(settings)
    assert not report.failed_batches, report.summary()
    store = schema.connect(store_url)
    result = conservation(store)
    assert result.ok, result.broken()
    balances = {b.entity: b for b in result.balances}
    assert balances["account"].source_count == counts["TaiKhoan"] == balances["account"].accounted
    assert balances["dossier"].source_count == counts["HoSo"] == balances["dossier"].accounted
    with store.connect() as conn:
        reasons = dict(conn.execute(select(quarantine.c.source_key, quarantine.c.reason)
                                    .where(quarantine.c.source_table.in_(["TaiKhoan", "HoSo"]))).all())
        fields = dict(conn.execute(select(quarantine.c.source_key, quarantine.c.field)).all())
        null_batches = [r.id for r in conn.execute(select(batch.c.id, batch.c.key_lo)) if r.key_lo == "[null]"]
        loaded_keys = set(conn.execute(select(lineage.c.source_key).where(
            lineage.c.source_table == "HoSo", lineage.c.outcome == "loaded")).scalars())
    nulls = [k for k in reasons if k.startswith("~null~")]
    assert len(nulls) == 2 and all("key Id is NULL" in reasons[k] and fields[k] == "Id" for k in nulls)
    assert all(other in reasons[k] for k in nulls for other in nulls if other != k)
    fives = [k for k in reasons if k.startswith("5~")]
    assert len(fives) == 2 and all("key Id=5 is shared by 2 rows of TaiKhoan" in reasons[k] for k in fives)
    twos = [k for k in reasons if k.startswith("2~")]
    assert len(twos) == 2 and all("key Id=2 is shared by 2 rows of HoSo" in reasons[k] for k in twos)
    assert "2" not in loaded_keys and "6" in loaded_keys and "7" in loaded_keys
    stand_ins = [reasons[k] for k in reasons if k.startswith("~key~")]
    assert len(stand_ins) == 2
    assert any("500 characters, longer than store column lineage.source_key" in r for r in stand_ins)
    assert any("NUL character" in r for r in stand_ins)
    assert len(null_batches) == 1  # the accounts' NULL-key rows: one batch
    # the NULL-key batches rerun like any other: nothing changes
    before = conservation(store).balances
    for batch_id in null_batches:
        row = pipeline.rerun(settings, batch_id)
        assert row.state == "loaded", row.error
    assert conservation(store).balances == before
    again = pipeline.run(settings)
    assert not again.failed_batches and conservation(store).balances == before
    store.dispose()
    # reconciliation reads the source again and finds every record under the key the store knows it by
    content = next(c for c in reconcile(store_url, tmp_path / "report", sources=settings.sources).checks
                   if type(c).__name__ == "ContentResult")
    assert content.ok and content.compared_with_source, content.as_dict()["problems"]


ACCOUNT_PROFILE = """
[source]
name = "pg-portal"
engine = "postgresql"
url_env = "HOPNHAT_SOURCE_PG_PORTAL_URL"
old_province = "35"

[entity.account]
table = "TaiKhoan"
key = ["Id"]
[entity.account.columns]
kind = "LoaiTaiKhoan"
username = "TenDangNhap"
full_name = "HoTen"
id_number = "SoCCCD"
province_code = "MaTinh"
district_code = "MaHuyen"
commune_code = "MaXa"
[entity.account.lookups.kind]
"1" = "citizen"
"2" = "business"
"3" = "staff"
"""


def test_a_postgresql_source_without_primary_key_into_both_stores(demo_portal, store_url, pg_url, tmp_path):
    columns = ["Id", "LoaiTaiKhoan", "TenDangNhap", "HoTen", "SoCCCD", "MaTinh", "MaHuyen", "MaXa"]
    with sqlite3.connect(demo_portal.db_path) as conn:
        rows = [dict(zip(columns, r)) for r in conn.execute(f"SELECT {', '.join(columns)} FROM TaiKhoan")]
    rows += [dict(rows[0], Id=None, TenDangNhap="no-key-1"), dict(rows[1], Id=None, TenDangNhap="no-key-2"),
             dict(rows[2], TenDangNhap="same-key")]  # two NULL keys, key of row 3 twice
    legacy = create_engine(pg_url)
    with legacy.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "TaiKhoan"'))
        conn.execute(text('CREATE TABLE "TaiKhoan" ("Id" INTEGER, ' + ", ".join(f'"{c}" TEXT' for c in columns[1:])
                          + ")"))
        conn.execute(text(f'INSERT INTO "TaiKhoan" VALUES ({", ".join(":" + c for c in columns)})'),
                     [{k: (None if v is None else v if k == "Id" else str(v)) for k, v in r.items()} for r in rows])
    legacy.dispose()
    profile = tmp_path / "pg-portal.toml"
    profile.write_text(ACCOUNT_PROFILE, encoding="utf-8")
    settings = Settings.load([profile], store=store_url, files_dir=tmp_path / "files", batch_size=7,
                             source_urls={"pg-portal": pg_url})
    assert not pipeline.run(settings).failed_batches
    store = schema.connect(store_url)
    result = conservation(store)
    assert result.ok, result.broken()
    (balance,) = result.balances
    assert balance.source_count == len(rows) == balance.accounted
    with store.connect() as conn:
        reasons = dict(conn.execute(select(quarantine.c.source_key, quarantine.c.reason)).all())
    store.dispose()
    key = rows[2]["Id"]
    assert len([k for k in reasons if k.startswith("~null~")]) == 2
    assert len([r for k, r in reasons.items() if k.startswith(f"{key}~")
                and f"key Id={key} is shared by 2 rows of TaiKhoan" in r]) == 2


def test_shared_and_null_keys_with_a_join_are_one_record_per_main_row(legacy_url):
    """A join multiplies rows: the rows of a shared key are still split by main-table row."""
    engine = create_engine(legacy_url)
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "HoSo"'))
        conn.execute(text('DROP TABLE IF EXISTS "DonVi"'))
        conn.execute(text('CREATE TABLE "HoSo" ("Id" INTEGER, "SoHoSo" VARCHAR(40), "DonViId" INTEGER)'))
        conn.execute(text('CREATE TABLE "DonVi" ("Ma" INTEGER PRIMARY KEY, "Ten" VARCHAR(40))'))
        conn.execute(text('INSERT INTO "DonVi" VALUES (1, :a), (2, :b)'), {"a": "Phủ Lý", "b": "Duy Tiên"})
        conn.execute(text('INSERT INTO "HoSo" VALUES (:k, :n, :d)'), [
            {"k": 1, "n": "HS-1", "d": 1}, {"k": 2, "n": "HS-2a", "d": 1}, {"k": 2, "n": "HS-2b", "d": 2},
            {"k": 3, "n": "HS-3", "d": 2}, {"k": None, "n": "HS-x", "d": 1}, {"k": None, "n": "HS-y", "d": 2}])
    engine.dispose()
    spec = EntitySpec(name="dossier", table="HoSo", key=("Id",),
                      columns={"dossier_no": "SoHoSo", "agency_name": "DonVi.Ten"},
                      joins=(Join("DonVi", (("DonViId", "Ma"),)),))
    source = open_source("legacy", legacy_url)
    try:
        records = [r for page in source.read(spec, after=None, batch_size=2) for r in page]
    finally:
        source.close()
    by_number = {r.payload["SoHoSo"]: r for r in records}
    assert sorted(by_number) == ["HS-1", "HS-2a", "HS-2b", "HS-3", "HS-x", "HS-y"]
    assert by_number["HS-2b"].payload["DonVi.Ten"] == "Duy Tiên"
    assert all("is shared by 2 rows" in by_number[n].key_problem for n in ("HS-2a", "HS-2b"))
    assert all("is NULL" in by_number[n].key_problem for n in ("HS-x", "HS-y"))
    assert by_number["HS-1"].key_problem is None and by_number["HS-3"].key_problem is None


def _planned(source, spec: EntitySpec, batch_size: int) -> list[tuple[tuple, list]]:
    """Batches as a worker plans them (the next page's key range, from the keys alone), each read by its range."""
    out, after = [], None
    while (bounds := source.bounds(spec, after=after, batch_size=batch_size)) is not None:
        out.append((bounds, [r for page in source.read_range(spec, *bounds, batch_size=batch_size) for r in page]))
        after = bounds[1]
    return out


@pytest.mark.parametrize("batch_size", [1, 2, 3, 100])
def test_batches_planned_from_the_keys_alone_read_the_pages(legacy_url, batch_size):
    """Shared keys, NULL keys and a join that matches several rows: each planned key range is a page's."""
    _legacy(legacy_url, KEYS)
    engine = create_engine(legacy_url)
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "DonVi"'))
        conn.execute(text('CREATE TABLE "DonVi" ("Ma" INTEGER, "Ten" VARCHAR(40))'))  # Ma 1 twice: rows multiply
        conn.execute(text('INSERT INTO "DonVi" VALUES (1, :a), (1, :b), (2, :c)'), {"a": "A", "b": "B", "c": "C"})
    engine.dispose()
    joined = EntitySpec(name="dossier", table="HoSo", key=("Id",), columns={"dossier_no": "SoHoSo",
                        "agency_name": "DonVi.Ten"}, joins=(Join("DonVi", (("Id", "Ma"),)),))
    source = open_source("legacy", legacy_url)
    try:
        for spec in (SPEC, joined):
            pages = list(source.read(spec, after=None, batch_size=batch_size))
            planned = _planned(source, spec, batch_size)
            assert [bounds for bounds, _ in planned] == [(p[0].key, p[-1].key) for p in pages]
            # the rows of a shared key come in no set order (the table has no primary key): their lineage keys
            assert [sorted(r.source_key for r in records) for _, records in planned] == \
                [sorted(r.source_key for r in p) for p in pages]
            assert is_null_key(planned[-1][0][0])  # the NULL-key pass is the last batch
    finally:
        source.close()
