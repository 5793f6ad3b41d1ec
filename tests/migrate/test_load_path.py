"""The fast load path: batches read ahead (and held from other workers meanwhile), planner statistics kept fresh, key lookups through the index."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import func, select, text

from mappings.units import UnitTable
from migrate import ledger, pipeline, workers
from migrate.leases import LEASE_CLASS
from migrate.demo.flow import demo_settings
from migrate.load import Statistics
from migrate.store import schema
from migrate.store.models import batch, dossier
from migrate.store.inlist import one_of
from tests.identifiers import identifier_rows


def test_statistics_are_due_as_tables_double():
    stats = Statistics(first=100)
    assert stats.loaded("dossier", ledger.Counts(extracted=60)) == []
    due = stats.loaded("dossier", ledger.Counts(extracted=60))
    assert due == ["dossier", "lineage", "quarantine", "review_item"]
    stats._analyzed.update({t: 120 for t in due})  # what refresh records on PostgreSQL
    for t in due:
        stats._written.pop(t)
    assert stats.loaded("dossier", ledger.Counts(extracted=100)) == []
    assert "dossier" in stats.loaded("dossier", ledger.Counts(extracted=20))  # 120 written since: doubled
    assert "account_alias" in stats.loaded("account", ledger.Counts(extracted=500))


def test_pages_read_ahead_load_the_same_as_without(sqlite_store, demo_portals, tmp_path, monkeypatch):
    taken = []
    original = workers.Worker._take_ahead

    def spy(self, source, spec, after):
        got = original(self, source, spec, after)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(workers.Worker, "_take_ahead", spy)
    settings = demo_settings(demo_portals[:1], sqlite_store, tmp_path / "files", batch_size=40)
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    assert sum(taken) > 10  # most pages after the first of each entity came from the read-ahead
    engine = schema.connect(sqlite_store)
    with engine.connect() as conn:
        rows = conn.execute(select(batch.c.entity, batch.c.key_lo, batch.c.key_hi)
                            .order_by(batch.c.id)).all()
    by_entity: dict[str, list] = {}
    for entity, lo, hi in rows:
        by_entity.setdefault(entity, []).append((ledger.decode(lo), ledger.decode(hi)))
    for ranges in by_entity.values():  # consecutive, non-overlapping key ranges: nothing read twice or skipped
        assert all(prev[1] < nxt[0] for prev, nxt in zip(ranges, ranges[1:]))
    for r in report.results:
        assert r.counts.extracted == r.source_count


def test_looked_up_tables_get_statistics_on_postgresql(pg_store, demo_portals, tmp_path, monkeypatch):
    monkeypatch.setattr(Statistics.__init__, "__defaults__", (50,))  # demo-sized tables: refresh early
    settings = demo_settings(demo_portals[:1], pg_store, tmp_path / "files", batch_size=60)
    assert pipeline.run(settings).ok
    engine = schema.connect(pg_store)
    with engine.connect() as conn:
        analyzed = conn.execute(text("SELECT tablename FROM pg_stats WHERE attname = 'source_key'")).scalars().all()
        assert {"dossier", "lineage", "account"} <= set(analyzed)
        keys = [str(k) for k in range(1, 61)]
        stmt = select(dossier.c.source_key, dossier.c.id).where(
            dossier.c.source_system == "hanam-portal", dossier.c.source_table == "HoSo",
            one_of(conn, dossier.c.source_key, keys))
        assert "= ANY (" in str(stmt.compile(conn))  # one array parameter, not 60
        plain = select(dossier.c.source_key, dossier.c.id).where(dossier.c.source_key.in_(keys))
        assert 40 < len(conn.execute(stmt).all()) <= 60
        assert set(conn.execute(stmt).all()) == set(conn.execute(plain).all())


def test_a_store_with_statistics_is_not_analyzed_again_for_a_few_rows(pg_store, demo_portals, tmp_path):
    settings = demo_settings(demo_portals[:1], pg_store, tmp_path / "files", batch_size=60)
    assert pipeline.run(settings).ok
    engine = schema.connect(pg_store)

    def analyzed() -> int:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return conn.execute(text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'lineage'")
                                ).scalar_one()

    def refresh(step) -> None:  # the backend's counters reach the shared statistics when its transaction ends
        with engine.begin() as conn:
            step(conn)
            conn.execute(text("SELECT pg_stat_force_next_flush()"))

    refresh(lambda conn: conn.execute(text("ANALYZE lineage")))
    with engine.connect() as conn:
        size = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'lineage'")).scalar_one()
    before = analyzed()
    stats = Statistics(first=10)  # a delta run's worker: its first batch of 20 records
    due = stats.loaded("dossier", ledger.Counts(extracted=20))
    assert "lineage" in due and 20 < size
    refresh(lambda conn: stats.refresh(conn, due))
    assert analyzed() == before  # the statistics it had count as its last refresh
    assert stats._analyzed["lineage"] == int(size)
    # the rows written since reach the size the statistics gave it: refreshed then
    due = stats.loaded("dossier", ledger.Counts(extracted=int(size)))
    refresh(lambda conn: stats.refresh(conn, due))
    assert analyzed() == before + 1
    engine.dispose()


def _analyze_count(engine, table: str) -> int:
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :t"),
                            {"t": table}).scalar_one()


def _flushed(engine, step) -> None:
    """Run ``step`` in a transaction whose counters reach the shared statistics when it ends."""
    with engine.begin() as conn:
        step(conn)
        conn.execute(text("SELECT pg_stat_force_next_flush()"))


def test_a_table_another_worker_refreshed_is_not_refreshed_again(pg_store, demo_portals, tmp_path):
    """Each worker counts the rows it writes; statistics another worker took since, counting both workers'
    rows, are this one's refresh too, so a table is not analyzed at every worker's own doublings."""
    from migrate.store.models import lineage

    settings = demo_settings(demo_portals[:1], pg_store, tmp_path / "files", batch_size=60)
    assert pipeline.run(settings).ok
    engine = schema.connect(pg_store)
    with engine.connect() as conn:
        size = conn.execute(select(func.count()).select_from(lineage)).scalar_one()
    mine = Statistics(first=10)
    due = mine.loaded("dossier", ledger.Counts(extracted=size))  # this worker wrote what the table holds
    before = _analyze_count(engine, "lineage")
    _flushed(engine, lambda conn: mine.refresh(conn, due))
    assert _analyze_count(engine, "lineage") == before + 1

    def other_worker(conn) -> None:  # writes twice as many rows and refreshes the table
        columns = [c for c in lineage.c if c.name != "id"]
        for copy in ("~a", "~b"):
            conn.execute(lineage.insert().from_select(
                [c.name for c in columns],
                select(*[(c + copy).label(c.name) if c.name == "source_key" else c for c in columns])
                .where(~lineage.c.source_key.like("%~%"))))
        conn.execute(text("ANALYZE lineage"))

    _flushed(engine, other_worker)
    due = mine.loaded("dossier", ledger.Counts(extracted=size))  # this worker's own count doubled
    assert "lineage" in due
    _flushed(engine, lambda conn: mine.refresh(conn, due))
    assert _analyze_count(engine, "lineage") == before + 2  # the other worker's ANALYZE only
    assert mine._analyzed["lineage"] >= 3 * size * 0.9  # its statistics count as this worker's last refresh
    due = mine.loaded("dossier", ledger.Counts(extracted=3 * size))  # the table's size written again
    _flushed(engine, lambda conn: mine.refresh(conn, due))
    assert _analyze_count(engine, "lineage") == before + 3
    engine.dispose()


def test_a_fresh_copy_that_meets_an_existing_key_merges_instead(pg_store):
    from migrate.store.models import new_unit
    from migrate.store.upsert import upsert

    engine = schema.connect(pg_store)
    rows = [dict(code=f"{i:05d}", name=f"Xã {i}", province_code="37", province_name="Ninh Bình", table_version="t1")
            for i in range(60)]
    with engine.begin() as conn:
        upsert(conn, new_unit, rows, keys=("code",), changed=("name",), fresh=True)  # straight COPY
    rows[7] = dict(rows[7], name="Phường 7")
    with engine.begin() as conn:  # wrongly called fresh: the COPY is undone, the rows merged
        upsert(conn, new_unit, rows + [dict(rows[0], code="99999")], keys=("code",), changed=("name",), fresh=True)
    with engine.connect() as conn:
        names = dict(conn.execute(select(new_unit.c.code, new_unit.c.name)).all())
    assert len(names) == 61 and names["00007"] == "Phường 7" and names["99999"] == "Xã 0"


def _wide_settings(tmp_path, store_url, batch_size):
    from migrate.bench.wide import SOURCE, profile_text
    from migrate.config import Settings

    profile = tmp_path / "wide-portal.toml"
    profile.write_text(profile_text(), "utf-8")
    return Settings.load([profile], store=store_url, files_dir=tmp_path / "files",
                         source_urls={SOURCE: f"sqlite:///{tmp_path / 'wide.sqlite'}"}, batch_size=batch_size)


def _store_state(engine):
    from migrate.store.models import lineage, old_identifier

    with engine.connect() as conn:  # the lineage rows hold the remap decisions
        return {**{t.name: conn.execute(select(t).order_by(t.c.id)).all() for t in (dossier, lineage)},
                old_identifier.name: identifier_rows(conn)}


def test_first_load_copies_into_the_tables_and_a_changed_source_takes_the_upsert_path(store_url, tmp_path):
    from migrate.bench.wide import build_source, change_source
    from migrate.store.models import lineage, old_identifier

    build_source(tmp_path / "wide.sqlite", 300)
    settings = _wide_settings(tmp_path, store_url, batch_size=70)
    first = pipeline.run(settings)
    assert first.ok and first.results[0].counts.loaded == 300, first.summary()
    engine = schema.connect(store_url)
    with engine.connect() as conn:  # every lineage, decision and index row names the entity row of its record
        linked = conn.execute(
            select(func.count()).select_from(lineage.join(
                dossier, (dossier.c.id == lineage.c.target_id) & (dossier.c.source_key == lineage.c.source_key)
                & (dossier.c.batch_id == lineage.c.batch_id) & (dossier.c.content_hash == lineage.c.content_hash)))
        ).scalar_one()
        decided = conn.execute(select(func.count()).select_from(lineage.join(
            dossier, dossier.c.source_key == lineage.c.source_key))
            .where(lineage.c.remap_rule.is_not(None), lineage.c.new_commune_code == dossier.c.new_commune_code)
        ).scalar_one()
        indexed = conn.execute(select(func.count()).select_from(old_identifier.join(
            dossier, (dossier.c.id == old_identifier.c.target_id)
            & (dossier.c.source_key == old_identifier.c.source_key)).join(
            lineage, (lineage.c.id == old_identifier.c.lineage_id)  # keyed by its record's lineage row
            & (lineage.c.source_key == old_identifier.c.source_key)))).scalar_one()
    assert linked == decided == 300 and indexed == 3 * 300  # dossier id, dossier number, applicant id number
    change_source(tmp_path / "wide.sqlite", 300, 15)  # 15 modified, 15 added, 15 deleted
    settings = dataclasses.replace(settings, full=True)  # every record read again (not a delta: test_delta.py)
    second = pipeline.run(settings, resume=False)  # batches mixing records in the store and new ones
    assert second.ok and second.results[0].counts.extracted == 300, second.summary()
    state = _store_state(engine)
    keys = {r.source_key for r in state["dossier"]}
    assert {str(k) for k in range(301, 316)} <= keys and len(state["lineage"]) >= 315  # the added ones loaded
    assert sum(r.modified_at.year == 2025 and r.status == "5" for r in state["dossier"]) == 15  # the modified
    third = pipeline.run(settings, resume=False)  # the same source again: nothing changes
    assert third.ok and _store_state(engine) == state
    engine.dispose()


def test_a_value_the_binary_copy_cannot_send_goes_in_the_text_form(pg_store):
    import pytest

    from migrate.store.copy import CopyValueError, copy_fresh, copy_tuples
    from migrate.store.models import old_identifier

    names = ("lineage_id", "kind", "value", "normalized", "source_system", "source_table", "source_key", "state",
             "target_id")
    engine = schema.connect(pg_store)
    with engine.begin() as conn:
        with pytest.raises(CopyValueError, match="old_identifier"):  # a target id given as text
            nested = conn.begin_nested()
            try:
                copy_tuples(conn, old_identifier, names,
                            [(1, "dossier-id", "7", "7", "s", "t", "7", "migrated", "12")], binary=True)
            finally:
                nested.rollback()
        assert copy_fresh(conn, old_identifier, names, [(1, "dossier-id", "7", "7", "s", "t", "7", "migrated", "12"),
                                                        (2, "dossier-id", "8", "8", "s", "t", "8", "migrated", 13)],
                          binary=True)
        assert not copy_fresh(conn, old_identifier, names,
                              [(2, "dossier-id", "8", "8", "s", "t", "8", "migrated", 13)],
                              binary=True)  # the key is there: nothing written, the caller merges
    with engine.connect() as conn:
        rows = conn.execute(select(old_identifier.c.source_key, old_identifier.c.target_id)
                            .order_by(old_identifier.c.source_key)).all()
    assert [tuple(r) for r in rows] == [("7", 12), ("8", 13)]
    engine.dispose()


def test_an_upsert_stages_in_binary_and_a_value_it_cannot_send_in_the_text_form(pg_store, monkeypatch):
    import pytest
    from sqlalchemy.exc import DBAPIError

    from migrate.store import upsert as upserts
    from migrate.store.models import old_identifier

    forms: list[bool] = []
    original = upserts.copy_tuples

    def spy(conn, into, names, rows, types=None, *, binary=False):
        forms.append(binary)
        return original(conn, into, names, rows, types, binary=binary)

    monkeypatch.setattr(upserts, "copy_tuples", spy)

    def rows(target: object, n: int = 60) -> list[dict]:  # above COPY_THRESHOLD: staged by COPY
        return [dict(lineage_id=i, kind="dossier-id", value=str(i), normalized=str(i), source_system="s",
                     source_table="t", source_key=str(i), state="migrated", target_id=target) for i in range(n)]

    def upsert(conn, target: object, n: int = 60) -> list[bool]:
        forms.clear()
        upserts.upsert(conn, old_identifier, rows(target, n), keys=("lineage_id", "kind"), changed=("target_id",))
        return list(forms)

    engine = schema.connect(pg_store)
    with engine.begin() as conn:
        assert upsert(conn, 12) == [True]
        assert upsert(conn, "13") == [True, False]  # ids given as text: the binary form refuses, the text takes them
        held = dict(conn.execute(select(old_identifier.c.lineage_id, old_identifier.c.target_id)).all())
        assert held == {i: 13 for i in range(60)}
        assert upsert(conn, 12, 61) == [True]  # changed back, one added
        with pytest.raises(DBAPIError, match="character varying"):  # refused by the store: nothing of it stays
            upserts.upsert(conn, old_identifier, [dict(row, kind="k" * 41) for row in rows(12)],
                           keys=("lineage_id", "kind"), changed=("target_id",))
        assert conn.execute(select(func.count()).select_from(old_identifier)).scalar_one() == 61  # usable still
    with engine.connect() as conn:
        held = dict(conn.execute(select(old_identifier.c.lineage_id, old_identifier.c.target_id)).all())
    assert held == {i: 12 for i in range(61)}
    engine.dispose()


def _lease_free(store, batch_id: int) -> bool:
    with store.connect() as conn:
        if conn.execute(select(func.pg_try_advisory_lock(LEASE_CLASS, batch_id))).scalar():
            conn.execute(select(func.pg_advisory_unlock(LEASE_CLASS, batch_id)))
            return True
    return False


def test_the_batch_a_worker_reads_ahead_is_held_from_the_others(pg_store, demo_portals, tmp_path):
    """A worker holds the next batch it reads ahead: another worker plans past it, takes it only once the
    first one's connection (and its leases) is gone, and a batch loaded meanwhile is not loaded again."""
    settings = demo_settings(demo_portals[:1], pg_store, tmp_path / "files", batch_size=10)
    store = pipeline.open_store(settings)
    units = UnitTable.load()
    pipeline.seed_units(store, units)
    run_id, _, _ = pipeline._start(settings, store, units, True)
    resolver = pipeline.build_resolver(settings, store, units)
    a, b = workers.Worker(settings, store, resolver, run_id), workers.Worker(settings, store, resolver, run_id)
    try:
        source = settings.sources[0]
        pairs = [(source, a.read_spec(source, spec)) for spec in source.profile.ordered()
                 if spec.name in ledger.STAGES[0]]
        current, ahead = a._next(pairs), a._next(pairs)
        other = b._next(pairs)
        assert current and ahead and other
        assert len({current.batch_id, ahead.batch_id, other.batch_id}) == 3
        assert current.hi < ahead.lo and ahead.hi < other.lo  # planned one after the other, none taken twice
        a.session.drop()  # a's connection is gone, its leases with it
        deadline = time.monotonic() + 10
        while not _lease_free(store, current.batch_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        taken = b._next(pairs)
        assert taken is not None and taken.batch_id == current.batch_id  # the oldest batch no worker holds
        assert b.execute(taken.source, taken.spec, taken.batch_id, taken.lo, taken.hi, claimed=True) == "loaded"
        assert a.execute(current.source, current.spec, current.batch_id, current.lo, current.hi,
                         claimed=True) == "taken"
        with store.connect() as conn:
            row = ledger.get(conn, current.batch_id)
        assert row is not None and row.state == "loaded" and row.attempts == 1
    finally:
        a.close()
        b.close()
        store.dispose()
