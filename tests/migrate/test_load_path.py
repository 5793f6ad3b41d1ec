"""The fast load path: pages read ahead, planner statistics kept fresh, key lookups through the index."""

from __future__ import annotations

from sqlalchemy import select, text

from migrate import ledger, pipeline, workers
from migrate.demo.flow import demo_settings
from migrate.load import Statistics
from migrate.store import schema
from migrate.store.models import batch, dossier
from migrate.store.inlist import one_of


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
