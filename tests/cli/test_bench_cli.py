"""``hopnhat bench load`` and ``hopnhat bench reconcile`` at tiny sizes, as a shell runs them.

The figures themselves are not asserted (they are measurements); what is: the exit code, the lines
a reader of the figures relies on, that the rows were really migrated and reconciled, and that the
load benchmark leaves no database behind on the server.
"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.harness import EXIT_CHECK_FAILED, EXIT_USAGE


def _databases(server_url: str) -> set[str]:
    url = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.postgresql
def test_bench_load_migrates_the_portal_and_prints_the_ratio_to_copy(shell, pg_server):
    before = _databases(pg_server.url())
    out = shell.run("bench", "load", "--dossiers", "40", "--batch-size", "25", "--pg", pg_server.url())
    first, pipeline_line, copy_line, ratio_line = out.stdout.splitlines()
    found = re.fullmatch(r"40 dossiers, (\d+) rows \(accounts and dossiers\), batch size 25, 1 worker\(s\)", first)
    assert found and int(found.group(1)) > 40, first
    assert re.match(r"  pipeline \(extract, remap, hash, load, lineage\): +\d+\.\d s +[\d,]+ rows/s$", pipeline_line)
    assert re.match(r"  raw COPY of the same rows: +\d+\.\d s +[\d,]+ rows/s$", copy_line)
    assert re.match(r"  pipeline / raw COPY: \d+\.\d\d; peak memory \(max RSS\) \d+ MiB$", ratio_line)
    assert _databases(pg_server.url()) == before          # the benchmark database is dropped


@pytest.mark.parametrize("way", ["run", "main"])
def test_bench_load_usage_errors_exit_2(shell, way):
    no_server = getattr(shell, way)("bench", "load", "--dossiers", "10", expect=EXIT_USAGE)
    assert "the load benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)" in no_server.stderr
    assert no_server.stdout == ""
    delta = getattr(shell, way)("bench", "load", "--delta-share", "0.1", "--pg", "postgresql+psycopg://x@h/db",
                                expect=EXIT_USAGE)
    assert "--delta-share goes with --wide" in delta.stderr
    unsettled = getattr(shell, way)("bench", "load", "--wide", "--unsettled", "--pg", "postgresql+psycopg://x@h/db",
                                    expect=EXIT_USAGE)
    assert "--unsettled goes with --delta-share" in unsettled.stderr


def _reconcile_figures(stdout: str, dossiers: int) -> dict[str, str]:
    lines = stdout.splitlines()
    found = re.fullmatch(rf"reconcile bench: {dossiers} dossiers; source rows ([\d,]+), store rows ([\d,]+) "
                         r"\(entity tables, lineage, aliases, quarantine\)", lines[0])
    assert found, stdout
    assert re.match(r"  migrate \(build the store\) +\d+\.\d s$", lines[1])
    assert re.match(r"  plain full read, both sides +\d+\.\d s  \(source: every column, \d+\.\d s; store: count\(\*\) "
                    r"and text length of every row, in its engine, \d+\.\d s\)$", lines[2]), lines[2]
    assert re.match(r"  reconcile with the source +\d+\.\d s  \(passed, client CPU \d+\.\d s\)$", lines[3]), lines[3]
    assert re.match(r"  ratio reconcile / read +\d+\.\d\d$", lines[4])
    return {"source_rows": found.group(1), "store_rows": found.group(2)}


def test_bench_reconcile_on_sqlite_keeps_the_report(shell, tmp_path):
    keep = tmp_path / "kept"
    out = shell.run("bench", "reconcile", "--dossiers", "30", "--sqlite", "--keep", str(keep))
    figures = _reconcile_figures(out.stdout, 30)
    assert int(figures["source_rows"].replace(",", "")) > 30
    steps = [line for line in out.stderr.splitlines() if not line.startswith(" ")]
    assert steps[0] == "building a portal with 30 dossiers" and "migrating" in steps
    assert steps[-2:] == ["reading both sides", "reconciling"]
    assert (keep / "store.sqlite").is_file() and (keep / "report" / "index.html").is_file()
    report = json.loads((keep / "report" / "report.json").read_text("utf-8"))
    assert report["ok"] is True and report["checks"]["conservation"]["ok"] is True


def test_bench_reconcile_exits_3_when_its_reconciliation_fails(shell, tmp_path):
    """A kept store altered after the first run: the rerun carries the altered row over (delta), the
    reconciliation finds it, and the benchmark exits 3 as ``reconcile run`` does, its figures still printed."""
    import sqlite3

    keep = tmp_path / "kept"
    shell.main("bench", "reconcile", "--dossiers", "20", "--sqlite", "--keep", str(keep))
    with sqlite3.connect(keep / "store.sqlite") as db:
        (status,) = db.execute("select status from dossier where id = (select min(id) from dossier)").fetchone()
        db.execute("update dossier set status = 'returned-forged' where id = (select min(id) from dossier)")
    out = shell.run("bench", "reconcile", "--dossiers", "20", "--sqlite", "--keep", str(keep),
                    expect=EXIT_CHECK_FAILED)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("reconcile bench: 20 dossiers; source rows ")
    assert re.match(r"  reconcile with the source +\d+\.\d s  \(FAILED, client CPU \d+\.\d s\)$", lines[3]), lines[3]
    assert out.error_line == ("Error: hopnhat bench reconcile: the reconciliation of the benchmark store FAILED, "
                              "so its time is not that of a clean reconciliation; see the report in "
                              f"{keep / 'report'}")
    report = json.loads((keep / "report" / "report.json").read_text("utf-8"))
    assert report["ok"] is False and report["checks"]["content"]["ok"] is False
    differences = (keep / "report" / "content-field-differences.csv").read_text("utf-8-sig").splitlines()
    assert [line.split(",")[3:] for line in differences[1:]] == [["status", status, "returned-forged"]]


@pytest.mark.postgresql
def test_bench_reconcile_on_postgresql(shell, pg_url):
    out = shell.main("bench", "reconcile", "--dossiers", "30", "--pg", pg_url)
    _reconcile_figures(out.stdout, 30)


def test_bench_reconcile_refuses_two_stores(shell):
    out = shell.main("bench", "reconcile", "--pg", "postgresql+psycopg://x@h/db", "--sqlite", expect=EXIT_USAGE)
    assert "choose --pg URL or --sqlite, not both" in out.stderr


def test_bench_portals_builds_a_portal_and_prints_its_rates(shell, tmp_path):
    out = shell.run("bench", "portals", "--scale", "25", "--portal", "namdinh", "--out", str(tmp_path / "p"))
    head, rate, memory = out.stdout.splitlines()
    found = re.fullmatch(r"portal namdinh: 25 dossiers, ([\d,]+) rows \((.+)\), 0 files", head)
    assert found, head
    counts = dict(part.rsplit(" ", 1) for part in found.group(2).split(", "))
    assert counts["HoSo"] == "25" and sum(int(n.replace(",", "")) for n in counts.values()) == \
        int(found.group(1).replace(",", ""))
    assert re.fullmatch(r"time \d+\.\d s: [\d,]+ rows/s, [\d,]+ dossiers/s", rate)
    assert re.fullmatch(r"peak memory \(max RSS\) \d+ MiB; database \d+ MiB", memory)
    import sqlite3

    (db,) = (tmp_path / "p").glob("*.sqlite")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM HoSo").fetchone()[0] == 25


@pytest.mark.postgresql
def test_bench_extract_on_postgresql_reads_every_row_and_drops_its_schema(shell, pg_url):
    out = shell.main("bench", "extract", "--rows", "300", "--engines", "sqlite,postgresql", "--pg", pg_url,
                     "--batch-size", "100")
    lines = out.stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:3]] == [["sqlite", "300"], ["postgresql", "300"]]
    assert lines[-1] == "2 measurement(s); growth is the extracting process's memory increase"
    url = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'hopnhat_bench'").fetchone()[0] == 0


def test_bench_extract_mistakes_are_named(shell):
    no_pg = shell.main("bench", "extract", "--rows", "10", "--engines", "postgresql", expect=EXIT_USAGE)
    assert "the PostgreSQL benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)" in no_pg.stderr
    unknown = shell.main("bench", "extract", "--rows", "10", "--engines", "sqlite,oracle", expect=EXIT_USAGE)
    assert "no benchmark for engine 'oracle'; known: sqlite, postgresql" in unknown.stderr
    assert unknown.stdout == ""
    sizes = shell.main("bench", "extract", "--rows", "10,many", "--engines", "sqlite", expect=EXIT_USAGE)
    assert "--rows takes table sizes separated by commas, e.g. 100000,1000000 (got '10,many')" in sizes.stderr


def test_bench_addresses_gives_no_wrong_answer(shell):
    """What the README claims of the resolver, on a small generated sample and the whole real corpus:
    every code of the official table right or (split communes) in review, and no wrong answer anywhere."""
    out = shell.main("bench", "addresses", "--sample", "20")
    lines = out.stdout.splitlines()
    official = next(line for line in lines if line.startswith("official table, by code"))
    assert re.search(r"100\.00% right +0 wrong +440 to review", official), official
    generated = [line for line in lines if line.startswith("generated: ")]
    assert len(generated) > 8 and all(re.search(r"% right +0 wrong ", line) for line in generated), generated
    start = next(i for i, line in enumerate(lines) if line.startswith("part / kind "))
    real = [line.split() for line in lines[start + 1:] if " / " in line]
    # part / kind rows, then hopnhat's % right, right, review, wrong (and the other library's, when installed)
    assert real and all(cells[7] == "0" for cells in real), real        # hopnhat's wrong column
    total = next(cells for cells in real if cells[:3] == ["all", "/", "all"])
    from mappings import corpus

    assert int(total[3]) == len(corpus.load())


# --- in Vietnamese: the same figures said with the catalogue's words, none of the English lines left

def _no_english_lines(out, *english: str) -> None:
    from tests.cli.test_no_english_in_vietnamese import _english

    assert not [line for line in out.output.splitlines() if line.strip().startswith(english)], out
    assert not _english(out.output), (_english(out.output), out)


def test_bench_reconcile_in_vietnamese(shell, tmp_path):
    out = shell.main("--lang", "vi", "bench", "reconcile", "--dossiers", "20", "--sqlite")
    lines = out.stdout.splitlines()
    assert re.fullmatch(r"đo đối soát: 20 hồ sơ; [\d.]+ dòng ở nguồn, [\d.]+ dòng trong kho \(các bảng dữ liệu, "
                        r"nguồn gốc bản ghi, account_alias, cách ly\)", lines[0]), lines[0]
    assert re.match(r"  chuyển đổi \(dựng kho\) +\d+,\d giây$", lines[1]), lines[1]
    assert re.match(r"  đối soát với nguồn +\d+,\d giây  \(đạt, CPU phía máy khách \d+,\d giây\)$", lines[3]), lines[3]
    assert re.match(r"  tỉ lệ đối soát / đọc +[\d.]+,\d\d$", lines[4]), lines[4]
    steps = [line for line in out.stderr.splitlines() if not line.startswith(" ")]
    assert steps[0] == "đang dựng một cổng với 20 hồ sơ" and steps[-2:] == ["đang đọc cả hai phía", "đang đối soát"]
    _no_english_lines(out, "reconcile bench", "migrate (", "plain full read", "reconcile with", "ratio ",
                      "building a portal", "reading both sides", "reconciling")


def test_bench_portals_and_extract_in_vietnamese(shell, tmp_path):
    out = shell.main("--lang", "vi", "bench", "portals", "--scale", "25", "--portal", "namdinh")
    head, rate, memory = out.stdout.splitlines()
    assert re.fullmatch(r"cổng namdinh: 25 hồ sơ, [\d.]+ dòng \(TaiKhoan \d+, HoSo 25, .+\), 0 tệp", head), head
    assert re.fullmatch(r"thời gian \d+,\d giây: [\d.]+ dòng/giây, [\d.]+ hồ sơ/giây", rate), rate
    assert re.fullmatch(r"bộ nhớ cao nhất \(RSS tối đa\) \d+ MiB; cơ sở dữ liệu \d+ MiB", memory), memory
    _no_english_lines(out, "portal ", "time ", "peak memory")
    out = shell.main("--lang", "vi", "bench", "extract", "--rows", "1200", "--engines", "sqlite")
    head, row, last = out.stdout.splitlines()
    assert head.split() == ["hệ", "CSDL", "dòng", "giây", "dòng/giây", "MiB", "cao", "nhất", "MiB", "tăng", "thêm"]
    assert re.fullmatch(r"sqlite +1\.200 +\d+,\d\d +[\d.]+ +\d+,\d +\d+,\d", row), row
    assert last == "1 lần đo; mức tăng là phần bộ nhớ mà tiến trình trích xuất dùng thêm"
    _no_english_lines(out, "engine", "1 measurement")


@pytest.mark.postgresql
def test_bench_load_in_vietnamese(shell, pg_server):
    out = shell.main("--lang", "vi", "bench", "load", "--dossiers", "20", "--batch-size", "25", "--pg", pg_server.url())
    first, pipeline_line, copy_line, ratio_line = out.stdout.splitlines()
    assert re.fullmatch(r"20 hồ sơ, \d+ dòng \(tài khoản và hồ sơ\), kích thước lô 25, 1 tiến trình", first), first
    assert re.match(r"  quy trình chuyển đổi \(.+\): +\d+,\d giây +[\d.]+ dòng/giây$", pipeline_line), pipeline_line
    assert re.match(r"  COPY thô cùng các dòng đó: +\d+,\d giây +[\d.]+ dòng/giây$", copy_line), copy_line
    assert re.match(r"  quy trình chuyển đổi / COPY thô: \d+,\d\d; bộ nhớ cao nhất \(RSS tối đa\) \d+ MiB$",
                    ratio_line), ratio_line
    _no_english_lines(out, "20 dossiers", "pipeline", "raw COPY")


def test_bench_addresses_lines_in_vietnamese():
    """The address benchmark's lines (the whole run takes too long for the default tests), said in Vietnamese."""
    from mappings.bench import Score, Tally, _style
    from migrate.core.i18n import language

    vi, en = language("vi"), language("en")
    score = Score(_style("slip: dropped letter"), 1234, 1200, 0, 34, 0.5)
    assert score.line(en) == ("slip: dropped letter                  1234 items   97.24% right     0 wrong     34 to "
                              "review       2,468/s")
    line = score.line(vi, 44)
    assert line == ("gõ nhầm: thiếu một chữ cái" + " " * 18 + "   1.234 mục   97,24% đúng     0 sai     34 cần rà "
                    "soát       2.468/giây"), line
    assert Tally(1200, 30, 4).cell(vi) == "  97,2%  1200    30    4"
