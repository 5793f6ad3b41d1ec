"""Review queue in the store: export open items by reference, import decisions, next run applies them."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from mappings import review_store
from migrate.cli.map import map_group
from migrate import pipeline
from migrate.demo.flow import demo_settings
from migrate.core.errors import MappingError
from migrate.store import schema
from migrate.store.models import lineage, review_item


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_decision_imported_from_the_store_queue_releases_its_records(store_url, demo_portals, tmp_path, table):
    settings = demo_settings(demo_portals, store_url, tmp_path / "files", batch_size=100)
    pipeline.run(settings)
    engine = schema.connect(store_url)
    out = tmp_path / "review.csv"
    result = CliRunner().invoke(map_group, ["review", "export", "--store", store_url, str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the one table writer's CSV: Excel reads Vietnamese
    rows = _rows(out)
    assert rows and all(r["ref_key"] and int(r["records"]) >= 1 for r in rows)
    assert len({r["ref_key"] for r in rows}) == len(rows)          # one row per reference
    row = next(r for r in rows if r["candidates"])                  # a split commune: parts named
    code = row["candidates"].split(" ")[0]
    assert table.new_commune(code) is not None and table.new_commune(code).name in row["candidates"]
    row["decision_new_commune"] = str(int(code))                    # zero padding lost in a spreadsheet
    _write(out, [row])
    result = CliRunner().invoke(map_group, ["review", "import", str(out), "--store", store_url, "--by", "tester"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"1 decision(s) covering {row['records']} record(s)")
    with engine.connect() as conn:
        items = conn.execute(select(review_item.c.source_system, review_item.c.source_table,
                                    review_item.c.source_key, review_item.c.context, review_item.c.state,
                                    review_item.c.decision, review_item.c.decided_by)
                             .where(review_item.c.kind == "remap")).all()
    mine = [i for i in items if (i.context or {}).get("ref_key") == row["ref_key"]]
    assert len(mine) == int(row["records"])
    assert {(i.state, i.decision, i.decided_by) for i in mine} == {("decided", code.zfill(5), "tester")}

    pipeline.run(settings)
    keys = [(i.source_system, i.source_table, i.source_key) for i in mine]
    with engine.connect() as conn:
        for system, tbl, key in keys:
            outcome = conn.execute(select(lineage.c.outcome).where(
                lineage.c.source_system == system, lineage.c.source_table == tbl, lineage.c.source_key == key)).scalar()
            rule, new = conn.execute(select(lineage.c.remap_rule, lineage.c.new_commune_code).where(
                lineage.c.source_system == system, lineage.c.source_table == tbl,
                lineage.c.source_key == key)).one()
            assert (outcome, rule, new) == ("loaded", "manual", code.zfill(5))
    # the decided reference is no longer exported as open
    assert row["ref_key"] not in {g.ref_key for g in review_store.open_references(engine)}


def test_import_reports_every_problem_by_row_and_field(sqlite_store, tmp_path, table):
    engine = schema.connect(sqlite_store)
    path = tmp_path / "review.csv"
    _write(path, [
        dict(ref_key="nope", decision_new_commune="00004", decided_by="a"),
        dict(ref_key="nope2", decision_new_commune="12", decided_by=""),
        dict(ref_key="", decision_new_commune="abc", decided_by="b"),
        dict(ref_key="open-row", decision_new_commune="", decided_by=""),
    ])
    with pytest.raises(MappingError) as err:
        review_store.import_decisions(engine, table, path)
    text = str(err.value)
    assert "row 2, field ref_key: nope is not a remap review item" in text
    assert "row 3, field decision_new_commune: 00012 is not a new commune" in text
    assert "row 3, field decided_by: empty" in text
    assert "row 4, field ref_key: empty" in text and "row 4, field decision_new_commune: 'abc'" in text
    assert "row 5" not in text


def test_import_rejects_a_file_that_is_not_a_review_file(sqlite_store, tmp_path, table):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not a review file"):
        review_store.import_decisions(schema.connect(sqlite_store), table, path)


def test_one_decision_settles_a_reference_thousands_of_records_share(sqlite_store, tmp_path, table):
    """More review items than one part of the store's IN lists (900 values on SQLite, whose older builds take
    no more than 999 variables in a statement): every one decided."""
    engine = schema.connect(sqlite_store)
    ref_key = "35|347|99999||"
    with engine.begin() as conn:
        conn.execute(review_item.insert(), [
            {"kind": "remap", "source_system": "hanam-portal", "source_table": "HoSo", "source_key": str(i),
             "reason": "split commune", "candidates": [], "context": {"ref_key": ref_key}, "state": "open"}
            for i in range(2500)])
    filled = tmp_path / "filled.csv"
    code = next(iter(table.new_communes("37"))).code
    _write(filled, [{"ref_key": ref_key, "decision_new_commune": code, "decided_by": "an"}])
    result = review_store.import_decisions(engine, table, filled)
    assert (result.decisions, result.items) == (1, 2500)
    with engine.connect() as conn:
        states = dict(conn.execute(select(review_item.c.state, func.count()).group_by(review_item.c.state)).all())
    assert states == {"decided": 2500}
    engine.dispose()
