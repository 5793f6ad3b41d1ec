"""A write the store refuses is split until the refusing rows stand alone; the others are written.

Real stores on both engines, real upserts (multi-row INSERT, and COPY on
PostgreSQL from 50 rows), real refusals (NOT NULL, integers too large).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from migrate import ledger
from migrate.isolate import write_isolating
from migrate.load import BatchContext, load_batch
from migrate.prepare import Prepared
from migrate.core.canonical import FIELDS, content_hash
from migrate.core.records import RawRecord
from migrate.store import schema
from migrate.store.models import agency, dossier, lineage, quarantine
from migrate.store.upsert import upsert


@pytest.mark.parametrize("n, bad", [(7, {3}), (120, {0, 57, 119}), (60, set(range(10, 20)))])
@pytest.mark.parametrize("fresh", [False, True])
def test_refused_rows_are_isolated_and_the_rest_written(store_url, n, bad, fresh):
    engine = schema.connect(store_url)
    rows = [{"code": None if i in bad else f"A{i:04d}", "name": f"agency {i}", "source_system": "s"}
            for i in range(n)]
    with engine.begin() as conn:
        refused = write_isolating(conn, rows, lambda part: upsert(
            conn, agency, part, keys=("source_system", "code"), changed=("name",), fresh=fresh))
    assert sorted(int(r.item["name"].split()[1]) for r in refused) == sorted(bad)
    assert all("null" in r.message.lower() for r in refused)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(agency)).scalar_one() == n - len(bad)


def test_a_write_refused_for_every_row_is_the_batchs_problem(store_url):
    engine = schema.connect(store_url)
    rows = [{"code": None, "name": "x", "source_system": "s"}] * 3
    with pytest.raises(Exception), engine.begin() as conn:
        write_isolating(conn, rows, lambda part: upsert(conn, agency, part, keys=("source_system", "code")))


def test_load_batch_quarantines_a_record_the_store_refuses(store_url, tmp_path):
    """Dossiers whose applicant name holds a lone surrogate, as if it had escaped the checks before the
    write: both drivers refuse to send it; the batch quarantines those two with the message, loads the rest."""
    engine = schema.connect(store_url)
    with engine.begin() as conn:
        run_id = ledger.start_run(conn, tool_version="t", mapping_version="m", mapping_sha256="0", profiles=[])
        batch_id = ledger.open_batch(conn, run_id=run_id, source="src", entity="dossier", table="HoSo", seq=0,
                                     lo=(0,), hi=(59,))
    prepared = []
    for i in range(60):
        record = {name: None for name in FIELDS["dossier"]}
        record.update(dossier_no=f"HS-{i}", applicant_name="x\udcff" if i in (5, 44) else f"Người {i}")
        digest = content_hash("dossier", record)
        prepared.append(Prepared(RawRecord("HoSo", (i,), {"Id": i}), record, digest, None, None, None, str(i)))
    ctx = BatchContext(batch_id, "src", {}, None, tmp_path / "files", dt.datetime(2026, 1, 1))
    with engine.begin() as conn:
        counts = load_batch(conn, ctx, "dossier", "HoSo", prepared)
    assert (counts.extracted, counts.loaded, counts.quarantined) == (60, 58, 2)
    with engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source_key, quarantine.c.field, quarantine.c.reason,
                                   quarantine.c.raw_payload).order_by(quarantine.c.source_key)).all()
        outcomes = dict(conn.execute(select(lineage.c.source_key, lineage.c.outcome)).all())
        assert conn.execute(select(func.count()).select_from(dossier)).scalar_one() == 58
    assert [(r.source_key, r.field) for r in rows] == [("44", "record"), ("5", "record")]
    assert all(r.reason.startswith("the store refused the record: UnicodeEncodeError") for r in rows)
    assert all(r.raw_payload == {"Id": int(r.source_key)} for r in rows)
    assert len(outcomes) == 60 and sum(o == "quarantined" for o in outcomes.values()) == 2
