"""The cutover delta through the command line, on SQLite and PostgreSQL stores.

A demo portal is migrated, then changed as a portal changes in the last days before
cutover (dossiers modified, a dossier added with an old watermark, a dossier and an
event deleted); ``hopnhat run`` again reads only what changed, finds the deletions,
and conservation, content and reconciliation hold; ``--full`` reads everything again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from sqlalchemy import create_engine, func, select

from migrate.store.models import dossier, lineage, source_deletion
from reconciliation.checks import conservation
from tests.harness import EXIT_OK


@pytest.fixture
def portal(demo_portals, tmp_path):
    """A copy of the Hà Nam demo portal (its SQLite file, attachments and profile) this test may change."""
    original = demo_portals[0]
    folder = tmp_path / "portal"
    folder.mkdir()
    shutil.copy(original.db_path, folder / original.db_path.name)
    shutil.copytree(original.files_dir, folder / original.files_dir.name)
    shutil.copy(original.profile_path, folder / original.profile_path.name)
    return folder / original.db_path.name, folder / original.profile_path.name


def _db(path):
    return sqlite3.connect(path, isolation_level=None)


def _loaded(store: str, n: int) -> list[int]:
    """The source keys of ``n`` dossiers the store loaded (not quarantined), lowest first."""
    engine = create_engine(store)
    with engine.connect() as conn:
        keys = conn.execute(select(lineage.c.source_key).where(lineage.c.source_table == "HoSo",
                                                               lineage.c.outcome == "loaded")).scalars().all()
    engine.dispose()
    return sorted(int(k) for k in keys)[:n]


def _change(path, modified: list[int], gone: int) -> dict:
    """Modify three dossiers, add one whose watermark is older than the newest, delete a dossier and an event."""
    db = _db(path)
    ids = [i for (i,) in db.execute("SELECT Id FROM HoSo ORDER BY Id")]
    newest = db.execute("SELECT max(NgayCapNhat) FROM HoSo").fetchone()[0]
    at_newest = db.execute(f"SELECT count(*) FROM HoSo WHERE NgayCapNhat = ? AND Id NOT IN ({','.join('?' * 3)})",
                           (newest, *modified)).fetchone()[0]
    later = newest[:8] + f"{int(newest[8:10]) + 1:02d}" + newest[10:]
    db.execute(f"UPDATE HoSo SET TrangThai = '5', NgayCapNhat = ? WHERE Id IN ({','.join('?' * 3)})",
               (later, *modified))
    columns = [r[1] for r in db.execute("PRAGMA table_info(HoSo)")]
    copied = ", ".join(f"'{ids[-1] + 1}'" if c == "Id" else "SoHoSo || '-moi'" if c == "SoHoSo" else c
                       for c in columns)
    db.execute(f"INSERT INTO HoSo ({', '.join(columns)}) SELECT {copied} FROM HoSo WHERE Id = ?", (modified[0],))
    db.execute("DELETE FROM HoSo WHERE Id = ?", (gone,))
    event = db.execute("SELECT max(Id) FROM QuaTrinhXuLy").fetchone()[0]
    db.execute("DELETE FROM QuaTrinhXuLy WHERE Id = ?", (event,))
    db.close()
    # records read again: the three modified, the one added (by key: its watermark is old) and the
    # ones sitting at the last watermark (the delta reads from it, margin 0, inclusive)
    return {"read": 3 + 1 + at_newest, "gone": str(gone), "added": str(ids[-1] + 1), "event": str(event)}


def _run(shell, store, profile, env, files, *extra):
    out = shell.main("-q", "run", "--json", "--store", store, "--files-dir", str(files), *extra, str(profile),
                     env=env, expect=EXIT_OK)
    return {e["entity"]: e for e in json.loads(out.stdout)["entities"]}


def _reconcile(shell, store, profile, env, files, out):
    result = shell.main("-q", "reconcile", "run", "--json", str(profile), "--store", store, "--files-dir",
                        str(files), "--out", str(out), env=env, expect=EXIT_OK)
    return json.loads(result.stdout)


def test_second_run_reads_only_the_changes_and_finds_the_deletions(shell, store_url, portal, tmp_path):
    db, profile = portal
    env = {"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{db}"}
    files = tmp_path / "files"
    first = _run(shell, store_url, profile, env, files, "--delta-margin", "0")
    assert first["dossier"]["read"]["mode"] == "full" and first["dossier"]["read"]["reason"] == "first load"
    loaded = _loaded(store_url, 4)
    expected = _change(db, loaded[:3], loaded[3])
    events = _db(db).execute("SELECT count(*) FROM QuaTrinhXuLy").fetchone()[0]
    dossiers = _db(db).execute("SELECT count(*) FROM HoSo").fetchone()[0]

    second = _run(shell, store_url, profile, env, files, "--delta-margin", "0")
    d = second["dossier"]
    assert d["read"]["mode"] == "delta" and d["source_count"] == dossiers
    assert d["extracted"] == expected["read"] and d["read"]["carried"] == dossiers - expected["read"]
    assert d["read"]["deleted_in_source"] == 1
    e = second["dossier_event"]  # the demo profile names no watermark for events: read in full, deletions found
    assert e["read"]["mode"] == "full" and "no watermark column" in e["read"]["reason"]
    assert e["extracted"] == events == e["source_count"] and e["read"]["deleted_in_source"] == 1
    assert second["account"]["read"]["mode"] == "delta" and second["account"]["extracted"] < first["account"]["extracted"]

    text = shell.main("run", "--store", store_url, "--files-dir", str(files), str(profile), env=env, expect=EXIT_OK)
    assert "hanam-portal/dossier: delta: " in text.stdout and " carried over unchanged" in text.stdout
    assert ("hanam-portal/dossier: 1 record(s) deleted in the source (0 found by this run): kept in the store, "
            "marked deleted-in-source") in text.stdout

    report = _reconcile(shell, store_url, profile, env, files, tmp_path / "report")
    assert report["verdict"] == "passed"
    balances = {b["entity"]: b for b in report["conservation"]["balances"]}
    b = balances["dossier"]
    assert b["ok"] and b["source_count"] == b["extracted"] == dossiers and b["deleted_in_source"] == 1
    assert b["loaded"] + b["merged"] + b["quarantined"] + b["excluded"] == dossiers + 1
    assert balances["dossier_event"]["deleted_in_source"] == 1 and balances["dossier_event"]["ok"]
    page = (tmp_path / "report" / "index.html").read_text("utf-8")
    assert "deleted in source" in page and "marked deleted-in-source" in page

    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conservation(conn).ok
        marked = {(t, k) for t, k in conn.execute(select(source_deletion.c.source_table, source_deletion.c.source_key))}
        assert marked == {("HoSo", expected["gone"]), ("QuaTrinhXuLy", expected["event"])}
        kept = conn.execute(select(func.count()).select_from(dossier).where(
            dossier.c.source_key == expected["gone"])).scalar_one()
        added = conn.execute(select(func.count()).select_from(dossier).where(
            dossier.c.source_key == expected["added"])).scalar_one()
    engine.dispose()
    assert kept == 1 and added == 1  # the deleted dossier stays in the store; the one added is loaded


def test_a_record_back_in_the_source_loses_its_mark_and_full_rereads_everything(shell, store_url, portal, tmp_path):
    db, profile = portal
    env = {"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{db}"}
    files = tmp_path / "files"
    _run(shell, store_url, profile, env, files)
    source = _db(db)
    row = source.execute("SELECT * FROM QuaTrinhXuLy ORDER BY Id LIMIT 1").fetchone()
    source.execute("DELETE FROM QuaTrinhXuLy WHERE Id = ?", (row[0],))
    assert _run(shell, store_url, profile, env, files)["dossier_event"]["read"]["deleted_in_source"] == 1
    source.execute(f"INSERT INTO QuaTrinhXuLy VALUES ({','.join('?' * len(row))})", row)
    source.close()
    full = _run(shell, store_url, profile, env, files, "--full")
    assert full["dossier_event"]["read"]["deleted_in_source"] == 0
    for part in full.values():
        assert part["read"]["mode"] == "full" and part["read"]["reason"] == "--full"
        assert part["extracted"] == part["source_count"] and part["read"]["carried"] == 0
    text = shell.main("run", "--store", store_url, "--files-dir", str(files), str(profile), env=env, expect=EXIT_OK)
    assert "hanam-portal/dossier: delta: " in text.stdout
    report = _reconcile(shell, store_url, profile, env, files, tmp_path / "report")
    assert report["verdict"] == "passed"
    assert all(b["deleted_in_source"] == 0 and b["ok"] for b in report["conservation"]["balances"])
