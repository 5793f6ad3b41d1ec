"""A walk-in applicant's document, owned by the id number, is linked when an account with that number appears.

OpenCPS issues a result to a walk-in applicant whose number no account holds: the run loads it owned
by the number. A later run of another portal loads an account holding that number: the document is
linked to it at the end of that run, and reconciliation of both sources still PASSES.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from migrate import pipeline
from migrate.config import Settings
from migrate.store import schema
from migrate.store.models import account, document
from opencps_fixture import WALK_IN, create_opencps
from reconciliation.runner import reconcile

OTHER = """
[source]
name = "namdinh-portal"
engine = "sqlite"
url_env = "HOPNHAT_SOURCE_NAMDINH_URL"
old_province = "36"
[entity.account]
table = "CongDan"
key = ["Id"]
constants = { kind = "citizen" }
columns = { full_name = "HoTen", id_number = "SoCCCD", province_code = "MaTinh", district_code = "MaHuyen", commune_code = "MaXa" }
"""


def _owner(store_url: str) -> tuple[object, object]:
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        row = conn.execute(select(document.c.account_id, document.c.owner_id_number)
                           .where(document.c.doc_no == "GP-007")).one()
        holder = conn.execute(select(account.c.id).where(account.c.id_number == WALK_IN)).scalar()
    engine.dispose()
    return row.account_id, holder


def test_walk_in_document_is_linked_when_its_account_appears_later(tmp_path, store_url):
    portal = tmp_path / "opencps.sqlite"
    create_opencps(f"sqlite:///{portal}", tmp_path / "document_library")
    first = Settings.load(["opencps-v2"], store=store_url, source_urls={"opencps-v2": f"sqlite:///{portal}"},
                          files_dir=tmp_path / "files",
                          environ={"HOPNHAT_SOURCE_OPENCPS_FILES": str(tmp_path / "document_library")})
    report = pipeline.run(first)
    assert report.walk_ins is not None and (report.walk_ins.linked, report.walk_ins.waiting) == (0, 1)
    assert "Walk-in documents: 0 linked" in report.summary()
    assert _owner(store_url) == (None, None)  # owned by the number alone: no account holds it yet

    other = tmp_path / "namdinh.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE CongDan (Id INTEGER PRIMARY KEY, HoTen TEXT, SoCCCD TEXT, MaTinh TEXT, "
                     "MaHuyen TEXT, MaXa TEXT)")
        conn.execute("INSERT INTO CongDan VALUES (1, 'Đỗ Thị Hằng', ?, '36', '356', '13666')", (WALK_IN,))
    (tmp_path / "namdinh.toml").write_text(OTHER, encoding="utf-8")
    second = Settings.load([tmp_path / "namdinh.toml"], store=store_url, files_dir=tmp_path / "files",
                           environ={"HOPNHAT_SOURCE_NAMDINH_URL": f"sqlite:///{other}"})
    later = pipeline.run(second)
    assert later.ok, later.summary()
    assert (later.walk_ins.linked, later.walk_ins.waiting) == (1, 0)
    linked, holder = _owner(store_url)
    assert holder is not None and linked == holder

    both = Settings.load(["opencps-v2", tmp_path / "namdinh.toml"], store=store_url, files_dir=tmp_path / "files",
                         source_urls={"opencps-v2": f"sqlite:///{portal}"},
                         environ={"HOPNHAT_SOURCE_OPENCPS_FILES": str(tmp_path / "document_library"),
                                  "HOPNHAT_SOURCE_NAMDINH_URL": f"sqlite:///{other}"})
    result = reconcile(store_url, tmp_path / "report", sources=both.sources, files_dir=both.files_dir)
    assert result.ok, result.summary()


TWO_HOLDERS = """
[source]
name = "hanam-portal"
engine = "sqlite"
url_env = "HOPNHAT_SOURCE_HANAM_URL"
old_province = "35"
[entity.account]
table = "CongDan"
key = ["Id"]
constants = { kind = "citizen" }
columns = { full_name = "HoTen", id_number = "SoCCCD", birth_date = "NgaySinh", commune_code = "MaXa" }
[entity.document]
table = "GiayTo"
key = ["Id"]
columns = { owner_account_key = "CongDanId", owner_id_number = "SoGiayToChu", title = "TenGiayTo" }
"""


def test_a_number_two_accounts_hold_links_no_document(tmp_path, store_url):
    """Two accounts hold one CCCD (different people: not merged, the pair is reviewed): a walk-in document
    with that number is loaded owned by the number and linked to neither, counted as ambiguous."""
    portal = tmp_path / "hanam.sqlite"
    with sqlite3.connect(portal) as conn:
        conn.execute("CREATE TABLE CongDan (Id INTEGER PRIMARY KEY, HoTen TEXT, SoCCCD TEXT, NgaySinh TEXT, "
                     "MaXa TEXT)")
        conn.executemany("INSERT INTO CongDan VALUES (?, ?, ?, ?, ?)", [
            (1, "Nguyễn Văn An", WALK_IN, "1980-01-02", "13291"),
            (2, "Trần Thị Bình", WALK_IN, "1991-05-06", "13291"),
            (3, "Lê Văn Cường", "035177000778", "1975-03-04", "13291")])
        conn.execute("CREATE TABLE GiayTo (Id INTEGER PRIMARY KEY, CongDanId INTEGER, SoGiayToChu TEXT, "
                     "TenGiayTo TEXT)")
        conn.executemany("INSERT INTO GiayTo VALUES (?, ?, ?, ?)", [
            (1, None, WALK_IN, "GP-007"), (2, None, "035177000778", "GP-008")])
    (tmp_path / "hanam.toml").write_text(TWO_HOLDERS, encoding="utf-8")
    settings = Settings.load([tmp_path / "hanam.toml"], store=store_url, files_dir=tmp_path / "files",
                             environ={"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{portal}"})
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        holders = conn.execute(select(account.c.id).where(account.c.id_number == WALK_IN)).scalars().all()
        owners = dict(conn.execute(select(document.c.title, document.c.account_id)).all())
        other = conn.execute(select(account.c.id).where(account.c.id_number == "035177000778")).scalar_one()
    engine.dispose()
    assert len(holders) == 2  # not merged into one
    assert owners == {"GP-007": None, "GP-008": other}  # never linked by guess; the one holder is linked
    assert report.walk_ins is not None and report.walk_ins.ambiguous == 1
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()
