"""How a run decides to read a part (delta or full) and what its key comparison finds, on a generated table."""

from __future__ import annotations

import sqlite3

import pytest

from migrate import pipeline
from migrate.bench.wide import TABLE, build_source, profile_text
from migrate.config import Settings
from migrate.delta import MAX_RANGES, minus_margin
from migrate.keydiff import set_apart
from reconciliation.checks import conservation
from sqlalchemy import create_engine


@pytest.mark.parametrize("watermark, margin, moved", [
    ("2025-06-30 12:00:00", 3600, "2025-06-30 11:00:00"),
    ("2025-06-30T00:30:00", 3600, "2025-06-29T23:30:00"),
    ("2025-07-01", 3600, "2025-06-30"),            # a date moves by whole days, rounded up
    ("2025-07-01", 0, "2025-07-01"),
    (1234567, 3600, 1234567),                     # a row version: seconds mean nothing to it
    ("v-17", 3600, "v-17"),                       # neither a time nor a date: read from it as it is
])
def test_the_margin_moves_timestamps_and_dates_back_and_leaves_other_watermarks(watermark, margin, moved):
    assert minus_margin(watermark, margin) == moved


@pytest.mark.parametrize("key, apart", [
    ("17", False), ('["A", 3]', False), ("nguyen~van", False),
    ("~null~3f2a9c0d1b4e", True), ("7~3f2a9c0d1b4e", True), ("7~3f2a9c0d1b4e#2", True), ("~key~0123abcd", True),
])
def test_set_apart_lineage_keys_are_left_out_of_the_comparison(key, apart):
    assert set_apart(key) is apart


def _settings(tmp_path, source, **kw) -> Settings:
    profile = tmp_path / "wide.toml"
    profile.write_text(profile_text(), "utf-8")
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    return Settings.load([profile], store=store, files_dir=tmp_path / "files",
                         source_urls={"wide-portal": f"sqlite:///{source}"}, environ={}, **kw)


def test_additions_without_a_watermark_spread_over_many_ranges_make_a_full_read(tmp_path, sqlite_store):
    source = tmp_path / "wide.sqlite"
    build_source(source, 2 * MAX_RANGES + 100)
    db = sqlite3.connect(source, isolation_level=None)
    db.execute(f'CREATE TABLE later AS SELECT * FROM "{TABLE}" WHERE "Id" % 2 = 1 AND "Id" < {2 * MAX_RANGES + 80}')
    db.execute(f'DELETE FROM "{TABLE}" WHERE "Id" IN (SELECT "Id" FROM later)')
    held = db.execute(f'SELECT count(*) FROM "{TABLE}"').fetchone()[0]
    back = db.execute("SELECT count(*) FROM later").fetchone()[0]
    settings = _settings(tmp_path, source)  # the store: sqlite_store, tmp_path / "store.sqlite"
    first = pipeline.run(settings).results[0]
    assert first.plan.reason == "first load" and first.counts.extracted == held
    # the odd rows come back with their old watermarks, each between two rows the store holds
    db.execute(f'INSERT INTO "{TABLE}" SELECT * FROM later')
    db.execute(f'DELETE FROM "{TABLE}" WHERE "Id" = {2 * MAX_RANGES + 90}')
    total = db.execute(f'SELECT count(*) FROM "{TABLE}"').fetchone()[0]
    db.close()
    second = pipeline.run(settings).results[0]
    assert second.plan.mode == "full" and f"more than {MAX_RANGES} key ranges" in second.plan.reason
    # the few whose old watermark still falls after the last one minus the margin would be read anyway
    assert second.plan.added == back and MAX_RANGES < second.plan.unreached <= back and second.plan.deleted == 1
    assert second.counts.extracted == total == second.source_count and second.carried == 0
    engine = create_engine(settings.store_url)
    result = conservation(engine)
    engine.dispose()
    assert result.ok, result.broken()
    (balance,) = result.balances
    assert balance.deleted_in_source == 1 and balance.extracted == total


def test_a_changed_profile_is_read_in_full(tmp_path, sqlite_store):
    source = tmp_path / "wide.sqlite"
    build_source(source, 50)
    settings = _settings(tmp_path, source)  # the store: sqlite_store, tmp_path / "store.sqlite"
    pipeline.run(settings)
    profile = settings.sources[0].profile.path
    profile.write_text(profile.read_text("utf-8").replace('status = "TrangThai"\n', ""), "utf-8")
    again = pipeline.run(_settings_again(settings, tmp_path, source)).results[0]
    assert again.plan.mode == "full" and again.plan.reason == "the profile changed since the last run"
    assert again.counts.extracted == 50 and again.plan.compared and again.plan.kept == 50


def _settings_again(settings: Settings, tmp_path, source) -> Settings:
    return Settings.load([settings.sources[0].profile.path], store=settings.store_url, files_dir=tmp_path / "files",
                         source_urls={"wide-portal": f"sqlite:///{source}"}, environ={})
