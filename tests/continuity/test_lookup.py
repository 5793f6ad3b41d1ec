"""Lookups by old identifiers on both stores: every match listed, closest matches, index use."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from migrate.continuity.identifiers import normalize
from migrate.continuity.index import refresh
from migrate.continuity.lookup import closest_statements, lookup, match_statement
from migrate.store.models import account_alias, dossier_file, old_identifier
from tests.continuity.conftest import copy_store


def test_refreshing_twice_changes_nothing(migrated):
    with migrated.engine.connect() as conn:
        before = conn.execute(select(old_identifier).order_by(old_identifier.c.id)).all()
    again = refresh(migrated.engine, migrated.profiles)
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    with migrated.engine.connect() as conn:
        assert conn.execute(select(old_identifier).order_by(old_identifier.c.id)).all() == before
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
