"""TEXT that is not UTF-8 in an SQLite portal: the page is read, the record is quarantined with its field.

SQLite keeps whatever bytes a legacy application wrote into a TEXT column; the
driver's default would refuse the whole page (``Could not decode to UTF-8``).
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3

import pytest
from sqlalchemy import select

from adapters import open_source
from migrate import pipeline
from migrate.core.records import EntitySpec
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import lineage, quarantine
from reconciliation.checks import conservation

NOT_UTF8 = bytes.fromhex("4e677579ea6e2056ff6e20c3")  # "Nguyễn Văn" as a legacy encoding wrote it, cut short


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory):
    from migrate.demo.generate import build_demo

    return build_demo(tmp_path_factory.mktemp("utf8-portal"), scale=8, seed=3, files=True)[0]


def _spoil(db, table: str, column: str, key: int) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(f'UPDATE "{table}" SET "{column}" = CAST(? AS TEXT) WHERE Id = ?', (NOT_UTF8, key))
        assert conn.execute(f'SELECT typeof("{column}") FROM "{table}" WHERE Id = ?', (key,)).fetchone()[0] == "text"


@pytest.mark.parametrize("text_mode", ["none", "auto"])
def test_a_page_with_text_that_is_not_utf8_is_read(demo_portal, tmp_path, text_mode):
    db = tmp_path / "portal.sqlite"
    shutil.copy(demo_portal.db_path, db)
    _spoil(db, "TaiKhoan", "HoTen", 3)
    spec = EntitySpec(name="account", table="TaiKhoan", key=("Id",), columns={"full_name": "HoTen"}, text=text_mode)
    source = open_source("portal", f"sqlite:///{db}")
    try:
        records = [r for page in source.read(spec, after=None, batch_size=5) for r in page]
    finally:
        source.close()
    with sqlite3.connect(db) as conn:
        assert len(records) == conn.execute("SELECT COUNT(*) FROM TaiKhoan").fetchone()[0]
    spoiled = next(r for r in records if r.key == (3,))
    assert spoiled.payload["HoTen"].encode("utf-8", "surrogateescape") == NOT_UTF8  # the bytes can be had back


def test_the_record_is_quarantined_with_its_field_on_both_stores(demo_portal, store_url, tmp_path):
    db = tmp_path / demo_portal.db_path.name
    shutil.copy(demo_portal.db_path, db)
    _spoil(db, "TaiKhoan", "HoTen", 3)
    _spoil(db, "HoSo", "DiaChi", 2)
    settings = demo_settings([dataclasses.replace(demo_portal, db_path=db)], store_url, tmp_path / "files",
                             batch_size=10)
    report = pipeline.run(settings)
    assert not report.failed_batches, report.summary()
    store = schema.connect(store_url)
    assert conservation(store).ok
    with store.connect() as conn:
        entries = {(r.source_table, r.source_key): r for r in conn.execute(
            select(quarantine.c.source_table, quarantine.c.source_key, quarantine.c.field, quarantine.c.reason,
                   quarantine.c.raw_payload))}
        loaded = set(conn.execute(select(lineage.c.source_table, lineage.c.source_key)
                                  .where(lineage.c.outcome == "loaded")).all())
    store.dispose()
    account, dossier = entries[("TaiKhoan", "3")], entries[("HoSo", "2")]
    assert account.field == "full_name" and "rule text:not-utf8" in account.reason
    assert dossier.field == "address" and "rule text:not-utf8" in dossier.reason
    assert account.raw_payload["HoTen"] == "Nguy\\udcean V\\udcffn \\udcc3"  # the bytes, escaped
    assert ("TaiKhoan", "4") in loaded and ("HoSo", "3") in loaded  # the rest of their pages loaded


def test_rows_before_and_after_the_text_that_is_not_utf8_come_once_each(tmp_path):
    """SQLite decodes a page's TEXT itself; the statement that meets bytes that are not UTF-8 runs again with
    the adapter's decoding and goes on from the row it stopped at, however the rows are fetched."""
    from adapters.sqlite import _connect_ro

    db = tmp_path / "portal.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"Nguyễn {i}") for i in range(1, 8)])
    _spoil(db, "t", "name", 4)
    expected = [(i, f"Nguyễn {i}") if i != 4 else (4, NOT_UTF8.decode("utf-8", "surrogateescape")) for i in range(1, 8)]
    uri = db.resolve().as_uri() + "?mode=ro"
    sql = "SELECT id, name FROM t ORDER BY id"
    fetched = {
        "fetchall": lambda c: c.execute(sql).fetchall(),
        "fetchmany": lambda c: _many(c.cursor().execute(sql)),
        "fetchone": lambda c: list(iter(c.cursor().execute(sql).fetchone, None)),
        "iteration": lambda c: list(c.cursor().execute(sql)),
    }
    for how, fetch in fetched.items():
        conn = _connect_ro(uri)
        try:
            assert fetch(conn) == expected, how
            assert conn.execute(sql).fetchall() == expected, how  # the connection decodes that way from then on
        finally:
            conn.close()


def _many(cursor) -> list:
    rows: list = []
    for n in (2, 2, 1, 5):
        rows += cursor.fetchmany(n)
    return rows
