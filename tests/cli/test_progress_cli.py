"""Progress as a user sees it: bars on a terminal, timestamped lines in order with the summaries elsewhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from migrate.cli.progress import Lines
from tests.harness import Outcome, hopnhat

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO hopnhat\.progress: (?P<text>.+)$")
VI_LINE = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d THÔNG TIN hopnhat\.progress: (?P<text>.+)$")  # --lang vi


def on_terminal(*args: str, env: dict[str, str]) -> Outcome:
    """``hopnhat ARGS`` through main() with stderr a terminal."""
    return hopnhat(*args, env=env, terminal=True)


@pytest.fixture
def hanam(demo_portals, tmp_path):
    portal = demo_portals[0]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert hopnhat("store", "upgrade", "--store", store).code == 0
    return portal, store, {"HOPNHAT_SOURCE_HANAM_URL": f"sqlite:///{portal.db_path}"}


def test_piped_demo_prints_timestamped_lines_in_order_with_each_summary(tmp_path):
    """stdout and stderr into one file, as ``hopnhat demo > demo.log 2>&1`` does."""
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOPNHAT_")}
    with open(log, "wb") as sink:
        code = subprocess.run([sys.executable, "-m", "migrate.cli", "demo", "--out", str(tmp_path / "demo"),
                               "--scale", "40", "--no-files"], stdout=sink, stderr=subprocess.STDOUT,
                              cwd=tmp_path, env=env, timeout=600).returncode
    lines = log.read_text("utf-8").splitlines()
    assert code == 0, "\n".join(lines)
    at = {title: next(i for i, line in enumerate(lines) if line.startswith(title))
          for title in ("Legacy portals built:", "Run 1:", "Reconciliation 1:")}
    progress = [(i, LINE.match(line)["text"]) for i, line in enumerate(lines) if LINE.match(line)]
    assert not [line for line in lines if "hopnhat.progress" in line and not LINE.match(line)]

    def between(first: int, last: int, step: str) -> list[str]:
        return [text for i, text in progress if first < i < last and text.startswith(step + " ")]

    building = between(-1, at["Legacy portals built:"], "building")
    migrating = between(at["Legacy portals built:"], at["Run 1:"], "migrating")
    checking = [text for step in ("rehashing", "re-reading", "checking files")
                for text in between(at["Run 1:"], at["Reconciliation 1:"], step)]
    assert len(building) + len(migrating) + len(checking) == len(progress), "a progress line out of its step"
    assert "building hanam-portal/dossier: 40 of 40 (100%), done in" in "\n".join(building)
    # each part of each source ends on a line giving its total: the source's count at the snapshot
    run_rows = {m["part"]: int(m["count"]) for m in (
        re.match(r"^  (?P<part>\S+/\S+)\s+(?P<count>\d+)\s", line) for line in lines[at["Run 1:"]:at["Reconciliation 1:"]])
        if m}
    finals = {m["part"]: (int(m["done"].replace(",", "")), int(m["total"].replace(",", ""))) for m in (
        re.match(r"^migrating (?P<part>\S+): (?P<done>[\d,]+) of (?P<total>[\d,]+) \(100%\), done in", text)
        for text in migrating) if m}
    assert len(run_rows) == 15 and finals == {part: (n, n) for part, n in run_rows.items()}
    assert any(text.startswith("rehashing namdinh-portal/dossier_event: ") for text in checking)


def test_terminal_shows_a_bar_per_source_part_with_total_and_percentage(hanam):
    portal, store, env = hanam
    result = on_terminal("run", "--store", store, "--batch-size", "50", str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Run 1:")
    dossiers = portal.counts["HoSo"]
    bar = re.compile(r"migrating hanam-portal/dossier: 100%\|[^|]*\| "
                     rf"{dossiers}/{dossiers} \[\d\d:\d\d<\d\d:\d\d")
    assert bar.search(result.stderr), result.stderr
    # the total is known from the snapshot before the first batch is read
    assert re.search(rf"migrating hanam-portal/dossier:\s+0%\|[^|]*\| 0/{dossiers} \[", result.stderr)
    for part, table in (("account", "TaiKhoan"), ("dossier_event", "QuaTrinhXuLy"), ("document", "KhoDuLieu")):
        n = portal.counts[table]
        assert f"migrating hanam-portal/{part}: 100%" in result.stderr and f"| {n}/{n} [" in result.stderr
    assert "INFO hopnhat.progress" not in result.stderr


def test_terminal_reconcile_shows_bars_while_checking(hanam):
    portal, store, env = hanam
    assert hopnhat("-q", "run", "--store", store, str(portal.profile_path), env=env).code == 0
    result = on_terminal("reconcile", "run", "--store", store, "--out", str(portal.db_path.parent / "r1"),
                         "--no-record", str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    n = portal.counts["HoSo"]
    assert f"rehashing hanam-portal/dossier: 100%" in result.stderr and f"| {n}/{n} [" in result.stderr
    assert "re-reading hanam-portal/dossier: 100%" in result.stderr
    assert "checking files hanam-portal/dossier_file: 100%" in result.stderr


def test_quiet_shows_no_bar_on_a_terminal(hanam):
    portal, store, env = hanam
    result = on_terminal("-q", "run", "--store", store, str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Run 1:")


def test_piped_reconcile_lines_carry_step_source_part_and_total_as_json(hanam):
    portal, store, env = hanam
    assert hopnhat("-q", "run", "--store", store, str(portal.profile_path), env=env).code == 0
    result = hopnhat("--log-format", "json", "reconcile", "run", "--store", store, "--no-record",
                     "--out", str(portal.db_path.parent / "r2"), str(portal.profile_path), env=env)
    assert result.code == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines and all(line["logger"] == "hopnhat.progress" for line in lines)
    final = {(line["step"], line["part"]): line for line in lines if line["percent"] == 100}
    dossier = final[("rehashing", "dossier")]
    assert (dossier["source"], dossier["done"], dossier["total"]) == ("hanam-portal", portal.counts["HoSo"],
                                                                       portal.counts["HoSo"])
    assert {"time", "level", "message", "eta_seconds"} <= set(dossier)
    assert ("checking files", "dossier_file") in final and ("re-reading", "account") in final


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_every_ten_per_cent_at_most_once_a_second_plus_a_heartbeat_and_the_end(caplog):
    clock = Clock()
    lines = Lines(clock=clock)
    caplog.set_level("INFO", logger="hopnhat.progress")
    for second, done in [(0, 0), (0.5, 150), (1.2, 160), (1.4, 250), (2.5, 260), (9, 270), (10, 999), (11, 1000),
                         (12, 1000)]:
        clock.now = second
        lines("migrating", "hanam-portal", "dossier", done, 1000)
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "migrating hanam-portal/dossier: 160 of 1,000 (16%), 133/s, ETA 0:00:06",   # 10% passed, 1.2 s quiet
        "migrating hanam-portal/dossier: 260 of 1,000 (26%), 104/s, ETA 0:00:07",   # 20% passed
        "migrating hanam-portal/dossier: 270 of 1,000 (27%), 30/s, ETA 0:00:24",    # 6.5 s without a line
        "migrating hanam-portal/dossier: 999 of 1,000 (99%), 100/s, ETA 0:00:00",
        "migrating hanam-portal/dossier: 1,000 of 1,000 (100%), done in 0:00:11",
    ]


def test_lines_end_a_part_without_total_when_the_display_closes(caplog):
    clock = Clock()
    lines = Lines(clock=clock)
    caplog.set_level("INFO", logger="hopnhat.progress")
    lines("rerunning", "hanam-portal", "dossier", 0, None)
    clock.now = 2
    lines("rerunning", "hanam-portal", "dossier", 40, None)
    lines.close()
    assert [r.getMessage() for r in caplog.records] == ["rerunning hanam-portal/dossier: 40, ended in 0:00:02"]
    assert caplog.records[0].done == 40 and caplog.records[0].total is None


def test_lines_in_vietnamese_group_numbers_as_vietnamese_does(caplog):
    from migrate.core.i18n import language

    clock = Clock()
    lines = Lines(clock=clock, lang=language("vi"))
    caplog.set_level("INFO", logger="hopnhat.progress")
    for second, done in [(0, 0), (1.2, 1600), (2.5, 12000)]:
        clock.now = second
        lines("migrating", "hanam-portal", "dossier", done, 12000)
    assert [r.getMessage() for r in caplog.records] == [
        "đang chuyển đổi hanam-portal/dossier: 1.600/12.000 (13%), 1.333/giây, dự kiến còn 0:00:08",
        "đang chuyển đổi hanam-portal/dossier: 12.000/12.000 (100%), xong trong 0:00:02",
    ]
    assert caplog.records[-1].step == "migrating" and caplog.records[-1].done == 12000  # machine fields unchanged


def test_a_piped_run_in_vietnamese_prints_its_progress_in_vietnamese(hanam):
    portal, store, env = hanam
    out = hopnhat("--lang", "vi", "run", "--store", store, str(portal.profile_path), env=env, expect=None)
    assert out.code in (0, 4), out
    said = [VI_LINE.match(line)["text"] for line in out.stderr.splitlines() if VI_LINE.match(line)]
    assert not [line for line in out.stderr.splitlines() if LINE.match(line)]  # time and level said in Vietnamese too
    assert any(re.fullmatch(r"đang chuyển đổi hanam-portal/dossier: [\d.]+/[\d.]+ \(100%\), xong trong \d:\d\d:\d\d",
                            text) for text in said), said
    assert not [text for text in said if " of " in text or "done in" in text]
