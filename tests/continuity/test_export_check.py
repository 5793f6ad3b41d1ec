"""The continuity export files and the continuity check of the reconciliation report."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from migrate.cli import cli
from migrate.continuity.config import load_config
from migrate.continuity.export import export
from migrate.continuity.index import refresh
from migrate.core.entities import REGISTRY
from migrate.store.models import account_alias, dossier, dossier_event, dossier_file, lineage, old_identifier
from reconciliation.base import CheckResult
from reconciliation.continuity import continuity
from tests.continuity.conftest import copy_store

CONFIG = """
[defaults]
new = "https://dichvucong.ninhbinh.gov.vn/tra-cuu-ho-so/{new_id}"
file_new = "https://dichvucong.ninhbinh.gov.vn/tep/{new_id}"

[source.hanam-portal]
old = "https://dichvucong.hanam.gov.vn/tra-cuu-ho-so?ma={dossier_no}"
file_old = "https://dichvucong.hanam.gov.vn/tep-dinh-kem?id={source_key}"

[source.namdinh-portal]
old = "https://dichvucong.namdinh.gov.vn/tra-cuu.html?id={source_key}"
"""


def _rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def exported(migrated_sqlite, tmp_path_factory):
    out = tmp_path_factory.mktemp("continuity-export")
    (out / "continuity.toml").write_text(CONFIG, "utf-8")
    report = export(migrated_sqlite.engine, out / "files", load_config(out / "continuity.toml"))
    return out / "files", report


def test_one_row_per_old_identifier_with_ambiguity_flagged(migrated_sqlite, exported):
    out, report = exported
    rows = _rows(out / "identifiers.csv")
    with migrated_sqlite.engine.connect() as conn:
        assert len(rows) == conn.execute(select(func.count()).select_from(old_identifier)).scalar_one()
    as_json = json.loads((out / "identifiers.json").read_text("utf-8"))
    assert [(j["kind"], j["old_value"], j["source_key"], str(j["new_id"] or "")) for j in as_json] == \
        [(r["kind"], r["old_value"], r["source_key"], r["new_id"]) for r in rows]
    shared = [r for r in rows if r["kind"] == "dossier-no" and r["old_value"] == migrated_sqlite.shared_number]
    assert len(shared) == 2 and all(r["ambiguous"] == "yes" and r["matches"] == "2" for r in shared)
    assert report.ambiguous["dossier-no"] == 2 and report.ambiguous["username"] == 2
    held = [r for r in rows if r["old_value"] == migrated_sqlite.quarantined_number]
    assert held and held[0]["state"] == "quarantined" and held[0]["new_id"] == ""
    cccd = [r for r in rows if r["kind"] == "id-number"]
    assert cccd and all(r["old_value"].startswith("*********") for r in cccd)  # masked unless --unmask


def test_redirects_from_old_tracking_pages(migrated_sqlite, exported):
    out, _ = exported
    rows = _rows(out / "redirects.csv")
    by_source = {s: [r for r in rows if r["source_system"] == s] for s in ("hanam-portal", "namdinh-portal")}
    assert not [r for r in rows if r["source_system"] == "ninhbinh-portal"]  # no template configured
    number = migrated_sqlite.shared_number
    (hanam,) = [r for r in by_source["hanam-portal"] if r["old_url"].endswith(f"ma={number}")]
    with migrated_sqlite.engine.connect() as conn:
        new_id = conn.execute(select(dossier.c.id).where(dossier.c.dossier_no == number,
                                                         dossier.c.source_system == "hanam-portal")).scalar_one()
    # the same number in Nam Định is another old URL (another host): no ambiguity in the redirect
    assert hanam["new_url"] == f"https://dichvucong.ninhbinh.gov.vn/tra-cuu-ho-so/{new_id}" and hanam["ambiguous"] == "no"
    assert all("tra-cuu.html?id=" in r["old_url"] for r in by_source["namdinh-portal"] if r["kind"] == "dossier-id")
    assert any(r["kind"] == "file-id" and "/tep/" in r["new_url"] for r in by_source["hanam-portal"])
    held = [r for r in by_source["hanam-portal"] if r["state"] == "quarantined"]
    assert held and all(r["new_url"] == "" for r in held)
    nginx = (out / "redirects.nginx.map").read_text("utf-8")
    assert f'"dichvucong.hanam.gov.vn/tra-cuu-ho-so?ma={number}" "{hanam["new_url"]}";' in nginx
    assert nginx.count(";\n") == sum(1 for r in rows if r["new_url"] and r["ambiguous"] == "no")


def test_accounts_mapped_and_unverifiable_ones_listed_for_reset(migrated_sqlite, exported):
    out, report = exported
    accounts, resets = _rows(out / "accounts.csv"), _rows(out / "accounts-reset.csv")
    with migrated_sqlite.engine.connect() as conn:
        assert len(accounts) == conn.execute(select(func.count()).select_from(account_alias)).scalar_one()
    assert {r["scheme"] for r in accounts} == {"bcrypt", "md5"}
    assert len(resets) == sum(r["verifiable"] == "no" for r in accounts) > 0
    assert {r["scheme"] for r in resets} == {"md5"}
    assert {r["state"] for r in accounts} == {"migrated", "merged"}
    assert "password_hash" not in accounts[0]
    assert sum(r["username_ambiguous"] == "yes" for r in accounts) == 2


def test_unmasked_export_with_hashes_for_the_new_system(migrated_sqlite, tmp_path):
    export(migrated_sqlite.engine, tmp_path, load_config(None), unmask=True, include_hashes=True)
    accounts = _rows(tmp_path / "accounts.csv")
    with migrated_sqlite.engine.connect() as conn:
        stored = dict(conn.execute(select(account_alias.c.username, account_alias.c.password_hash)
                                   .where(account_alias.c.source_system == "hanam-portal")).all())
    assert all(stored[r["username"]] == r["password_hash"] for r in accounts if r["source_system"] == "hanam-portal")
    assert (tmp_path / "redirects.csv").read_text("utf-8").count("\n") == 1  # header only: no templates


def test_check_holds_and_lists_ambiguities(migrated):
    result = continuity(migrated.engine)
    assert isinstance(result, CheckResult) and result.name == "continuity"
    assert result.ok, result.summary_lines()
    tables = result.tables()
    (number,) = tables["continuity-ambiguous-dossier-numbers"]
    assert number["dossier_no"] == migrated.shared_number and number["records"] == 2
    assert len(tables["continuity-ambiguous-usernames"]) == 1
    assert tables["continuity-quarantined"] and not tables["continuity-unresolved"]
    assert tables["continuity-reset-notices"] and result.reset_total == len(tables["continuity-reset-notices"])
    dossiers = result.resolutions[0]
    assert dossiers.extracted == dossiers.resolved + dossiers.set_aside
    document = json.loads(json.dumps(result.as_dict()))        # what report.json holds
    assert document["ok"] is True and document["index"]["fresh"] is True
    assert document["reset_total"] == result.reset_total > 0
    assert [(r["entity"], r["extracted"], r["resolved"], r["set_aside"]) for r in document["resolutions"]] == \
        [(r.entity, r.extracted, r.resolved, r.set_aside) for r in result.resolutions]
    assert [n["dossier_no"] for n in document["continuity-ambiguous-dossier-numbers"]] == [migrated.shared_number]
    assert len(document["continuity-ambiguous-usernames"]) == 1 and document["continuity-unresolved"] == []
    assert len(document["continuity-quarantined"]) == len(tables["continuity-quarantined"])
    assert any("0 resolve to nothing" in line for line in result.summary_lines())


def test_check_fails_when_an_old_dossier_resolves_to_nothing(migrated_sqlite, tmp_path):
    m = copy_store(migrated_sqlite, tmp_path)
    with m.engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # outside any transaction
        with conn.begin():
            victim = conn.execute(select(dossier.c.id, dossier.c.source_key).order_by(dossier.c.id).limit(1)).one()
            for child in (dossier_event, dossier_file):
                conn.execute(delete(child).where(child.c.dossier_id == victim.id))
            conn.execute(delete(dossier).where(dossier.c.id == victim.id))
    result = continuity(m.engine)
    assert not result.ok
    (bad,) = result.tables()["continuity-unresolved"]
    assert bad["source_key"] == victim.source_key and "not in the dossier table" in bad["problem"]
    assert not result.index.fresh and result.index.outdated > 0
    assert any("RESOLVES TO NOTHING" in line for line in result.summary_lines())
    refresh(m.engine, m.profiles)
    assert continuity(m.engine).index.outdated == 0
    m.engine.dispose()


def test_check_follows_every_entity_holding_a_unique_identifier(migrated):
    continued = {e.name for e in REGISTRY.values() if any(f.unique for f in e.fields)}
    result = continuity(migrated.engine)
    assert {r.entity for r in result.resolutions} == continued == {"account", "dossier"}
    with migrated.engine.connect() as conn:
        extracted = dict(conn.execute(select(lineage.c.entity, func.count()).group_by(lineage.c.entity)).all())
    for r in result.resolutions:
        assert r.extracted == extracted[r.entity] == r.resolved + r.merged + r.set_aside, r
    assert result.resolutions[0].entity == "dossier"  # numbered records first, then the accounts


@pytest.mark.parametrize("entity", [e.name for e in REGISTRY.values() if e.key_kind])
def test_an_old_id_pointing_at_another_record_is_outdated(migrated_sqlite, tmp_path, entity):
    """For every entity with old ids in the index: one pointing at another row of its table is out of date."""
    m = copy_store(migrated_sqlite, tmp_path)
    kind, table = REGISTRY[entity].key_kind, REGISTRY[entity].store_table
    o = old_identifier.c
    with m.engine.begin() as conn:
        first, second = conn.execute(select(table.c.id).order_by(table.c.id).limit(2)).scalars().all()
        moved = conn.execute(update(old_identifier).where(o.kind == kind, o.target_id == first)
                             .values(target_id=second)).rowcount
    assert moved >= 1
    result = continuity(m.engine)
    assert result.index.outdated >= 1 and not result.ok
    m.engine.dispose()


def test_check_wants_a_fresh_index(migrated_sqlite, tmp_path):
    m = copy_store(migrated_sqlite, tmp_path)
    with m.engine.begin() as conn:  # a username changed by a later load, not yet re-indexed
        conn.execute(update(account_alias).where(account_alias.c.id == 1).values(account_id=2))
    stale = continuity(m.engine)
    assert stale.index.built and not stale.ok
    with m.engine.begin() as conn:
        conn.execute(delete(old_identifier))
    result = continuity(m.engine)
    assert not result.ok and "NOT BUILT" in "\n".join(result.summary_lines())
    assert continuity(m.engine, require_index=False).ok
    m.engine.dispose()


def test_cli_lookup_index_export_check(migrated_sqlite, tmp_path):
    runner = CliRunner()
    store = ["--store", copy_store(migrated_sqlite, tmp_path).url]
    found = runner.invoke(cli, ["lookup", migrated_sqlite.shared_number, *store])
    assert found.exit_code == 0, found.output
    assert "2 record(s)" in found.output and "hanam-portal" in found.output and "namdinh-portal" in found.output
    missing = runner.invoke(cli, ["lookup", migrated_sqlite.shared_number + "7", *store])
    assert missing.exit_code == 1 and "Not found" in missing.output and "Closest matches:" in missing.output
    as_json = runner.invoke(cli, ["lookup", migrated_sqlite.shared_number, "--json", *store])
    assert len(json.loads(as_json.output)) == 2
    index = runner.invoke(cli, ["continuity", "index", *store])
    assert index.exit_code == 0 and "old identifiers" in index.output
    (tmp_path / "c.toml").write_text(CONFIG, "utf-8")
    out = runner.invoke(cli, ["continuity", "export", *store, "--config", str(tmp_path / "c.toml"),
                              "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert "identifiers.csv" in out.output and (tmp_path / "out" / "accounts-reset.csv").exists()
    check = runner.invoke(cli, ["continuity", "check", *store])
    assert check.exit_code == 0 and "Continuity: holds" in check.output
    (tmp_path / "bad.toml").write_text('[source.x]\nold = "https://x/{nope}"\n', "utf-8")
    bad = runner.invoke(cli, ["continuity", "export", *store, "--config", str(tmp_path / "bad.toml")])
    assert bad.exit_code == 1 and "{nope}" in bad.output and "Error: " in bad.output


def test_the_report_renders_the_continuity_section(migrated_sqlite, tmp_path):
    from reconciliation.runner import reconcile

    store = copy_store(migrated_sqlite, tmp_path)
    result = reconcile(store.url, tmp_path / "report", record=False, extra_checks=[continuity])
    check = next(c for c in result.checks if c.name == "continuity")
    assert check.ok, check.summary_lines()
    assert (tmp_path / "report" / "continuity-ambiguous-dossier-numbers.csv").exists()
    assert "Continuity: holds" in (tmp_path / "report" / "index.html").read_text("utf-8")
    store.engine.dispose()
