"""Accounted for is not migrated: named warnings and exit code 4 for `hopnhat run` and `reconcile run`.

The portal is a copy of a demo portal whose attachment folder is gone (every
dossier file and document is quarantined: the equation holds, nothing of them
is migrated) and whose data-store table is emptied.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from migrate.verdict import EXIT_WARNINGS, EntityShare, Verdict, attachment_warning, entity_warnings
from tests.harness import hopnhat


def shell(*args: str) -> tuple[int, str, str]:
    """``hopnhat ARGS`` through main() (tests/harness.py), with the variables the test set: exit code, stdout, stderr."""
    out = hopnhat(*args, keep_env=True)
    return out.code, out.stdout, out.stderr


@pytest.fixture
def stripped_portal(demo_portals, tmp_path, monkeypatch):
    """Hà Nam without its attachment files and with an empty data-store table (KhoDuLieu)."""
    hanam = demo_portals[0]
    folder = tmp_path / "portals"
    folder.mkdir()
    shutil.copy(hanam.db_path, folder / hanam.db_path.name)
    shutil.copy(hanam.profile_path, folder / hanam.profile_path.name)
    (folder / hanam.files_dir.name).mkdir()
    with sqlite3.connect(folder / hanam.db_path.name) as db:
        db.execute("DELETE FROM KhoDuLieu")
    profile = folder / hanam.profile_path.name
    from adapters.profiles import load_profile

    monkeypatch.setenv(load_profile(profile).url_env, f"sqlite:///{folder / hanam.db_path.name}")
    return profile


def test_run_and_reconcile_exit_4_naming_what_was_not_migrated(stripped_portal, tmp_path, monkeypatch):
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    code, out, _ = shell("store", "upgrade", "--store", store)
    assert code == 0, out
    code, out, _ = shell("run", str(stripped_portal), "--store", store)
    assert code == EXIT_WARNINGS == 4, out
    assert "warning entity-wholly-quarantined: hanam-portal/dossier_file: all" in out
    assert "warning empty-source-table: hanam-portal/document" in out
    assert "verdict: PASSED WITH WARNINGS (exit 4)" in out

    code, out, _ = shell("run", str(stripped_portal), "--store", store, "--lang", "vi")
    assert code == 4, out
    assert "cảnh báo entity-wholly-quarantined: hanam-portal/dossier_file: toàn bộ" in out
    assert "kết luận: ĐẠT, CÓ CẢNH BÁO (mã thoát 4)" in out and "cách ly: " in out

    report = tmp_path / "report"
    code, out, _ = shell("reconcile", "run", str(stripped_portal), "--store", store,
                         "--out", str(report))
    assert code == 4, out
    assert "conservation holds" in out  # accounted for...
    for code_name in ("entity-wholly-quarantined", "empty-source-table", "no-attachments-verified"):
        assert f"warning {code_name}:" in out  # ...but not migrated
    assert "verdict: PASSED WITH WARNINGS (exit 4)" in out
    data = json.loads((report / "report.json").read_text("utf-8"))
    assert data["verdict"]["outcome"] == "warnings" and data["verdict"]["exit_code"] == 4
    shares = {(q["source"], q["entity"]): q for q in data["verdict"]["quarantine"]}
    assert shares[("hanam-portal", "dossier_file")]["quarantined_share"] == 1.0
    html = (report / "index.html").read_text("utf-8")
    assert 'data-outcome="warnings"' in html and "Every check passed" not in html
    assert 'id="quarantine-totals"' in html and 'data-code="no-attachments-verified"' in html


def test_reconcile_on_an_empty_store_says_nothing_migrated_yet(tmp_path, monkeypatch):
    store = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert shell("store", "upgrade", "--store", store)[0] == 0
    code, out, err = shell("reconcile", "run", "--store", store, "--out",
                           str(tmp_path / "report"))
    assert code == 4, out + err
    assert "nothing migrated yet" in out and "BROKEN" not in out
    assert "warning nothing-migrated:" in out and "Traceback" not in err


def _share(extracted: int, quarantined: int, entity: str = "dossier", source_count: int | None = None):
    return EntityShare("p", entity, extracted if source_count is None else source_count, extracted,
                       extracted - quarantined, quarantined, table="T")


@pytest.mark.parametrize("extracted,quarantined,expected", [
    (100, 0, None), (100, 50, None), (100, 51, "entity-mostly-quarantined"), (100, 100, "entity-wholly-quarantined"),
    (0, 0, "empty-source-table"),
])
def test_entity_warnings(extracted, quarantined, expected):
    found = entity_warnings([_share(extracted, quarantined)])
    assert [w.code for w in found] == ([expected] if expected else [])


def test_attachment_warning_only_when_file_records_were_read():
    assert attachment_warning([_share(10, 10, "dossier_file")], 0).figures == {"expected": 10}
    assert attachment_warning([_share(10, 0, "dossier_file")], 10) is None
    assert attachment_warning([_share(10, 0, "dossier")], 0) is None  # no file entity, nothing to verify


def test_verdict_outcomes_and_exit_codes():
    warn = entity_warnings([_share(4, 4)])
    assert Verdict((), ()).exit_code == 0
    assert Verdict((), tuple(warn)).exit_code == 4
    assert Verdict(("content",), tuple(warn)).exit_code == 3  # a failed check outranks every warning
    assert Verdict((), tuple(warn), (_share(4, 4),)).lines()[-1] == "verdict: PASSED WITH WARNINGS (exit 4)"
