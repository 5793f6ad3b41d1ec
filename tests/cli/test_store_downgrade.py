"""``hopnhat store downgrade`` on a populated store, as a shell runs it, on SQLite and PostgreSQL.

upgrade → downgrade → upgrade keeps every row of every table the downgrade does not drop: 0009 → 0008
numbers each old identifier again in place of its lineage id (the upgrade keys them by lineage again), 0006 → 0005
moves the remap decisions out of the lineage rows into a remap_decision table of their own (the upgrade
moves them back), 0004 → 0003
drops only the marks of records deleted in the source and how each part was read, 0003 → 0002 only the
old-identifier index (rebuilt by ``hopnhat continuity index``), 0002 → 0001 only the
snapshot's ``planned_at`` column; ``base`` drops everything hopnhat created.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from adapters.profiles import load_profile
from migrate.store import schema

HEAD = schema.head_revision()


def _contents(url: str) -> dict[str, list[tuple]]:
    """Every table's rows (every column, as text), sorted: what a downgrade must not lose."""
    engine = schema.connect(url)
    try:
        found = inspect(engine)
        out = {}
        with engine.connect() as conn:
            for name in sorted(found.get_table_names()):
                if name == "alembic_version":
                    continue
                columns = [c["name"] for c in found.get_columns(name)]
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()  # names from the store's own catalogue
                out[name] = sorted(tuple(str(v) for v in dict(zip(columns, r)).values()) for r in rows)
                out[f"{name}:columns"] = [tuple(columns)]
        return out
    finally:
        engine.dispose()


def _without(contents: dict[str, list[tuple]], table: str, column: str | None = None) -> dict[str, list[tuple]]:
    """``contents`` as it must read once ``table`` (or only its ``column``) is dropped."""
    if column is None:
        return {k: v for k, v in contents.items() if k.split(":")[0] != table}
    (columns,) = contents[f"{table}:columns"]
    keep = [i for i, c in enumerate(columns) if c != column]
    return contents | {f"{table}:columns": [tuple(columns[i] for i in keep)],
                       table: sorted(tuple(r[i] for i in keep) for r in contents[table])}


# lineage columns holding a record's remap decision since revision 0006, and the remap_decision column of each
DECISION = {"remap_rule": "rule", "remap_score": "score", "remap_detail": "detail", "remap_address": "address",
            "new_province_code": "new_province_code"}
DECISION_ROW = ("source_system", "source_table", "source_key", "entity", "batch_id", "content_hash",
                "old_province_code", "old_district_code", "old_commune_code", "address", "new_commune_code",
                "new_province_code", "rule", "score", "detail")


def _decisions_apart(contents: dict[str, list[tuple]], found: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """``contents`` as revision 0005 must hold it: the lineage rows without their decision columns, and each
    decision a row of ``remap_decision`` (its ids, which the downgrade assigns, taken from ``found``)."""
    (columns,) = contents["lineage:columns"]
    at = {c: i for i, c in enumerate(columns)}
    held_in = {d: lineage_column for lineage_column, d in DECISION.items()}  # the lineage's own rule is another
    wanted = sorted(tuple(r[at[held_in.get(c, c)]] for c in DECISION_ROW)
                    for r in contents["lineage"] if r[at["remap_rule"]] != "None")
    (decision_columns,) = found["remap_decision:columns"]
    assert decision_columns == ("id", *DECISION_ROW)
    assert sorted(r[1:] for r in found["remap_decision"]) == wanted and wanted
    out = contents
    for column in DECISION:
        out = _without(out, "lineage", column)
    return out | {"remap_decision": found["remap_decision"], "remap_decision:columns": [decision_columns]}


def _identifiers_numbered(contents: dict[str, list[tuple]], found: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """``contents`` as revision 0008 must hold it: each old identifier without its lineage id, with an id the
    downgrade numbers it by (taken from ``found``)."""
    out = _without(contents, "old_identifier", "lineage_id")
    (columns,) = found["old_identifier:columns"]
    assert columns == (*out["old_identifier:columns"][0], "id")
    ids = [r[-1] for r in found["old_identifier"]]
    assert sorted(r[:-1] for r in found["old_identifier"]) == out["old_identifier"] and len(set(ids)) == len(ids)
    return out | {"old_identifier": found["old_identifier"], "old_identifier:columns": [columns]}


@pytest.fixture
def populated(shell, store_url, demo_portals):
    """The store with the Hà Nam portal migrated through ``hopnhat run`` (its identifier index built)."""
    portal = demo_portals[0]
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}"}
    shell.main("-q", "run", str(portal.profile_path), "--store", store_url, "--files-dir", str(shell.cwd / "files"),
               env=env)
    return store_url, portal, env


def test_downgrade_and_upgrade_again_keep_what_they_promise(shell, populated):
    store, portal, env = populated
    before = _contents(store)
    assert 0 < len(before["dossier"]) <= portal.counts["HoSo"] and before["quarantine"]
    assert before["old_identifier"] and before["lineage"] and before["batch"] and before["review_item"]
    planned = before["source_snapshot:columns"][0].index("planned_at")
    assert all(r[planned] != "None" for r in before["source_snapshot"])

    for way in (shell.run, shell.main):
        assert way("store", "current", "--store", store).stdout.endswith(f"revision {HEAD}; latest {HEAD}.\n")

    down = shell.run("store", "downgrade", "--store", store, "0008")
    assert down.stdout == f"Store {schema.safe_url(store)} is at schema revision 0008.\n" and down.stderr == ""
    found = _contents(store)
    at_0008 = _identifiers_numbered(before, found)
    assert found == at_0008
    shell.main("store", "upgrade", "--store", store)  # keyed by their lineage rows again: the same rows
    assert _contents(store) == before

    down = shell.run("store", "downgrade", "--store", store, "0003")
    assert down.stdout == f"Store {schema.safe_url(store)} is at schema revision 0003.\n" and down.stderr == ""
    found = _contents(store)
    at_0003 = _decisions_apart(_without(_without(_identifiers_numbered(before, found), "source_deletion"),
                                        "source_snapshot", "read_plan"), found)
    assert found == at_0003

    down = shell.run("store", "downgrade", "--store", store, "0002")
    assert down.stdout == f"Store {schema.safe_url(store)} is at schema revision 0002.\n" and down.stderr == ""
    assert _contents(store) == _without(at_0003, "old_identifier")

    shell.main("store", "downgrade", "--store", store, "0001")
    at_0001 = _contents(store)
    assert at_0001 == _without(_without(at_0003, "old_identifier"), "source_snapshot", "planned_at")
    assert shell.main("store", "current", "--store", store).stdout.endswith(f"revision 0001; latest {HEAD}.\n")

    # a store behind the schema is refused with the command that fixes it, exit 1, one line
    refused = shell.main("batches", "list", "--store", store, expect=1)
    assert refused.error_line.startswith("Error: Store ") and "is at schema revision 0001, this hopnhat needs " \
        f"{HEAD}. Run: hopnhat store upgrade --store URL" in refused.error_line

    up = shell.run("store", "upgrade", "--store", store)
    assert up.stdout == f"Store {schema.safe_url(store)} is at schema revision {HEAD}.\n"
    after = _contents(store)
    assert after["old_identifier"] == []                           # the index comes back empty ...
    emptied = after["source_snapshot"]
    read_plan = before["source_snapshot:columns"][0].index("read_plan")
    assert all(r[planned] == "None" and r[read_plan] == "None" for r in emptied)  # ... planned_at, read_plan unset
    restored = {**after, "old_identifier": before["old_identifier"], "source_snapshot": before["source_snapshot"]}
    assert restored == before

    def kept(r: tuple) -> tuple:
        return tuple(v for i, v in enumerate(r) if i not in (planned, read_plan))

    assert [kept(r) for r in emptied] == [kept(r) for r in before["source_snapshot"]]

    index = shell.main("continuity", "index", "--store", store, str(portal.profile_path), env=env)
    assert index.stdout.startswith(f"Continuity index: {len(before['old_identifier'])} old identifiers "
                                   f"({len(before['old_identifier'])} new, 0 changed, 0 removed)")
    rebuilt = _contents(store)["old_identifier"]
    columns = before["old_identifier:columns"][0]
    no_id = [i for i, c in enumerate(columns) if c != "id"]
    assert sorted(tuple(r[i] for i in no_id) for r in rebuilt) == \
        sorted(tuple(r[i] for i in no_id) for r in before["old_identifier"])

    listing = shell.main("batches", "list", "--store", store)
    assert "loaded" in listing.stdout and listing.stderr == ""


def test_downgrade_to_base_drops_everything_hopnhat_created(shell, populated):
    store, _, _ = populated
    shell.run("store", "downgrade", "--store", store, "base")
    engine = schema.connect(store)
    try:
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        with engine.connect() as conn:
            version = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() \
                if "alembic_version" in inspect(engine).get_table_names() else 0
    finally:
        engine.dispose()
    assert left == set() and version == 0
    assert shell.main("store", "current", "--store", store).stdout.endswith(f"revision none; latest {HEAD}.\n")


def test_downgrade_to_an_unknown_revision_is_one_error_line(shell, sqlite_store):
    out = shell.main("store", "downgrade", "--store", sqlite_store, "0099", expect=1)
    assert out.stdout == "" and "0099" in out.error_line
    assert shell.main("store", "current", "--store", sqlite_store).stdout.endswith(f"revision {HEAD}; latest {HEAD}.\n")
