"""Implausible dates are not loaded as facts: quarantine and a review item (rule date:implausible), with the
earliest plausible date set by --earliest-date, HOPNHAT_EARLIEST_DATE or [run] earliest_date."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3

import pytest
from sqlalchemy import select

from migrate import pipeline
from migrate.config import Project, Settings
from migrate.core.errors import ConfigError
from migrate.demo.flow import demo_settings
from migrate.store import schema
from migrate.store.models import lineage, quarantine, review_item


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory):
    from migrate.demo.generate import build_demo

    return build_demo(tmp_path_factory.mktemp("dates-portal"), scale=8, seed=5, files=True)[0]


def _items(store_url: str):
    store = schema.connect(store_url)
    with store.connect() as conn:
        reviews = {r.source_key: r for r in conn.execute(
            select(review_item.c.source_key, review_item.c.state, review_item.c.reason, review_item.c.context)
            .where(review_item.c.kind == "date:implausible"))}
        outcome = dict(conn.execute(select(lineage.c.source_key, lineage.c.outcome)
                                    .where(lineage.c.source_table == "TaiKhoan")).all())
        reasons = dict(conn.execute(select(quarantine.c.source_key, quarantine.c.reason)
                                    .where(quarantine.c.source_table == "TaiKhoan",
                                           quarantine.c.released_at.is_(None))).all())
    store.dispose()
    return reviews, outcome, reasons


def test_an_implausible_date_is_quarantined_and_reviewed_until_the_earliest_date_allows_it(
        demo_portal, store_url, tmp_path):
    db = tmp_path / demo_portal.db_path.name
    shutil.copy(demo_portal.db_path, db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE TaiKhoan SET NgayTao = '1890-03-04 08:00:00' WHERE Id = 2")
        conn.execute("UPDATE TaiKhoan SET NgayTao = '2999-01-01 08:00:00' WHERE Id = 3")  # after the snapshot
    manifest = dataclasses.replace(demo_portal, db_path=db)
    settings = demo_settings([manifest], store_url, tmp_path / "files", batch_size=20)
    assert not pipeline.run(settings).failed_batches
    reviews, outcome, reasons = _items(store_url)
    assert outcome["2"] == "quarantined" and "before 1900-01-01" in reasons["2"]
    assert reviews["2"].state == "open" and reviews["2"].reason == reasons["2"]
    assert reviews["2"].context == {"field": "created_at", "rule": "date:implausible"}
    assert outcome["3"] == "quarantined" and "after the snapshot" in reasons["3"] and reviews["3"].state == "open"
    # the operator decides 1890 is plausible for this portal: the record loads, its review item is resolved
    earlier = demo_settings([manifest], store_url, tmp_path / "files", batch_size=20, earliest_date="1850-01-01")
    pipeline.rerun_quarantined(earlier)
    reviews, outcome, reasons = _items(store_url)
    assert outcome["2"] == "loaded" and "2" not in reasons and reviews["2"].state == "resolved"
    assert outcome["3"] == "quarantined" and reviews["3"].state == "open"  # the future stays implausible


def test_the_earliest_date_comes_from_flag_environment_or_project_file(tmp_path):
    (tmp_path / "hopnhat.toml").write_text('[run]\nearliest_date = "1945-09-02"\n', encoding="utf-8")
    project = Project.load(tmp_path / "hopnhat.toml")
    assert str(Settings.load(project=project, environ={}).dates.earliest) == "1945-09-02"
    assert str(Settings.load(project=project, environ={"HOPNHAT_EARLIEST_DATE": "1950-01-01"})
               .dates.earliest) == "1950-01-01"
    assert str(Settings.load(project=project, earliest_date="1960-01-01",
                             environ={"HOPNHAT_EARLIEST_DATE": "1950-01-01"}).dates.earliest) == "1960-01-01"
    (tmp_path / "bad.toml").write_text('[run]\nearliest_date = "02/09/1945"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[run\] earliest_date must be a date \(YYYY-MM-DD\)"):
        Project.load(tmp_path / "bad.toml")


def test_run_refuses_an_earliest_date_that_is_not_a_date(shell, demo_portal, tmp_path):
    env = {"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{demo_portal.db_path}"}
    for outcome in (shell.main("run", "--earliest-date", "1.1.1900", "--store", f"sqlite:///{tmp_path / 's.db'}",
                               str(demo_portal.profile_path), env=env, expect=1),
                    shell.run("run", "--earliest-date", "1.1.1900", "--store", f"sqlite:///{tmp_path / 's.db'}",
                              str(demo_portal.profile_path), env=env, expect=1)):
        assert "earliest plausible date '1.1.1900' is not a date (YYYY-MM-DD)" in outcome.error_line
