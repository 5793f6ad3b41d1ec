"""The store's PostgreSQL hashes its rows as the Python rebuild does, and only what it confirms skips the rebuild."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook
from sqlalchemy import select, update

from migrate.core.canonical import content_hash
from migrate.core.entities import ENTITIES
from migrate.store import schema
from migrate.store.models import account, dossier, dossier_event
from reconciliation.rebuild import store_records
from reconciliation.runner import reconcile
from reconciliation.serverhash import available, hashed_records, server_hashes
from tests.reconciliation.conftest import store_parts

ODD_TEXT = 'q"uote \\ back\tslash\nline \x01 ư Hà Nội \u2028 /slash'  # every escape the JSON writing has


def test_the_server_confirms_every_untouched_row_with_the_pythons_hash(pg_demo_store):
    engine = schema.connect(pg_demo_store.store_url)
    seen = set()
    with engine.connect() as conn:
        assert available(conn)
        for source, entity, table, parent in store_parts(conn):
            python = list(store_records(conn, source, table, entity, parent_table=parent))
            server = list(hashed_records(conn, source, table, entity, parent_table=parent))
            # both read the lineage joined to the rows without an order (reconciliation folds them into segments,
            # whatever the order): the plans the server picks for the two statements may list them differently
            assert sorted((r.source_key, r.outcome, r.lineage_hash, r.row_id or 0, r.row_hash or "",
                           r.alias_hash or "", r.rebuilt_hash or "") for r in server) == sorted(
                (r.source_key, r.outcome, r.lineage_hash, r.row_id or 0, r.row_hash or "", r.alias_hash or "",
                 r.rebuilt_hash or "") for r in python)
            assert len(server) == len(python)
            rows = [r for r in server if r.row_id is not None]
            assert all(r.record is None for r in rows)  # confirmed by the server: not rebuilt in the client
            if rows:
                seen.add(entity)
    engine.dispose()
    assert seen == set(ENTITIES)  # every entity's writing was exercised


def test_the_servers_writing_of_odd_values_is_the_canonical_one(pg_demo_store, tmp_path):
    """Rows changed to values every part of the writing must get right hash, in the server, to the Python
    rebuild's hash of the same row; they are not confirmed (they differ from extraction) and the
    reconciliation names them as before."""
    engine = schema.connect(pg_demo_store.store_url)
    with engine.begin() as conn:
        event = conn.execute(select(dossier_event.c.id, dossier_event.c.source_system, dossier_event.c.source_key)
                             .order_by(dossier_event.c.id).limit(1)).one()
        conn.execute(update(dossier_event).where(dossier_event.c.id == event.id).values(
            note=ODD_TEXT, actor=None, occurred_at=dt.datetime(2025, 6, 30, 23, 59, 58, 1234)))
        person = conn.execute(select(account.c.id, account.c.source_system, account.c.source_key).order_by(account.c.id).limit(1)).one()
        conn.execute(update(account).where(account.c.id == person.id).values(
            birth_date=dt.date(987, 1, 2), full_name="Nguyễn Văn \"A\"", created_at=dt.datetime(2024, 1, 1)))
        case = conn.execute(select(dossier.c.id, dossier.c.source_system, dossier.c.source_key).order_by(dossier.c.id).limit(1)).one()
        conn.execute(update(dossier).where(dossier.c.id == case.id).values(
            finished_at=None, address=ODD_TEXT, received_at=dt.datetime(2025, 1, 2, 3, 4, 5, 500000)))  # a fraction's trailing zeros
    changed = {"dossier_event": (event.source_system, event.source_key),
               "account": (person.source_system, person.source_key),
               "dossier": (case.source_system, case.source_key)}
    with engine.connect() as conn:
        for source, entity, table, parent in store_parts(conn):
            if entity not in ("account", "dossier", "dossier_event"):
                continue
            rows = server_hashes(conn, source, table, entity, parent_table=parent)
            assert rows is not None
            by_key = {r.source_key: r.server_hash for r in rows if r.row_id is not None}
            for r in store_records(conn, source, table, entity, parent_table=parent):
                if r.record is not None:
                    assert by_key[r.source_key] == content_hash(entity, r.record), (entity, r.source_key)
            odd = [r for r in hashed_records(conn, source, table, entity, parent_table=parent)
                   if (source, r.source_key) == changed[entity] and r.row_id is not None]
            assert all(r.record is not None for r in odd)  # not confirmed: rebuilt in Python
    engine.dispose()
    result = reconcile(pg_demo_store.store_url, tmp_path / "report", sources=pg_demo_store.sources,
                       files_dir=pg_demo_store.files_dir)
    assert not result.ok
    kinds = {(p.source, p.key, p.kind) for p in result.content.problems}
    assert {(*k, "row-changed") for k in changed.values()} <= kinds
    # the report is written although a changed value holds a control character an XLSX file cannot hold
    workbooks = list((tmp_path / "report").glob("*.xlsx"))
    assert workbooks and all(load_workbook(w).sheetnames for w in workbooks)
