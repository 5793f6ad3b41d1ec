"""Property: whatever bad rows a legacy portal holds, every one is accounted for and no batch fails for a row.

Hypothesis generates rows of every legacy table of a real demo portal (a copy
of its SQLite file) from values legacy data really holds: NUL characters,
binary values that are or are not UTF-8, 1 MB and over-long text, emoji,
SQL-like text, integers past 64 bits, ``1e20``, ``inf``, ``nan``, fractions,
impossible and implausible dates, attachment paths past the file-name limit,
children of missing parents, and keys legacy tables really hold once their
primary key is gone (the copy's tables are rebuilt without one): NULL, shared
by several rows, text, float, too long for the lineage. Each example is
migrated into a fresh real store, SQLite and the suite's PostgreSQL, and must
end with no exception, no failed batch, conservation holding for every entity
and every quarantine entry carrying its raw payload, field and reason.

The default run generates 80 rows per store (2 examples of 8 rows in each of
the 5 tables); ``-m slow`` 10,000 per store (2 examples of 1,000 rows per table, assembled
from values drawn per column)
and prints what became of them per store. Examples are not shrunk (a failing
one is printed whole): shrinking megabyte rows takes longer than the run.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from migrate import pipeline
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import quarantine
from reconciliation.checks import conservation, reason_kind

HUGE = "Nguyễn Văn A " * 80_000  # about 1 MB

TEXT = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.builds(lambda n, c: c * n, st.integers(101, 700), st.sampled_from("xđ😀")),  # past the column lengths
    st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=6), st.text(max_size=6)),
    st.sampled_from(["😀🏠 Hồ sơ", "'; DROP TABLE HoSo; --", "Robert'); --", " ", "", "NULL", "\u0301a", HUGE,
                     "base64:not really", "x" * 5000]),
    st.binary(max_size=12),  # BLOBs: invalid UTF-8 mostly
    st.text(max_size=8).map(lambda t: t.encode("utf-8", "surrogatepass")),  # BLOBs holding (mostly) UTF-8 text
)
NUMBER = st.one_of(
    st.none(), st.integers(-(2 ** 63), 2 ** 63 - 1), st.sampled_from([2 ** 63 - 1, -(2 ** 63)]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e20, float("inf"), float("-inf"), 3.5]),
    st.sampled_from(["1e20", "12 KB", "abc", "-1"]), st.binary(max_size=8),
)
DATE = st.one_of(
    st.none(),
    st.sampled_from(["31/02/2024", "0000-00-00", "0000-00-00 00:00:00", "2999-12-31 23:59:59", "1850-01-01",
                     "01/01/1899", "9999-12-31 23:59:59", "2024-02-30 10:00:00", "32/13/2020", "yesterday",
                     "2023-05-04 08:30:00", "15/06/2021", "1970-01-01 00:00:00"]),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")), st.integers(), st.floats(),
)
KEY = st.one_of(  # a table without a primary key holds any of these; None draws a fresh whole number
    st.none(), st.none(), st.none(), st.just("NULL"), st.integers(1, 30), st.text(max_size=6),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["k" * 450, "7\x00b", 2 ** 62, -1.5]),
)
CODE = st.one_of(st.none(), st.sampled_from(["35", "13291", "13285", "36", "99999", "0", "00004"]), TEXT)
KIND = st.one_of(st.sampled_from(["1", "2", "3", "4", "", "citizen"]), TEXT.filter(lambda v: v is not None))

COLUMN_VALUES = {  # per legacy column name of the demo portal; any other column takes TEXT
    "Ngay": DATE, "KichThuoc": NUMBER, "TaiKhoanId": st.one_of(st.integers(-5, 400), NUMBER, TEXT),
    "HoSoId": st.one_of(st.integers(-5, 400), NUMBER, TEXT), "MaTinh": CODE, "MaHuyen": CODE, "MaXa": CODE,
    "LoaiTaiKhoan": KIND, "TrangThai": st.one_of(st.sampled_from(["1", "5", "7"]), TEXT), "ThoiGian": DATE,
    "DuongDan": st.one_of(TEXT, st.sampled_from(["a/" + "x" * 300 + ".pdf", "../../etc/passwd", "/abs.pdf"])),
}


def _strategy(column: str):
    for prefix, strategy in COLUMN_VALUES.items():
        if column.startswith(prefix):
            return strategy
    return TEXT


def _not_null(value):
    return "" if value is None else value


def _tables(db: Path) -> dict[str, list[tuple[str, bool]]]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [(r[1], bool(r[3])) for r in conn.execute(f'PRAGMA table_info("{t}")') if r[1] != "Id"]
                for t in names}


def _without_primary_keys(db: Path) -> None:
    """Every table rebuilt from its rows alone (no primary key, no NOT NULL): any key can be inserted."""
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            conn.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
            conn.execute(f'CREATE TABLE "{table}" AS SELECT * FROM "{table}_old"')
            conn.execute(f'DROP TABLE "{table}_old"')


def _column_strategies(columns: list[tuple[str, bool]], keys: bool) -> dict:
    return {**({"Id": KEY} if keys else {}),
            **{name: _strategy(name).map(_not_null) if required else _strategy(name) for name, required in columns}}


def bad_rows(columns: list[tuple[str, bool]], size: int, keys: bool):
    return st.lists(st.fixed_dictionaries(_column_strategies(columns, keys)), min_size=size, max_size=size)


POOL = 5  # values drawn per column when rows are assembled from pools


def pooled_rows(columns: list[tuple[str, bool]], size: int, keys: bool):
    """``size`` rows assembled from a few drawn values per column by a drawn random: many rows per example
    without running out of hypothesis's choices per example (a row drawn whole costs hundreds)."""
    pools = st.fixed_dictionaries({name: st.lists(strategy, min_size=POOL, max_size=POOL)
                                   for name, strategy in _column_strategies(columns, keys).items()})

    def assemble(drawn):
        values, seed = drawn
        rnd = random.Random(seed)  # a drawn seed: each of its calls would otherwise be a choice of the example
        rows = []
        for _ in range(size):
            row = {name: rnd.choice(pool) for name, pool in values.items()}
            if "Id" in row and rnd.random() < 0.6:
                row["Id"] = None  # most rows keep a fresh whole-number key
            rows.append(row)
        return rows

    return st.tuples(pools, st.integers(0, 2 ** 32)).map(assemble)


def _storable_in_sqlite(value):
    """An integer past 64 bits is written as its digits, as a legacy application would have had to."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2 ** 63) <= value < 2 ** 63:
        return str(value)
    return value


def _insert(db: Path, table: str, rows: list[dict]) -> int:
    with sqlite3.connect(db) as conn:
        start = conn.execute(f'SELECT COALESCE(MAX(Id), 0) FROM "{table}" WHERE typeof(Id) = \'integer\'')\
            .fetchone()[0] + 1
        for i, row in enumerate(rows):
            key = row.pop("Id", None)
            key = None if key == "NULL" else (start + i if key is None else key)
            names = ["Id", *row]
            conn.execute(f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})',
                         [_storable_in_sqlite(v) for v in (key, *row.values())])
    return len(rows)


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    from migrate.demo.generate import build_demo

    return build_demo(tmp_path_factory.mktemp("fuzz-portal"), scale=30, seed=12, files=True)[0]


def _stores(request, tmp: Path):
    """A fresh SQLite store and a fresh PostgreSQL database."""
    sqlite_url = f"sqlite:///{tmp / 'store.sqlite'}"
    schema.upgrade(schema.connect(sqlite_url, create=True))
    yield "sqlite", sqlite_url
    server = request.getfixturevalue("pg_server")
    from pytest_postgresql.janitor import DatabaseJanitor

    janitor = DatabaseJanitor(user="postgres", host="127.0.0.1", port=server.port,
                              dbname=f"f_{uuid.uuid4().hex[:12]}", password=None)
    janitor.init()
    try:
        url = server.url(janitor.dbname)
        engine = schema.connect(url)
        schema.upgrade(engine)
        engine.dispose()
        yield "postgresql", url
    finally:
        janitor.drop()


def migrate_bad_rows(request, portal, data, rows_per_table: int, tally: dict, keyless: bool | None = None,
                     pooled: bool = False) -> None:
    """``keyless``: rebuild the copy's tables without primary keys (None: hypothesis draws it);
    ``pooled``: rows assembled from drawn values (:func:`pooled_rows`) rather than drawn whole."""
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"hopnhat-fuzz-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        db = work / portal.db_path.name
        shutil.copy(portal.db_path, db)
        keys = data.draw(st.booleans(), label="tables without primary key") if keyless is None else keyless
        if keys:
            _without_primary_keys(db)
        generated = 0
        for table, columns in _tables(db).items():
            rows = (pooled_rows if pooled else bad_rows)(columns, rows_per_table, keys)
            generated += _insert(db, table, data.draw(rows, label=table))
        manifest = dataclasses.replace(portal, db_path=db)
        for engine_name, url in _stores(request, work):
            settings_ = demo_settings([manifest], url, work / f"files-{engine_name}", batch_size=40)
            report = pipeline.run(settings_)  # no exception escapes
            assert not report.failed_batches, report.summary()
            engine = schema.connect(url)
            result = conservation(engine)
            assert result.ok, result.broken()
            with engine.connect() as conn:
                entries = conn.execute(select(quarantine.c.raw_payload, quarantine.c.field,
                                              quarantine.c.reason)).all()
                assert conn.execute(select(func.count()).select_from(quarantine)).scalar_one() == len(entries)
            engine.dispose()
            assert all(payload and field and reason for payload, field, reason in entries)
            figures = tally.setdefault(engine_name, {"generated": 0, "source": 0, "loaded": 0, "merged": 0,
                                                     "excluded": 0, "quarantined": {}})
            figures["generated"] += generated
            for key in ("loaded", "merged", "excluded"):
                figures[key] += sum(getattr(b, key) for b in result.balances)
            figures["source"] += sum(b.source_count for b in result.balances)
            for _, field, reason in entries:
                kind = f"{field}: {reason_kind(reason)}"[:90]
                figures["quarantined"][kind] = figures["quarantined"].get(kind, 0) + 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
          HealthCheck.large_base_example]


@pytest.mark.postgresql
@settings(max_examples=2, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=HEALTH)
@given(data=st.data())
def test_bad_rows_are_accounted_for_on_both_stores(request, portal, data):
    migrate_bad_rows(request, portal, data, rows_per_table=8, tally={}, keyless=True)


SLOW_TALLY: dict = {}  # what became of the rows so far, over the slow test's examples


@pytest.mark.slow
@pytest.mark.postgresql
@settings(max_examples=2, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=HEALTH)
@given(data=st.data())
def test_ten_thousand_bad_rows_are_accounted_for_on_both_stores(request, portal, data, capsys):
    migrate_bad_rows(request, portal, data, rows_per_table=1000, tally=SLOW_TALLY, pooled=True)
    with capsys.disabled():  # the figures so far; the last example's are the whole run's
        for engine_name, figures in SLOW_TALLY.items():
            print(f"\n{engine_name}: {figures['generated']} bad rows generated; source rows (portal included) "
                  f"{figures['source']} = loaded {figures['loaded']} + merged {figures['merged']} + quarantined "
                  f"{sum(figures['quarantined'].values())} + excluded {figures['excluded']}")
            for kind, n in sorted(figures["quarantined"].items(), key=lambda item: -item[1])[:25]:
                print(f"  {n:>6}  {kind}")
