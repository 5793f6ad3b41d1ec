"""Tampering with the store after loading is caught, and the report names the record."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select, text, update

from migrate.store import schema
from migrate.store.models import dossier, dossier_file, lineage
from reconciliation.runner import reconcile


def _engine(migrated):
    return schema.connect(migrated.store_url)


def _one_dossier(engine, offset: int = 0):
    with engine.connect() as conn:
        return conn.execute(select(dossier).order_by(dossier.c.id).offset(offset).limit(1)).one()


def _report_text(folder) -> str:
    return "\n".join(p.read_text("utf-8") for p in folder.iterdir() if p.suffix in (".html", ".json", ".csv"))


def test_untouched_store_passes_every_check(migrated, tmp_path):
    result = reconcile(migrated.store_url, tmp_path / "report", sources=migrated.sources,
                       files_dir=migrated.files_dir)
    assert result.ok, result.summary()
    content = result.content
    assert content.compared_with_source
    assert all(t.source_records == t.records for t in content.tables_checked)
    assert sum(t.rows for t in content.tables_checked) > 1000
    names = {p.name for p in (tmp_path / "report").iterdir()}
    assert {"index.html", "report.xlsx", "report.json", "manifest.json", "conservation.csv",
            "conservation-by-unit.csv", "content.csv", "attachments.csv"} <= names
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text("utf-8"))
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert manifest["mapping_sha256"] and manifest["tool_version"] and manifest["reconciliation_run"]
    assert {p["name"] for p in manifest["profiles"]} == {s.name for s in migrated.sources}
    assert all(len(p["sha256"]) == 64 for p in manifest["profiles"])


def test_a_changed_row_is_named_with_its_changed_field(migrated, tmp_path):
    engine = _engine(migrated)
    victim = _one_dossier(engine, 5)
    with engine.begin() as conn:
        conn.execute(update(dossier).where(dossier.c.id == victim.id).values(status="returned-forged"))
    result = reconcile(migrated.store_url, tmp_path / "report", sources=migrated.sources,
                       files_dir=migrated.files_dir)
    assert not result.ok
    problems = {(p.source, p.key, p.kind) for p in result.content.problems}
    assert (victim.source_system, victim.source_key, "row-changed") in problems  # from the store alone
    assert (victim.source_system, victim.source_key, "changed") in problems      # against the source
    diffs = [d for d in result.content.differences if d["source_key"] == victim.source_key]
    assert [(d["field"], d["store_value"]) for d in diffs] == [("status", "returned-forged")]
    report = _report_text(tmp_path / "report")
    assert victim.source_key in report and "returned-forged" in report


def test_a_row_changed_together_with_its_hashes_is_caught_by_the_source(migrated, tmp_path):
    """Someone who also rewrites the stored hashes fools the store's own check, not the source comparison."""
    from reconciliation.rebuild import store_records

    engine = _engine(migrated)
    victim = _one_dossier(engine, 7)
    with engine.begin() as conn:
        conn.execute(update(dossier).where(dossier.c.id == victim.id).values(applicant_name="Trần Thị Giả"))
        accounts = conn.execute(text("select source_table from source_snapshot where entity='account' "
                                     "and source_system=:s limit 1"), {"s": victim.source_system}).scalar()
        forged = next(r for r in store_records(conn, victim.source_system, victim.source_table, "dossier",
                                               parent_table=accounts, keys=[victim.source_key]))
        conn.execute(update(dossier).where(dossier.c.id == victim.id).values(content_hash=forged.rebuilt_hash))
        conn.execute(update(lineage).where(lineage.c.source_system == victim.source_system,
                                           lineage.c.source_table == victim.source_table,
                                           lineage.c.source_key == victim.source_key)
                     .values(content_hash=forged.rebuilt_hash))
    store_only = reconcile(migrated.store_url, None, files_dir=migrated.files_dir, record=False)
    assert store_only.content.ok
    result = reconcile(migrated.store_url, tmp_path / "report", sources=migrated.sources,
                       files_dir=migrated.files_dir)
    assert not result.ok
    assert [(p.key, p.kind) for p in result.content.problems] == [(victim.source_key, "changed")]
    diff = next(d for d in result.content.differences if d["source_key"] == victim.source_key)
    assert diff["field"] == "applicant_name"
    assert diff["store_value"] == "Trần Thị Giả"
    assert "T*** T** G**" in (tmp_path / "report" / "content-field-differences.csv").read_text("utf-8")
    unmasked = reconcile(migrated.store_url, tmp_path / "unmasked", sources=migrated.sources,
                         files_dir=migrated.files_dir, unmask=True, record=False)
    assert "Trần Thị Giả" in (tmp_path / "unmasked" / "content-field-differences.csv").read_text("utf-8")
    assert "Trần Thị Giả" not in _report_text(tmp_path / "report")
    assert not unmasked.ok


def test_a_deleted_row_is_named(migrated, tmp_path):
    engine = _engine(migrated)
    victim = _one_dossier(engine, 3)
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # outside any transaction
        with conn.begin():
            conn.execute(delete(dossier).where(dossier.c.id == victim.id))
    result = reconcile(migrated.store_url, tmp_path / "report", files_dir=migrated.files_dir)
    assert not result.ok and not result.conservation.ok
    assert (victim.source_key, "row-missing") in {(p.key, p.kind) for p in result.content.problems}
    assert victim.source_key in (tmp_path / "report" / "content-problems.csv").read_text("utf-8")


def test_an_added_row_is_named(migrated, tmp_path):
    engine = _engine(migrated)
    model = _one_dossier(engine)._asdict()
    forged = dict(model, id=None, source_key="999999", dossier_no="FORGED-1")
    forged.pop("id")
    with engine.begin() as conn:
        conn.execute(insert(dossier).values(**forged))
    result = reconcile(migrated.store_url, tmp_path / "report", sources=migrated.sources,
                       files_dir=migrated.files_dir)
    assert not result.ok
    kinds = {(p.key, p.kind) for p in result.content.problems}
    assert ("999999", "row-without-lineage") in kinds
    assert ("999999", "not-in-source") in kinds
    assert "999999" in (tmp_path / "report" / "index.html").read_text("utf-8")


def test_a_replaced_file_is_named(migrated, tmp_path):
    from migrate.attachments import stored_path

    engine = _engine(migrated)
    with engine.connect() as conn:
        victim = conn.execute(select(dossier_file).where(dossier_file.c.file_state == "stored")
                              .order_by(dossier_file.c.id).limit(1)).one()
    stored_path(migrated.files_dir, victim.sha256).write_bytes(b"not the original scan")
    result = reconcile(migrated.store_url, tmp_path / "report", files_dir=migrated.files_dir)
    assert not result.ok
    check = next(c for c in result.checks if c.name == "attachments")
    assert victim.source_key in {p["source_key"] for p in check.problems}
    assert "altered" in (tmp_path / "report" / "attachment-problems.csv").read_text("utf-8")
