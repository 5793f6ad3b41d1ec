"""The store's PostgreSQL counts and folds the records it confirms into the segments the Python rebuild gives,
and hands every other record back rebuilt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from migrate.core.entities import ENTITIES
from migrate.store import schema
from migrate.store.models import account_alias, dossier, dossier_event, lineage, migration_run, source_deletion
from reconciliation import digests
from reconciliation.rebuild import StoreRecord, store_records
from reconciliation.serverfold import available, fold
from tests.reconciliation.conftest import store_parts


def _python_side(conn, source, entity, table, parent, width, gone):
    """The segments, lineage rows and entity rows of the Python rebuild, as reconciliation folded them before."""
    segments = digests.Segments(width)
    records = rows = 0
    for rec in store_records(conn, source, table, entity, parent_table=parent):
        records += 1
        rows += rec.row_id is not None
        if rec.source_key not in gone:
            segments.add(rec.source_key, rec.digest_value)
    return segments, records, rows


def _server_side(conn, source, entity, table, parent, width, gone):
    segments = digests.Segments(width)
    opened: list[StoreRecord] = []
    folded = fold(conn, source, table, entity, parent_table=parent, into=segments, each=opened.append)
    assert folded is not None
    records, rows = folded
    for rec in opened:  # what reconciliation does with a record the server hands back
        records += 1
        rows += rec.row_id is not None
        if rec.source_key not in gone:
            segments.add(rec.source_key, rec.digest_value)
    return segments, records, rows, opened


def test_the_server_folds_every_untouched_record_as_the_python_rebuild_does(pg_demo_store):
    engine = schema.connect(pg_demo_store.store_url)
    folded_entities = set()
    with engine.connect() as conn:
        assert available(conn)
        for source, entity, table, parent in store_parts(conn):
            python, records, rows = _python_side(conn, source, entity, table, parent, 2, set())
            server, s_records, s_rows, opened = _server_side(conn, source, entity, table, parent, 2, set())
            assert opened == []  # every record confirmed by the server
            assert (s_records, s_rows) == (records, rows) and records > 0
            assert digests.differing(python, server) == [] and server.total == records
            folded_entities.add(entity)
    engine.dispose()
    assert folded_entities == set(ENTITIES)


def test_records_the_server_does_not_confirm_come_back_rebuilt_and_the_deleted_are_counted_not_folded(pg_demo_store):
    engine = schema.connect(pg_demo_store.store_url)
    with engine.begin() as conn:
        events = conn.execute(select(dossier_event.c.id, dossier_event.c.source_system, dossier_event.c.source_table,
                                     dossier_event.c.source_key).order_by(dossier_event.c.id).limit(3)).all()
        changed, missing, gone = events
        conn.execute(update(dossier_event).where(dossier_event.c.id == changed.id).values(
            note="sửa sau khi chuyển", occurred_at=dt.datetime(2025, 6, 30, 23, 59, 58, 120000)))
        conn.execute(delete(dossier_event).where(dossier_event.c.id == missing.id))
        run_id = conn.execute(select(migration_run.c.id).limit(1)).scalar_one()
        conn.execute(insert(source_deletion).values(source_system=gone.source_system, source_table=gone.source_table,
                                                    source_key=gone.source_key, run_id=run_id,
                                                    found_at=dt.datetime(2025, 7, 1)))
        alias = conn.execute(select(account_alias.c.id, account_alias.c.source_system, account_alias.c.source_table,
                                    account_alias.c.source_key).order_by(account_alias.c.id).limit(1)).one()
        conn.execute(update(account_alias).where(account_alias.c.id == alias.id).values(content_hash="0" * 64))
        case = conn.execute(select(dossier.c.id, dossier.c.source_system, dossier.c.source_key)
                            .order_by(dossier.c.id).limit(1)).one()
        conn.execute(update(lineage).where(lineage.c.source_system == case.source_system,
                                           lineage.c.entity == "dossier", lineage.c.source_key == case.source_key)
                     .values(content_hash="f" * 64))
    expected = {("dossier_event", changed.source_system, changed.source_key),
                ("dossier_event", missing.source_system, missing.source_key),
                ("account", alias.source_system, alias.source_key),
                ("dossier", case.source_system, case.source_key)}
    handed_back = set()
    with engine.connect() as conn:
        for source, entity, table, parent in store_parts(conn):
            deleted = {gone.source_key} if (source, table) == (gone.source_system, gone.source_table) else set()
            python, records, rows = _python_side(conn, source, entity, table, parent, 2, deleted)
            server, s_records, s_rows, opened = _server_side(conn, source, entity, table, parent, 2, deleted)
            assert (s_records, s_rows) == (records, rows)
            assert digests.differing(python, server) == []
            assert all(r.record is not None or r.row_id is None for r in opened)  # rebuilt in Python
            handed_back |= {(entity, source, r.source_key) for r in opened}
            if deleted:  # counted with the table, kept out of its segments
                assert server.total == records - 1
    engine.dispose()
    assert handed_back == expected


def test_without_segments_the_server_counts_and_hands_back_the_same_records(pg_demo_store):
    """A reconciliation with no source to compare: the records counted, none folded."""
    engine = schema.connect(pg_demo_store.store_url)
    with engine.connect() as conn:
        for source, entity, table, parent in store_parts(conn):
            _, records, rows = _python_side(conn, source, entity, table, parent, 1, set())
            opened: list[StoreRecord] = []
            assert fold(conn, source, table, entity, parent_table=parent, into=None, each=opened.append) == (
                records, rows)
            assert opened == []
    engine.dispose()
