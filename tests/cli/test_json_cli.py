"""--json outputs: the keys README documents are exactly the keys the commands print, through main()."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.harness import hopnhat

README = Path(__file__).resolve().parents[2] / "README.md"


def _documented() -> dict[str, object]:
    text = README.read_text("utf-8")
    blocks = re.findall(r"<!-- json-shape: (.+?) -->\s*```json\n(.*?)```", text, re.S)
    return {name: json.loads(body) for name, body in blocks}


def _shape(value: object) -> object:
    """Keys all the way down; a list's shape is its first element's (an empty list stays empty)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


@pytest.fixture(scope="module")
def migrated(demo_portals, tmp_path_factory):
    """One demo portal migrated and reconciled into an SQLite store, with the JSON each step printed."""
    portal = demo_portals[0]
    tmp = tmp_path_factory.mktemp("json")
    store = f"sqlite:///{tmp / 'store.sqlite'}"
    env = {"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{portal.db_path}"}
    assert hopnhat("store", "upgrade", "--store", store).code == 0
    run = hopnhat("-q", "run", "--json", "--store", store, str(portal.profile_path), env=env)
    recon = hopnhat("-q", "reconcile", "run", "--json", str(portal.profile_path), "--store", store,
                    "--out", str(tmp / "report"), env=env)
    return portal, store, {"run": run, "reconcile run": recon}


def test_readme_documents_every_json_command():
    assert set(_documented()) == {"batches list", "quarantine list", "store current", "run", "reconcile run"}


@pytest.mark.parametrize("name", ["run", "reconcile run"])
def test_run_and_reconcile_print_the_documented_shape(migrated, name):
    portal, _store, printed = migrated
    result = printed[name]
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert _shape(document) == _shape(_documented()[name])
    assert document["ok"] is True
    entities = document["entities"] if name == "run" else document["conservation"]["balances"]
    dossier = next(e for e in entities if e["entity"] == "dossier")
    assert dossier["extracted"] == portal.counts["HoSo"] == dossier["source_count"]
    assert dossier["extracted"] == dossier["loaded"] + dossier["merged"] + dossier["quarantined"] + dossier["excluded"]


def test_batches_list_and_show_print_the_documented_shape(migrated):
    _portal, store, printed = migrated
    listing = hopnhat("batches", "list", "--json", "--store", store)
    assert listing.code == 0, listing.stderr
    document = json.loads(listing.stdout)
    assert _shape(document) == _shape(_documented()["batches list"])
    assert document["count"] == len(document["batches"]) > 0
    run_total = sum(e["extracted"] for e in json.loads(printed["run"].stdout)["entities"])
    assert sum(b["counts"]["extracted"] for b in document["batches"]) == run_total
    first = document["batches"][0]
    shown = hopnhat("batches", "show", str(first["id"]), "--json", "--store", store)
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout) == first


def test_quarantine_list_prints_the_documented_shape_without_payloads(migrated):
    _portal, store, printed = migrated
    result = hopnhat("quarantine", "list", "--json", "--store", store)
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert _shape(document) == _shape(_documented()["quarantine list"])
    quarantined = sum(e["quarantined"] for e in json.loads(printed["run"].stdout)["entities"])
    assert document["count"] == len(document["records"]) == quarantined > 0
    assert not re.search(r"(?<!\d)\d{9,13}(?!\d)", result.stdout), "an unmasked ID number in the JSON"


def test_store_current_prints_the_documented_shape_with_the_password_hidden(tmp_path):
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert hopnhat("store", "upgrade", "--store", store).code == 0
    result = hopnhat("store", "current", "--json", "--store", store)
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert _shape(document) == _shape(_documented()["store current"])
    assert document["up_to_date"] is True and document["revision"] == document["head"]


def test_an_id_number_in_a_free_text_is_masked():
    from migrate.cli.jsonout import masked

    assert masked("CMND 012345678 and CCCD 001089012345, batch 42") == "CMND ******678 and CCCD *********345, batch 42"
