"""The report folder: verify catches edits, the CLI exits 3, the HTML page works in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from migrate.cli import cli
from migrate.core.masking import mask_value
from reconciliation.runner import reconcile, verify
from tests.ci import needed


@pytest.fixture(scope="module")
def reconciled(migrated_template, tmp_path_factory):
    """One reconciliation (with the sources) of a copy of the migrated store, for the whole module."""
    from tests.reconciliation.conftest import copy_migrated

    migrated = copy_migrated(migrated_template, tmp_path_factory.mktemp("reconciled"))
    result = reconcile(migrated.store_url, migrated.files_dir.parent / "report", sources=migrated.sources,
                       files_dir=migrated.files_dir)
    assert result.ok, result.summary()
    return migrated, result


@pytest.fixture(scope="module")
def written_in(reconciled, tmp_path_factory):
    """The module's store reconciled again (not recorded) with its report in a language, once per language."""
    made = {}

    def written(lang: str):
        if lang not in made:
            migrated, _ = reconciled
            made[lang] = reconcile(migrated.store_url, tmp_path_factory.mktemp(f"report-{lang}") / "report",
                                   sources=migrated.sources, files_dir=migrated.files_dir, record=False, lang=lang)
        return made[lang]

    return written


@pytest.fixture
def migrated(reconciled):
    return reconciled[0]


@pytest.fixture
def report(reconciled, tmp_path):
    """The module's report, in a folder of the test's own."""
    import dataclasses

    result = reconciled[1]
    shutil.copytree(result.report_dir, tmp_path / "report")
    return dataclasses.replace(result, report_dir=tmp_path / "report")


def test_verify_names_an_edited_removed_or_added_file(report, migrated):
    folder = report.report_dir
    assert verify(folder, migrated.store_url).ok
    conservation = folder / "conservation.csv"
    conservation.write_text(conservation.read_text("utf-8").replace("True", "False", 1), "utf-8")
    (folder / "notes.txt").write_text("added later", "utf-8")
    (folder / "content.csv").unlink()
    problems = "\n".join(verify(folder).problems)
    assert "conservation.csv: content changed" in problems
    assert "content.csv: missing" in problems
    assert "notes.txt: not in the manifest" in problems


def test_an_edited_manifest_is_caught_against_the_store(report, migrated):
    folder = report.report_dir
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    (folder / "index.html").write_text("<html>all good</html>", "utf-8")
    manifest["files"]["index.html"] = __import__("hashlib").sha256(b"<html>all good</html>").hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert verify(folder).ok  # consistent with itself...
    checked = verify(folder, migrated.store_url)  # ...but not with the hash the store recorded
    assert not checked.ok and "manifest.json: content changed" in checked.problems[0]


def test_cli_run_and_verify_exit_codes(migrated, tmp_path, monkeypatch, shell):
    for s in migrated.sources:
        monkeypatch.setenv(s.profile.url_env, s.url)
    profiles = [str(s.profile.path) for s in migrated.sources]
    out = tmp_path / "cli-report"
    runner = CliRunner()
    ok = runner.invoke(cli, ["reconcile", "run", *profiles, "--store", migrated.store_url, "--out", str(out),
                             "--files-dir", str(migrated.files_dir)])
    assert ok.exit_code == 0, ok.output
    assert "verdict: PASSED" in ok.output and "segment digests, 0 segment(s) differ" in ok.output
    assert runner.invoke(cli, ["reconcile", "verify", str(out), "--store", migrated.store_url]).exit_code == 0
    (out / "report.json").write_text("{}", "utf-8")
    altered = shell.main("reconcile", "verify", str(out), expect=3)  # the exit code a shell sees
    assert "report.json: content changed" in altered.stdout
    assert altered.error_line == f"Error: report {out} was altered after it was written"
    shutil.copy(migrated.store_url.removeprefix("sqlite:///"), tmp_path / "bad.sqlite")
    import sqlite3

    with sqlite3.connect(tmp_path / "bad.sqlite") as db:
        db.execute("update dossier set status = 'x' where id = (select min(id) from dossier)")
    broken = shell.run("reconcile", "run", "--store", f"sqlite:///{tmp_path / 'bad.sqlite'}",
                       "--out", str(tmp_path / "bad-report"), "--files-dir", str(migrated.files_dir),
                       "--no-record", expect=3)
    assert "row-changed" in broken.stdout
    assert broken.error_line == "Error: reconciliation failed; do not sign off (see the report)"


def test_workbook_has_a_sheet_per_table(report):
    book = load_workbook(report.report_dir / "report.xlsx", read_only=True)
    assert {"summary", "conservation", "conservation-by-unit", "quarantine-reasons", "content",
            "content-problems", "attachments"} <= set(book.sheetnames)


def test_every_sheet_holds_the_rows_of_its_table(report):
    """Each table's sheet has the same header and cells as its CSV (yes/no for booleans, numbers as numbers),
    and the summary sheet has one row per summary line of each check."""
    import csv

    book = load_workbook(report.report_dir / "report.xlsx", read_only=True)
    compared = 0
    for path in sorted(report.report_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        sheet = [list(r) for r in book[path.stem[:31]].iter_rows(values_only=True)]
        assert sheet[0] == rows[0], path.name
        as_text = [["" if v is None else {True: "True", False: "False"}.get(v, str(v)) if isinstance(v, bool)
                    else str(v) for v in r] for r in sheet[1:]]
        in_csv = [[{"True": "yes", "False": "no"}.get(v, v) for v in r] for r in rows[1:]]
        assert [[{"True": "yes", "False": "no"}.get(v, v) for v in r] for r in as_text] == in_csv, path.name
        assert all(isinstance(v, int) for r in sheet[1:] for c, v in zip(sheet[0], r)
                   if c in ("extracted", "loaded", "quarantined", "records")), path.name
        compared += len(rows) - 1
    assert book["conservation"].max_row - 1 == len(report.conservation.balances)
    assert compared > 100
    summary = list(book["summary"].iter_rows(values_only=True))
    header = summary.index(("check", "ok", "summary"))
    lines = [r[2] for r in summary[header + 1:]]
    for check in report.checks:
        for line in check.summary_lines():
            assert line in lines, line


def test_counts_in_the_workbook_are_grouped_numbers(report):
    """Every whole number of a count column carries #,##0 (Excel groups it in its locale: 1.234 in Vietnamese,
    and sums still work); identifiers (ids, keys, codes) keep plain digits."""
    book = load_workbook(report.report_dir / "report.xlsx")
    sheet = book["conservation"]
    header = [c.value for c in sheet[1]]
    counted = 0
    for row in sheet.iter_rows(min_row=2):
        for name, c in zip(header, row):
            if name in ("extracted", "loaded", "merged", "quarantined"):
                assert isinstance(c.value, int) and c.number_format == "#,##0", (name, c.value, c.number_format)
                counted += 1
    assert counted >= 4 * len(report.conservation.balances)
    from migrate.core.tables import write_workbook

    out = write_workbook(report.report_dir.parent / "ids.xlsx", {"t": (["batch_id", "records"], [
        {"batch_id": 12345, "records": 1234567}])})
    ids = load_workbook(report.report_dir.parent / "ids.xlsx")[out["t"]]
    assert ids["A2"].number_format == "General" and ids["B2"].number_format == "#,##0" and ids["B2"].value == 1234567


def test_a_workbook_forwarded_alone_keeps_its_provenance(report):
    """Verdict, run, time, masked store, mapping table and hashes on the summary sheet; filters on every sheet."""
    import hashlib

    book = load_workbook(report.report_dir / "report.xlsx")
    head = {row[0]: row[1] for row in book["summary"].iter_rows(max_row=12, values_only=True) if row[0]}
    context = json.loads((report.report_dir / "report.json").read_text("utf-8"))["context"]
    assert head["verdict"] == "PASSED (exit 0)" and head["reconciliation run"] == report.run_id
    assert head["written at"].startswith(context["generated_at"][:10]) and head["store"] == context["store"]
    assert context["mapping_version"] in head["mapping table"] and context["mapping_sha256"] in head["mapping table"]
    assert head["report.json SHA-256"] == hashlib.sha256((report.report_dir / "report.json").read_bytes()).hexdigest()
    assert "reconcile verify" in head["manifest"]
    for ws in book:
        assert ws.auto_filter.ref, ws.title  # every sheet filters
        assert ws.print_title_rows, ws.title  # its header repeats on every printed page


def test_the_page_prints_as_paginated_tables(report, tmp_path):
    page = (report.report_dir / "index.html").read_text("utf-8")
    assert "@media print" in page and "thead { display: table-header-group; }" in page
    assert page.count("<thead>") >= len(report.checks)  # every table has a header row to repeat
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium not installed (apt-get install chromium)")
    pdf = tmp_path / "report.pdf"
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                          f"--print-to-pdf={pdf}", (report.report_dir / "index.html").resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and pdf.is_file(), run.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages > len(report.checks)  # each check's section starts a page of its own


@pytest.mark.parametrize("value,masked", [
    ("001089012345", "*********345"), ("123456789", "******789"), ("0101234567-001", "**********001"),
    ("+84 912 345 678", "********678"), ("(0912) 345-888", "*******888"),
    ("an.nguyen@example.vn", "a***@example.vn"), ("Nguyễn Văn An", "N***** V** A*"), ("1990-05-17", "1990-**-**"),
    (None, None),
])
def test_masking(value, masked):
    assert mask_value(value) == masked


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_page_in_a_headless_browser(report, tmp_path):
    browser = _chromium()
    if browser is None:
        needed("Chromium not installed (apt-get install chromium)")
    page = (report.report_dir / "index.html").resolve().as_uri()
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                          "--enable-logging=stderr", "--v=0", "--dump-dom", page],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert 'data-script-errors="0"' in dom and 'data-checks="3"' in dom  # the page's scripts ran to the end
    assert "Every check passed" in dom
    balance = report.conservation.balances[1]
    assert f"<td>{balance.source_count}</td>" in dom  # the figures are on the page
    assert 'id="chart-new-communes"' in dom and 'id="chart-quarantine-reasons"' in dom


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_page_in_both_languages_in_a_headless_browser(written_in, lang, tmp_path):
    """The same reconciliation written in English and in Vietnamese, opened in Chromium."""
    from migrate.core.i18n import language

    browser = _chromium()
    if browser is None:
        needed("Chromium not installed (apt-get install chromium)")
    result = written_in(lang)
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                          "--dump-dom", (result.report_dir / "index.html").resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    dom, words = run.stdout, language(lang)
    assert f'<html lang="{lang}">' in dom and 'data-script-errors="0"' in dom
    assert result.verdict.headline(words) in dom
    total = words.number(result.verdict.extracted)
    assert f"<td>{total}</td>" in dom and (("." in total) == (lang == "vi"))  # 1.234 in Vietnamese
    assert "True" not in re.sub(r"<script.*?</script>", "", dom, flags=re.S)  # booleans read yes/no
    if lang == "vi":
        assert "Báo cáo đối soát dữ liệu" in dom and "hồ sơ" in dom and "đơn vị hành chính cấp xã" in dom
        assert re.search(r"Lập lúc \d{2}/\d{2}/\d{4}", dom)  # dates as dd/mm/yyyy
        book = load_workbook(result.report_dir / "report.xlsx", read_only=True)
        assert "tóm tắt" in book.sheetnames and "bảo toàn theo đơn vị" in book.sheetnames
    else:
        assert "Every check passed" in dom and "Reconciliation report" in dom
    svg = dom[dom.find('id="chart-quarantine-reasons"'):]
    assert "…" not in svg[:svg.find("</svg>")]  # reason labels wrap, never cut


def test_the_vietnamese_workbook_is_headed_and_filled_in_vietnamese(written_in):
    """--lang vi: the provenance labels and the verdict cell, the summary's header, check names, yes/no and
    lines (numbers grouped 1.234, times dd/mm/yyyy), and on every table's sheet the labels over the CSV's
    columns, the entity names and yes/no in Vietnamese, with the CSV's figures as numbers."""
    import csv

    from migrate.core.i18n import language
    from reconciliation import labels

    vi, result = language("vi"), written_in("vi")
    book = load_workbook(result.report_dir / "report.xlsx", read_only=True)
    summary = list(book["tóm tắt"].iter_rows(values_only=True))
    head = {row[0]: row[1] for row in summary[:10]}
    assert head["kết luận"] == "ĐẠT (mã thoát 0)" == f"{result.verdict.word(vi)} (mã thoát 0)"
    assert summary[1][1] == result.verdict.headline(vi) and summary[1][1].startswith("Mọi phép kiểm tra đều đạt")
    assert head["lần đối soát"] == "không ghi nhận" and head["dữ liệu cá nhân"] == "đã che"
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} UTC", head["thời điểm lập"]), head
    assert {"kho dữ liệu", "bảng chuyển đổi đơn vị hành chính", "SHA-256 của report.json"} <= set(head)
    header = summary.index(("phép kiểm tra", "đạt", "kết quả"))
    rows = summary[header + 1:]
    assert {r[0] for r in rows} == {"bảo toàn số lượng", "nội dung", "tệp đính kèm"}
    assert {r[1] for r in rows} == {"có"}
    lines = [r[2] for r in rows]
    assert lines == [line for check in result.checks for line in check.summary_lines(vi)]
    grouped = [line for line in lines if re.search(r"\d\.\d{3}\b", line)]
    assert grouped and not any(re.search(r"\d,\d{3}\b", line) for line in lines), lines  # 2.629, never 2,629
    entities = {vi.gettext(name) for name in labels.ENTITIES.values()}
    assert "hồ sơ" in entities and "tài khoản" in entities
    compared = 0
    for path in sorted(result.report_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            columns, *in_csv = list(csv.reader(fh))
        sheet = list(book[labels.table_name(path.stem, vi)[:31]].iter_rows(values_only=True))
        assert list(sheet[0]) == [labels.column_label(c, vi) for c in columns], path.name
        assert not any("_" in h for h in sheet[0]), sheet[0]  # no machine name left as a header
        cells = [dict(zip(columns, r)) for r in sheet[1:]]
        assert len(cells) == len(in_csv), path.name
        for cell, row in zip(cells, (dict(zip(columns, r)) for r in in_csv)):
            if "entity" in row:
                assert cell["entity"] == labels.entity_name(row["entity"], vi) and cell["entity"] in entities
            if "ok" in row:
                assert cell["ok"] == {"True": "có", "False": "không"}[row["ok"]]
            for column in ("source_count", "extracted", "loaded", "quarantined", "records", "rows"):
                if column in row:
                    assert isinstance(cell[column], int) and cell[column] == int(row[column]), (path.name, column)
            compared += 1
    assert compared > 100


def test_charts_fold_without_a_long_bar_and_show_quarantined():
    from migrate.core.i18n import language
    from reconciliation.report import _bars

    rows = [(f"commune {i}", 100 - i, 0) for i in range(80)] + [("no new commune", 0, 3)]
    svg = str(_bars("c", "t", rows, ("loaded", "quarantined"), language("en"), more="{n} more",
                    keep_flagged=True, limit=60))
    widths = [float(w) for w in re.findall(r'class="a" x="\d+" y="[\d.]+" width="([\d.]+)" height="13"', svg)]
    assert len(widths) == 60 and max(widths) == widths[0]  # the folded rest has no bar of its own
    assert "20 more" in svg and 'class="b"' in svg  # the quarantined row is kept and drawn
    assert "no new commune: 3 quarantined" in svg


def test_the_commune_chart_counts_the_records_that_must_have_a_new_commune():
    """The chart's records follow the registry (commune_required), whatever other entities the table holds."""
    from migrate.core.entities import REGISTRY
    from migrate.core.i18n import language
    from reconciliation.report import _charts

    units = [{"entity": e.name, "new_commune": "00004", "new_commune_name": "Xã A", "loaded": 10 + n,
              "quarantined": n} for n, e in enumerate(REGISTRY.values())]
    charted = [u for u in units if REGISTRY[u["entity"]].commune_required]
    assert [u["entity"] for u in charted] == ["dossier"]
    svg = str(_charts({"conservation-by-unit": units}, language("en"))["new_communes"])
    loaded, quarantined = sum(u["loaded"] for u in charted), sum(u["quarantined"] for u in charted)
    assert f"00004 Xã A: {loaded} loaded</title>" in svg and f"00004 Xã A: {quarantined} quarantined</title>" in svg
