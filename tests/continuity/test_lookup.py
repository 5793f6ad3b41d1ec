"""Lookups by old identifiers on both stores: every match listed, closest matches, index use."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from migrate.continuity.identifiers import normalize
from migrate.continuity.index import refresh
from migrate.continuity.lookup import closest_statements, lookup, match_statement, resolve
from migrate.core.entities import REGISTRY
from migrate.store import models
from migrate.store.models import account_alias, dossier_file, old_identifier
from tests.continuity.conftest import copy_store
from tests.identifiers import identifier_rows


def test_refreshing_twice_changes_nothing(migrated):
    with migrated.engine.connect() as conn:
        before = identifier_rows(conn)
    again = refresh(migrated.engine, migrated.profiles)
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    with migrated.engine.connect() as conn:
        assert identifier_rows(conn) == before
    assert again.counts["dossier-no"] > 0 and again.counts["username"] > 0 and again.counts["file-id"] > 0


def test_a_dossier_number_used_in_two_provinces_lists_both(migrated):
    with migrated.engine.connect() as conn:
        result = lookup(conn, migrated.shared_number)
    assert result.found and result.records == 2
    assert {m.source_system for m in result.matches} == {"hanam-portal", "namdinh-portal"}
    assert all(m.kind == "dossier-no" and m.target_table == "dossier" for m in result.matches)
    assert all(m.new_commune_code and m.new_commune_name for m in result.matches)
    text_out = "\n".join(result.describe())
    assert "none is picked" in text_out and "hanam-portal / HoSo /" in text_out and "namdinh-portal / HoSo /" in text_out


def test_spaces_dashes_and_case_do_not_matter(migrated):
    typed = "  " + migrated.shared_number.lower().replace("-", " – ").replace(".", " . ") + " "
    with migrated.engine.connect() as conn:
        assert lookup(conn, typed).records == 2
        assert lookup(conn, migrated.shared_number, sources=["namdinh-portal"]).records == 1


def test_unknown_number_is_not_found_with_the_closest_matches(migrated):
    typo = migrated.shared_number[:-1] + ("9" if migrated.shared_number[-1] != "9" else "8")
    with migrated.engine.connect() as conn:
        result = lookup(conn, typo)
        garbage = lookup(conn, "%%%")
    assert not result.found
    assert result.closest and result.closest[0].value == migrated.shared_number
    lines = result.describe()
    assert lines[0].startswith("Not found") and "dossier number" in lines[0] and "Closest matches:" in lines
    assert not garbage.found and "Not found" in garbage.describe()[0]


def test_lookup_uses_the_index(migrated):
    engine = migrated.engine
    norm = normalize(migrated.shared_number)
    statements = [match_statement(norm), match_statement(norm, kinds=["dossier-no"], sources=["hanam-portal"]),
                  *closest_statements(norm)]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE old_identifier"))
        for stmt in statements:
            sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            if engine.dialect.name == "sqlite":
                plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
                assert "ix_old_identifier_normalized" in plan and "SCAN old_identifier" not in plan, plan
            else:
                plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
                assert "ix_old_identifier_normalized" in plan and "Seq Scan" not in plan, plan


def test_merged_account_username_leads_to_the_account_it_joined(migrated):
    with migrated.engine.connect() as conn:
        merged = conn.execute(select(account_alias.c.username, account_alias.c.account_id, account_alias.c.source_system)
                              .where(account_alias.c.match_rule != "self").limit(1)).one()
        result = lookup(conn, merged.username, kinds=["username"])
    hit = next(m for m in result.matches if m.source_system == merged.source_system)
    assert hit.state == "merged" and hit.target_table == "account" and hit.target_id == merged.account_id
    assert "merged into it" in "\n".join(hit.describe())
    assert hit.value not in "\n".join(result.describe())  # a CCCD used as username is masked
    assert hit.value in "\n".join(result.describe(unmask=True))


def test_same_username_for_two_people_lists_both_accounts(migrated):
    with migrated.engine.connect() as conn:
        result = lookup(conn, migrated.shared_username, kinds=["username"])
    assert result.records == 2 and {m.source_system for m in result.matches} == {"hanam-portal", "namdinh-portal"}


def test_old_file_id_leads_to_its_dossier(migrated):
    with migrated.engine.connect() as conn:
        f = conn.execute(select(dossier_file.c.source_key, dossier_file.c.id, dossier_file.c.dossier_id)
                         .where(dossier_file.c.source_system == "ninhbinh-portal").limit(1)).one()
        result = lookup(conn, f.source_key, kinds=["file-id"], sources=["ninhbinh-portal"])
    (m,) = result.matches
    assert (m.target_table, m.target_id, m.dossier_id) == ("dossier_file", f.id, f.dossier_id)
    assert m.dossier_no and m.new_commune_code


def test_quarantined_dossier_is_found_and_says_so(migrated):
    with migrated.engine.connect() as conn:
        result = lookup(conn, migrated.quarantined_number)
    (m,) = [m for m in result.matches if m.source_system == "hanam-portal"]
    assert m.state == "quarantined" and m.target_id is None and m.note
    assert "held in quarantine" in "\n".join(result.describe())


def test_a_record_gone_from_the_store_is_dropped_by_the_next_refresh(migrated_sqlite, tmp_path):
    m = copy_store(migrated_sqlite, tmp_path)
    engine = m.engine
    with engine.begin() as conn:
        victim = conn.execute(select(dossier_file.c.id, dossier_file.c.source_key, dossier_file.c.source_system)
                              .order_by(dossier_file.c.id.desc()).limit(1)).one()
        conn.execute(delete(dossier_file).where(dossier_file.c.id == victim.id))
    report = refresh(engine, m.profiles)
    assert report.deleted == 1 and report.inserted == 0
    with engine.connect() as conn:
        assert not lookup(conn, victim.source_key, kinds=["file-id"], sources=[victim.source_system]).found


def test_a_store_row_with_no_lineage_row_is_not_indexed_and_the_refresh_says_so(migrated_sqlite, tmp_path):
    m = copy_store(migrated_sqlite, tmp_path)
    L = models.lineage.c
    with m.engine.begin() as conn:  # a lineage row deleted by hand: its dossier file can no longer be keyed
        victim = conn.execute(select(dossier_file.c.source_system, dossier_file.c.source_table,
                                     dossier_file.c.source_key).order_by(dossier_file.c.id).limit(1)).one()
        conn.execute(delete(models.lineage).where(L.source_system == victim.source_system,
                                                  L.source_table == victim.source_table,
                                                  L.source_key == victim.source_key))
        conn.execute(delete(old_identifier))
    report = refresh(m.engine, m.profiles)
    assert report.unlinked == 1 and report.inserted > 0
    assert "not indexed: 1 store rows have no lineage row" in report.summary()
    with m.engine.connect() as conn:
        o = old_identifier.c
        assert conn.execute(select(o.lineage_id).where(o.source_system == victim.source_system,
                                                       o.source_table == victim.source_table,
                                                       o.source_key == victim.source_key)).all() == []
    complete = refresh(migrated_sqlite.engine, migrated_sqlite.profiles)
    assert complete.unlinked == 0 and "not indexed" not in complete.summary()


@pytest.mark.parametrize("value,looks", [
    ("099999999999", "a 12-digit CCCD"), ("035055755", "a 9-digit CMND"),
    ("000.00.35.H01-240115-0001", "a dossier number (agency code-YYMMDD-sequence)"),
    ("nguyenvanax", "a username or a code"), ("0999999999", "a 10-digit tax code or a phone number"),
])
def test_not_found_says_what_the_value_looks_like(migrated_sqlite, value, looks):
    with migrated_sqlite.engine.connect() as conn:
        result = lookup(conn, value)
    assert not result.found, f"{value} is in the demo store: pick a value that is not"
    assert result.describe(unmask=True)[0] == f"Not found: {value!r} (looks like {looks})"


# What a lookup shows of each entity's record, read from the store independently: the record a file or a
# document hangs from gives its commune, the dossier its number and status.
def _expected(conn, entity: str, target_id: int) -> dict:
    t = models.metadata.tables[entity]
    row = conn.execute(select(t).where(t.c.id == target_id)).one()
    if entity == "account":
        return dict(status=f"{row.kind} account", new_commune_code=row.new_commune_code, note=None, dossier_no=None)
    if entity == "dossier":
        return dict(status=row.status, new_commune_code=row.new_commune_code, note=None, dossier_no=row.dossier_no)
    if entity == "dossier_file":
        d = conn.execute(select(models.dossier).where(models.dossier.c.id == row.dossier_id)).one()
        return dict(status=d.status, new_commune_code=d.new_commune_code, note=f"file {row.file_state}",
                    dossier_no=d.dossier_no, dossier_id=row.dossier_id)
    if entity == "document":
        a = conn.execute(select(models.account).where(models.account.c.id == row.account_id)).one()
        return dict(status=None, new_commune_code=a.new_commune_code, dossier_no=None,
                    note=f"document of account {row.account_id}, file {row.file_state}")
    raise AssertionError(f"no expectation for {entity}: say what a lookup of its record shows")


@pytest.mark.parametrize("entity", [e.name for e in REGISTRY.values() if e.key_kind])
def test_every_entity_the_index_points_at_is_shown_where_it_is_now(migrated, entity):
    kind = REGISTRY[entity].key_kind
    o = old_identifier.c
    with migrated.engine.connect() as conn:
        rows = conn.execute(select(old_identifier).where(o.kind == kind, o.state == "migrated", o.target_id.is_not(None))
                            .order_by(o.lineage_id, o.kind).limit(20)).all()
        if entity == "document":  # a walk-in document may have no account: take owned ones
            owned = {i for (i,) in conn.execute(select(models.document.c.id)
                                                .where(models.document.c.account_id.is_not(None)))}
            rows = [r for r in rows if r.target_id in owned]
        assert rows, f"the demo store holds no {kind} identifier"
        matches = resolve(conn, rows)
        for r, m in zip(rows, matches):
            assert (m.kind, m.target_table, m.target_id) == (kind, entity, r.target_id)
            wanted = _expected(conn, entity, r.target_id)
            assert {k: getattr(m, k) for k in wanted} == wanted
            assert m.new_commune_name or not m.new_commune_code, m
        assert any(m.new_commune_code for m in matches), matches


def test_a_match_whose_record_is_gone_says_to_rebuild_the_index(migrated_sqlite, tmp_path):
    m = copy_store(migrated_sqlite, tmp_path)
    o = old_identifier.c
    with m.engine.begin() as conn:
        row = conn.execute(select(old_identifier).where(o.kind == "file-id", o.target_id.is_not(None)).limit(1)).one()
        conn.execute(delete(dossier_file).where(dossier_file.c.id == row.target_id))
        (match,) = resolve(conn, [row])
    assert match.note == (f"dossier_file {row.target_id} is no longer in the store: rebuild the index "
                          "(hopnhat continuity index)")
    assert match.dossier_no is None and match.new_commune_code is None
