"""What the operator's commands print, in Vietnamese and in English, on SQLite and PostgreSQL.

One demo portal is loaded (``hopnhat --lang vi run``), then the ledger, the quarantine,
the store, preflight, the freeze and a runbook are read in both languages through
``main()``. Exit codes are the same in both; ``--json`` stays machine names.
"""

from __future__ import annotations

import csv
import html
import json
import re

import openpyxl
import pytest

from adapters.profiles import load_profile
from migrate.core.i18n import language
from migrate.store import schema
from reconciliation import labels
from tests.clones import cloned
from tests.harness import EXIT_CHECK_FAILED, EXIT_OK, hopnhat

RUNBOOK = """
[runbook]
name = "check-store"
title = "Kho ở phiên bản mới nhất"

[[step]]
id = "store-schema"
title = "The store exists at the latest schema"
run = "hopnhat store upgrade --store ${STORE}"
expect = ["is at schema revision"]
rollback = "Nothing to undo."

[[step]]
id = "sign"
title = "The auditor signs"
manual = true
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded_once(request, demo_portals, tmp_path_factory):
    """One demo portal loaded in Vietnamese, once per store kind: (store, files folder, profile, what it printed)."""
    base = tmp_path_factory.mktemp("loaded")
    if request.param == "sqlite":
        store_url = f"sqlite:///{base / 'store.sqlite'}"
        schema.upgrade(schema.connect(store_url, create=True))
    else:
        store_url = request.getfixturevalue("pg_url")
        schema.upgrade(schema.connect(store_url))
    portal = demo_portals[0]
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}", "HOPNHAT_STORE_URL": store_url,
           "HOPNHAT_FILES_DIR": str(base / "files")}
    run = hopnhat("--lang", "vi", "run", str(portal.profile_path), "--batch-size", "100", env=env, cwd=base)
    assert run.code in (EXIT_OK, 4), run
    return store_url, base / "files", portal, run


@pytest.fixture
def loaded(loaded_once, tmp_path):
    """A private copy of that store: (store, env, profile, what the run printed)."""
    store_url, files_dir, portal, run = loaded_once
    with cloned(store_url, files_dir, tmp_path / "clone") as (url, files):
        env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}", "HOPNHAT_STORE_URL": url,
               "HOPNHAT_FILES_DIR": str(files)}
        yield url, env, str(portal.profile_path), run


def test_the_run_summary_in_vietnamese(loaded):
    store, env, profile, run = loaded
    lines = run.stdout.splitlines()
    assert re.fullmatch(r"Lần chạy 1: \d+ loại dữ liệu nguồn trong [\d,]+ giây", lines[0]), run
    assert lines[1].split() == ["nguồn/loại", "dữ", "liệu", "nguồn", "đã", "trích", "xuất", "đã", "nạp", "đã", "hợp",
                                "nhất", "cách", "ly", "loại", "trừ"]
    assert any(line.startswith("  Danh mục: ") and " cơ quan, " in line and "thủ tục hành chính" in line
               for line in lines), run
    assert any(line.startswith("  Mã định danh cũ: được lập chỉ mục theo từng lô (") for line in lines), run
    assert lines[-1].startswith("  kết luận: ĐẠT"), run
    for english in ("Catalog:", "Old identifiers:", "verdict:", "extracted"):
        assert english not in run.stdout, english


def test_batches_in_both_languages(loaded, shell):
    store, env, profile, _ = loaded
    vi = shell.main("--lang", "vi", "batches", "list", env=env)
    en = shell.main("batches", "list", "--json", env={**env, "HOPNHAT_LANG": "vi"})
    document = json.loads(en.stdout)  # --json keeps its machine names whatever the language
    count = document["count"]
    assert count == len(document["batches"]) > 0 and {"id", "state"} <= set(document["batches"][0])
    assert vi.stdout.splitlines()[0].split()[:4] == ["mã", "nguồn/loại", "dữ", "liệu"]
    assert vi.stdout.splitlines()[-1] == f"{count} lô"
    assert shell.main("--lang", "en", "batches", "list", env=env).stdout.splitlines()[-1] == f"{count} batch(es)"
    first = re.search(r"^\s+(\d+)\s", vi.stdout.splitlines()[1]).group(1)
    shown = shell.main("batches", "show", first, "--store", store, env={"HOPNHAT_LANG": "vi"})
    assert shown.stdout.splitlines()[0].startswith(f"Lô {first} (")
    assert "  trạng thái: verified" in shown.stdout or "  trạng thái: loaded" in shown.stdout
    assert re.search(r"^  bắt đầu: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d$", shown.stdout, re.MULTILINE), shown
    assert "  số lượng: đã trích xuất " in shown.stdout
    english = shell.main("--lang", "en", "batches", "show", first, "--store", store)
    assert english.stdout.splitlines()[0].startswith(f"Batch {first} (") and "  counts: extracted " in english.stdout
    rerun = shell.main("--lang", "vi", "batches", "rerun", first, profile, env=env)
    assert rerun.stdout.splitlines()[-1] == "đã chạy lại 1 lô: 1 đã nạp, 0 vẫn lỗi"
    assert re.search(rf"^Lô {first} \(.*\): loaded sau \d+ lần thử$", rerun.stdout, re.MULTILINE), rerun


def test_quarantine_and_store_in_both_languages(loaded, shell, tmp_path):
    store, env, profile, _ = loaded
    vi = shell.main("--lang", "vi", "quarantine", "list", env=env)
    count = int(vi.stdout.splitlines()[-1].split()[0].replace(".", ""))
    assert vi.stdout.splitlines()[-1].endswith(" bản ghi đang bị cách ly")
    assert shell.main("--lang", "en", "quarantine", "list", env=env).stdout.splitlines()[-1] == \
        f"{count} record(s) in quarantine"
    out = tmp_path / "q.csv"
    exported = shell.main("--lang", "vi", "quarantine", "export", "--out", str(out), env=env)
    assert exported.stdout.strip().endswith(f" bản ghi vào {out}")
    assert out.read_text("utf-8-sig").splitlines()[0].startswith("id,batch_id,source_system,")  # machine names
    shown, head = schema.safe_url(store), schema.head_revision()
    current = shell.main("--lang", "vi", "store", "current", env=env)
    assert current.stdout.strip() == f"Kho {shown}: phiên bản {head}; mới nhất {head}."
    history = shell.main("--lang", "vi", "store", "history", env=env)
    assert history.stdout.splitlines()[-2].endswith("(mới nhất, hiện tại)")
    assert history.stdout.splitlines()[-1] == f"Kho {shown}: phiên bản {head}."
    upgraded = shell.main("--lang", "vi", "store", "upgrade", env=env)
    assert upgraded.stdout.strip() == f"Kho {shown} đang ở phiên bản lược đồ {head}."
    english = shell.main("--lang", "en", "store", "current", env=env)
    assert english.stdout.strip() == f"Store {shown}: revision {head}; latest {head}."


def test_quarantine_reasons_in_both_languages(loaded, shell, tmp_path):
    """The reasons kept in the store (English) are said in Vietnamese by ``quarantine list`` and in the report's
    page and workbook; English shows them as kept, and report.json and the CSV files keep them as kept."""
    store, env, profile, _ = loaded
    vi = shell.main("--lang", "vi", "quarantine", "list", env=env).stdout.splitlines()[:-1]
    en = shell.main("--lang", "en", "quarantine", "list", env=env).stdout.splitlines()[:-1]
    assert len(vi) == len(en) > 0
    pairs = [(e.split(": ", 1)[1], v.split(": ", 1)[1]) for e, v in zip(en, vi)]
    assert all(e.split("  ")[0] == v.split("  ")[0] for e, v in zip(en, vi))  # source/table/key and field
    assert all(e != v for e, v in pairs), pairs  # every reason the demo portal's records get is said in Vietnamese
    for english in ("file not found", "no new commune", "is not in the store", "was split between", "not a date"):
        assert not any(english in v for _, v in pairs), english
    report = tmp_path / "report"
    reconciled = shell.main("--lang", "vi", "reconcile", "run", "--out", str(report), env=env, expect=None)
    assert reconciled.code in (EXIT_OK, 4), reconciled
    page = html.unescape((report / "index.html").read_text("utf-8"))
    kept = [r["reason"] for r in csv.DictReader((report / "quarantine-reasons.csv").open(encoding="utf-8-sig"))]
    assert kept and all(reason not in page for reason in kept)  # the page says none as the store keeps it
    said = [labels.REASONS.say(reason, language("vi")) for reason in kept]  # counted by kind: see reason_kind
    assert all(s in page for s in said) and all(s != k for s, k in zip(said, kept))
    sheets = openpyxl.load_workbook(report / "report.xlsx", read_only=True)
    cells = {str(c) for ws in sheets.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    assert set(said) <= cells and not set(kept) & cells


def test_preflight_and_freeze_in_both_languages(loaded, shell, tmp_path):
    store, env, profile, _ = loaded
    go = shell.main("--lang", "vi", "preflight", profile, "--only", "schema", "--only", "sources", env=env)
    lines = go.stdout.splitlines()
    assert lines[0] == f"[      đạt] schema: kho ở phiên bản {schema.head_revision()} (mới nhất)"
    assert lines[1] == "[      đạt] sources: đã đọc 1 nguồn" and lines[-1] == "Kiểm tra trước chuyển đổi: ĐẠT"
    assert re.search(r"^        sources: \S+/dossier \(\w+\): [\d.]+ dòng$", go.stdout, re.MULTILINE), go
    assert shell.main("--lang", "en", "preflight", profile, "--only", "schema", env=env).stdout.splitlines()[-1] == \
        "Preflight: GO"
    record = tmp_path / "freeze.json"
    taken = shell.main("--lang", "vi", "freeze", "take", profile, "--out", str(record), env=env)
    assert taken.stdout.splitlines()[-1] == f"Đã ghi bản đóng băng vào {record}"
    assert re.search(r"^\S+/dossier: [\d.]+ dòng, mã tóm tắt [0-9a-f]{16}$", taken.stdout, re.MULTILINE), taken
    same = shell.main("--lang", "vi", "freeze", "check", str(record), profile, env=env)
    assert same.stdout == "Các nguồn không thay đổi kể từ lần đóng băng.\n"
    frozen = json.loads(record.read_text("utf-8"))  # a machine file: the same names in every language
    assert {"source", "entity", "table", "count", "digest"} <= set(frozen["sources"][0])
    frozen["sources"][0]["count"] += 1  # as if the portal had one more row at the freeze
    record.write_text(json.dumps(frozen), "utf-8")
    moved = shell.main("--lang", "vi", "freeze", "check", str(record), profile, env=env, expect=EXIT_CHECK_FAILED)
    assert re.search(r"^ĐÃ THAY ĐỔI \S+ \(\w+\): [\d.]+ dòng lúc đóng băng, nay [\d.]+$", moved.stdout, re.MULTILINE)
    assert moved.stderr.startswith("Lỗi: 1 bảng nguồn đã thay đổi sau lần đóng băng ghi trong ")


def test_a_runbook_in_vietnamese_runs_its_steps_in_english(loaded, shell, tmp_path):
    store, env, profile, _ = loaded
    book = tmp_path / "check.toml"
    book.write_text(RUNBOOK, "utf-8")
    env = {**env, "STORE": store, "HOPNHAT_LANG": "vi"}
    stopped = shell.main("runbook", "run", str(book), env=env, expect=1)
    assert "  [      đạt] store-schema: The store exists at the latest schema" in stopped.stdout  # its expect held
    assert "  [không đạt] sign: The auditor signs" in stopped.stdout
    assert stopped.stderr.splitlines()[-1].startswith("Lỗi: quy trình (runbook) check-store đã dừng")
    status = shell.main("runbook", "status", str(book), env=env)
    assert status.stdout.splitlines()[0] == "Quy trình (runbook) check-store: Kho ở phiên bản mới nhất"
    assert re.search(r"^  \[      đạt\] store-schema: .*\(\d\d/\d\d/\d{4} ", status.stdout, re.MULTILINE), status
    assert status.stdout.splitlines()[-1] == "Bước tiếp theo: sign"
    english = shell.main("--lang", "en", "runbook", "status", str(book), env=env)
    assert english.stdout.splitlines()[-1] == "Next step: sign"


def test_continuity_lookup_and_report_verify_in_both_languages(loaded, shell, tmp_path):
    store, env, profile, _ = loaded
    index = shell.main("--lang", "vi", "continuity", "index", env=env)
    assert re.fullmatch(r"Chỉ mục liên tục: [\d.]+ mã định danh cũ \([\d.]+ mới, [\d.]+ thay đổi, [\d.]+ bị xóa\) "
                        r"trong [\d,]+ giây", index.stdout.splitlines()[0]), index
    again = shell.main("--lang", "en", "continuity", "index", env=env)
    assert re.fullmatch(r"Continuity index: \d+ old identifiers \(0 new, 0 changed, 0 removed\) in [\d.]+s",
                        again.stdout.splitlines()[0]), again
    out = tmp_path / "continuity"
    exported = shell.main("--lang", "vi", "continuity", "export", "--out", str(out), env=env)
    lines = exported.stdout.splitlines()
    assert re.fullmatch(rf"Xuất dữ liệu liên tục vào {re.escape(str(out))} \([\d,]+ giây\)", lines[0]), exported
    assert re.search(r"^  identifiers\.csv +[\d.]+ dòng$", exported.stdout, re.MULTILINE), exported
    assert lines[-1] == "  thông tin định danh cá nhân đã được che; --unmask ghi đầy đủ để hệ thống mới nạp"
    with (out / "identifiers.csv").open(encoding="utf-8-sig") as fh:
        number = next(row["old_value"] for row in csv.DictReader(fh) if row["kind"] == "dossier-no")
    found = shell.main("--lang", "vi", "lookup", number, env=env)
    assert re.fullmatch(rf"{re.escape(number)}: 1 kết quả, 1 bản ghi, từ \S+", found.stdout.splitlines()[0]), found
    assert found.stdout.splitlines()[1] == f"[1] số hồ sơ {number}"
    assert re.search(r"^      nguồn:      \S+ / \S+ / \S+$", found.stdout, re.MULTILINE), found
    assert re.search(r"^      hiện nay:   hồ sơ \d+$", found.stdout, re.MULTILINE), found
    english = shell.main("--lang", "en", "lookup", number, env=env)
    assert english.stdout.splitlines()[1] == f"[1] dossier number {number}"
    assert re.search(r"^      now:     dossier \d+$", english.stdout, re.MULTILINE), english
    missing = shell.main("--lang", "vi", "lookup", "000.00.99.H99-991231-9999", env=env, expect=1)
    assert missing.stdout.splitlines()[0] == ("Không tìm thấy: '000.00.99.H99-991231-9999' "
                                              "(có vẻ là số hồ sơ (mã cơ quan-YYMMDD-số thứ tự))")
    assert missing.stderr.startswith("Lỗi: không bản ghi nào có mã định danh này")
    holds = shell.main("--lang", "vi", "continuity", "check", env=env)
    assert holds.stdout.splitlines()[0] == "Tính liên tục: bảo đảm"
    report = tmp_path / "report"
    reconciled = shell.main("--lang", "vi", "reconcile", "run", "--out", str(report), env=env,
                            expect=None)
    assert reconciled.code in (EXIT_OK, 4), reconciled
    same = shell.main("--lang", "vi", "reconcile", "verify", str(report), env=env)
    assert re.fullmatch(rf"Báo cáo {re.escape(str(report))}: \d+ tệp khớp với manifest \(sha256 của manifest "
                        r"[0-9a-f]{64}\)", same.stdout.strip()), same
    assert shell.main("--lang", "en", "reconcile", "verify", str(report), env=env).stdout.startswith(
        f"Report {report}: ")
    (report / "index.html").write_text("changed", "utf-8")
    altered = shell.main("--lang", "vi", "reconcile", "verify", str(report), env=env, expect=EXIT_CHECK_FAILED)
    lines = altered.stdout.splitlines()
    assert lines[0] == f"Báo cáo {report} ĐÃ BỊ THAY ĐỔI: 1 vấn đề"
    assert lines[1].startswith("  BỊ THAY ĐỔI index.html: nội dung đã thay đổi (sha256 ")
    assert altered.stderr.startswith("Lỗi: ")


def test_a_delta_says_its_watermarks_as_vietnamese_dates(loaded, shell):
    store, env, profile, _ = loaded
    again = shell.main("--lang", "vi", "run", profile, env=env, expect=None)
    assert again.code in (EXIT_OK, 4), again
    deltas = [line for line in again.stdout.splitlines() if ": đọc phần thay đổi: " in line]
    assert deltas, again
    when = r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d"
    assert all(re.search(rf"mới từ {when}( UTC)? \(mốc thời gian lần trước {when}( UTC)? trừ [\d.]+ giây\)", line)
               for line in deltas), deltas
    english = shell.main("--lang", "en", "run", profile, env=env, expect=None)
    assert re.search(r": delta: \d+ record\(s\) changed or new since \d{4}-\d\d-\d\d", english.stdout), english
