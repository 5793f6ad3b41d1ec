"""The key comparison of a delta run gives the same answer on both stores (scratch SQLite file, or inside the
store's PostgreSQL), for keys of several columns holding text COPY must escape (tab, newline, backslash),
non-ASCII text, a NUL character, and integers."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, select

from migrate import pipeline
from migrate.config import Settings
from migrate.store.models import source_deletion
from reconciliation.checks import conservation

PROFILE = """
[source]
name = "keys-portal"
engine = "sqlite"
url_env = "HOPNHAT_SOURCE_KEYS_URL"
old_province = "35"

[entity.dossier]
table = "HoSo"
key = ["Ma", "So"]
modified = "NgayCapNhat"

[entity.dossier.columns]
dossier_no = "SoHoSo"
modified_at = "NgayCapNhat"

[entity.dossier.convert]
modified_at = "datetime"
"""
OLD = "2024-01-01 08:00:00"  # older than every watermark: a record added with it is found by key
ODD = ["a\tb", "c\nd", "e\\f", "Hà Nam ư", 'q"uote']  # text COPY's text form must escape or pass through


def _legacy(path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute('CREATE TABLE "HoSo" ("Ma" TEXT, "So" INTEGER, "SoHoSo" TEXT, "NgayCapNhat" TEXT, '
               'PRIMARY KEY ("Ma", "So"))')
    rows = [(ma, so, f"HS-{i:04d}", f"2025-06-{1 + i % 28:02d} 10:00:00")
            for i, (ma, so) in enumerate((ma, so) for ma in ["A", "B", *ODD] for so in range(1, 6))]
    db.executemany('INSERT INTO "HoSo" VALUES (?, ?, ?, ?)', rows)
    return db


def _settings(tmp_path, store_url, source) -> Settings:
    profile = tmp_path / "keys.toml"
    profile.write_text(PROFILE, "utf-8")
    return Settings.load([profile], store=store_url, files_dir=tmp_path / "files",
                         source_urls={"keys-portal": f"sqlite:///{source}"}, environ={}, delta_margin=0)


def test_a_delta_finds_added_and_deleted_keys_of_several_columns_on_both_stores(tmp_path, store_url):
    source = tmp_path / "legacy.sqlite"
    db = _legacy(source)
    settings = _settings(tmp_path, store_url, source)
    first = pipeline.run(settings).results[0]
    assert first.plan.reason == "first load" and first.counts.extracted == 35

    newest = db.execute('SELECT max("NgayCapNhat") FROM "HoSo"').fetchone()[0]
    at_newest = db.execute('SELECT count(*) FROM "HoSo" WHERE "NgayCapNhat" = ?', (newest,)).fetchone()[0]
    db.execute('DELETE FROM "HoSo" WHERE ("Ma", "So") IN (VALUES (?, 2), (?, 4))', (ODD[0], ODD[2]))
    # added with an old watermark: two next to each other in key order (So 6 and 7 of "c\nd"), one apart
    db.executemany('INSERT INTO "HoSo" VALUES (?, ?, ?, ?)',
                   [(ODD[1], 6, "HS-new-1", OLD), (ODD[1], 7, "HS-new-2", OLD), (ODD[3], 9, "HS-new-3", OLD)])
    db.execute('UPDATE "HoSo" SET "SoHoSo" = \'HS-changed\', "NgayCapNhat" = \'2025-07-01 09:00:00\' '
               'WHERE "Ma" = ? AND "So" = 1', (ODD[4],))
    second = pipeline.run(settings).results[0]
    p = second.plan
    assert p.mode == "delta" and p.compared
    assert (p.kept, p.added, p.unreached, p.deleted, p.marked, p.back) == (33, 3, 3, 2, 2, 0)
    assert set(p.ranges) == {((ODD[1], 6), (ODD[1], 7)), ((ODD[3], 9), (ODD[3], 9))}
    # read: the three added by key, the one modified, those at the last watermark (read from it, inclusive)
    assert second.counts.extracted == 4 + at_newest and second.carried == 32 - at_newest
    assert second.source_count == 36
    engine = create_engine(settings.store_url)
    with engine.connect() as conn:
        marked = set(conn.execute(select(source_deletion.c.source_key)).scalars())
    assert marked == {f'["{ODD[0]}", 2]'.replace("\t", "\\t"), f'["{ODD[2]}", 4]'.replace("\\", "\\\\")}

    db.execute('INSERT INTO "HoSo" VALUES (?, 2, \'HS-back\', ?)', (ODD[0], OLD))  # back, with an old watermark
    db.close()
    third = pipeline.run(settings).results[0]
    p = third.plan
    assert (p.kept, p.added, p.unreached, p.deleted, p.marked, p.back) == (37, 0, 0, 1, 0, 1)
    with engine.connect() as conn:
        marked = set(conn.execute(select(source_deletion.c.source_key)).scalars())
    assert marked == {f'["{ODD[2]}", 4]'.replace("\\", "\\\\")}
    result = conservation(engine)
    engine.dispose()
    assert result.ok, result.broken()
    (balance,) = result.balances
    assert balance.deleted_in_source == 1 and balance.extracted == balance.source_count == 37


def test_the_comparison_in_postgresql_gives_back_the_transactions_memory_setting(tmp_path, pg_store):
    """The full join of both sides' keys runs with more work_mem than the server's default; the run's
    snapshot transaction goes on with the setting it had."""
    from migrate.keydiff import compare_keys
    from migrate.store import schema
    from adapters import open_source

    source = tmp_path / "legacy.sqlite"
    _legacy(source).close()
    settings = _settings(tmp_path, pg_store, source)
    pipeline.run(settings)
    spec = settings.sources[0].profile.entities["dossier"]
    adapter = open_source("keys-portal", f"sqlite:///{source}")
    engine = schema.connect(pg_store)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL work_mem = '1234kB'")
            diff = compare_keys(conn, adapter, spec, source="keys-portal", run_id=1, since=None, scratch=None,
                                now=None, max_ranges=100)
            assert conn.exec_driver_sql("SHOW work_mem").scalar_one() == "1234kB"
    finally:
        adapter.close()
        engine.dispose()
    assert diff.compared and (diff.kept, diff.added, diff.deleted) == (35, 0, 0)


INT_PROFILE = PROFILE.replace('key = ["Ma", "So"]', 'key = ["Id"]')


def test_integer_keys_written_as_the_sources_own_text_give_the_same_answer_on_both_stores(tmp_path, store_url,
                                                                                          monkeypatch):
    """On a PostgreSQL store an SQLite source's integer keys reach the server as the text SQLite builds
    (``SqlSource.key_lines``), numbered by the server in their order; a page holding a key that is not an
    integer (an INT column keeps any value in SQLite) goes as rows. Pages of 4 keys: several of each kind."""
    import migrate.keydiff

    monkeypatch.setattr(migrate.keydiff, "PAGE", 4)
    source = tmp_path / "legacy.sqlite"
    db = sqlite3.connect(source, isolation_level=None)
    db.execute('CREATE TABLE "HoSo" ("Id" INT PRIMARY KEY, "SoHoSo" TEXT, "NgayCapNhat" TEXT)')  # INT: no rowid alias
    db.executemany('INSERT INTO "HoSo" VALUES (?, ?, ?)',
                   [(i, f"HS-{i}", f"2025-06-{i:02d} 10:00:00") for i in (*range(1, 13), 24)] + [("x7", "HS-x7", OLD)])
    profile = tmp_path / "keys.toml"
    profile.write_text(INT_PROFILE, "utf-8")
    settings = Settings.load([profile], store=store_url, files_dir=tmp_path / "files",
                             source_urls={"keys-portal": f"sqlite:///{source}"}, environ={}, delta_margin=0)
    assert pipeline.run(settings).results[0].counts.extracted == 14

    db.execute('DELETE FROM "HoSo" WHERE "Id" IN (3, 8, \'x7\')')
    db.executemany('INSERT INTO "HoSo" VALUES (?, ?, ?)',
                   [(20, "HS-20", OLD), (21, "HS-21", OLD), (25, "HS-25", OLD), ("y9", "HS-y9", OLD)])
    db.execute('UPDATE "HoSo" SET "SoHoSo" = \'HS-5b\', "NgayCapNhat" = \'2025-07-01 09:00:00\' WHERE "Id" = 5')
    db.close()
    second = pipeline.run(settings).results[0]
    p = second.plan
    assert p.mode == "delta" and p.compared
    assert (p.kept, p.added, p.unreached, p.deleted, p.marked) == (11, 4, 4, 3, 3)
    # in the source's order 12, 20, 21, 24, 25, y9: two ranges, 24 (held) between them
    assert set(p.ranges) == {((20,), (21,)), ((25,), ("y9",))}
    engine = create_engine(settings.store_url)
    with engine.connect() as conn:
        marked = set(conn.execute(select(source_deletion.c.source_key)).scalars())
    result = conservation(engine)
    engine.dispose()
    assert marked == {"3", "8", "x7"}
    assert result.ok, result.broken()
    # read: the four added, 5 modified, 12 at the last watermark (read from it, inclusive)
    assert second.counts.extracted == 6 and second.source_count == 15
