"""Spreadsheets and CSV files as clerks save them: title rows, several sheets, merged cells, totals, blank rows.

Real XLSX files written with openpyxl (merged cells included) and CSV files; migrated into SQLite
and PostgreSQL stores; every row of the files accounted for (blank and totals rows excluded with
their reason), record by record; what a profile does not say is refused with what to set.
"""

from __future__ import annotations

import pytest

from clerk_exports import TRUTH, build
from ground_truth import compare, outcomes
from migrate import pipeline
from migrate.config import Settings
from reconciliation.runner import reconcile
from tests.harness import hopnhat


def test_clerk_exports_migrate_with_every_row_accounted_for(tmp_path, store_url):
    profile, url = build(tmp_path)
    settings = Settings.load([profile], store=store_url, files_dir=tmp_path / "store-files", batch_size=3,
                             environ={"HOPNHAT_SOURCE_KIMBANG_URL": url})
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    counts = {r.entity: (r.source_count, r.counts.loaded, r.counts.quarantined, r.counts.excluded)
              for r in report.results}
    assert counts == {"account": (5, 3, 0, 2), "dossier": (10, 6, 0, 4)}
    assert compare(outcomes(store_url, settings.sources[0].profile), TRUTH) == []
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()
    assert {b.entity: (b.source_count, b.excluded) for b in result.conservation.balances} == {
        "account": (5, 2), "dossier": (10, 4)}


def test_source_check_reports_the_rows_set_aside(tmp_path):
    profile, url = build(tmp_path)
    result = hopnhat("source", "check", str(profile), env={"HOPNHAT_SOURCE_KIMBANG_URL": url})
    assert result.code == 0, result.stdout + result.stderr
    assert "dossier: 4 of the first 10 records excluded: blank row in the export: 2; totals row 'Cộng:' in " \
           "the export: 1; totals row 'Tổng cộng' in the export: 1" in result.stdout
    assert "account: 2 of the first 5 records excluded" in result.stdout
    vi = hopnhat("--lang", "vi", "source", "check", str(profile), env={"HOPNHAT_SOURCE_KIMBANG_URL": url}, expect=0)
    assert "dòng trống trong tệp xuất: 2; dòng tổng cộng 'Cộng:' trong tệp xuất: 1; dòng tổng cộng 'Tổng cộng' " \
           "trong tệp xuất: 1" in vi.stdout, vi
    assert "in the export" not in vi.stdout and "blank row" not in vi.stdout


@pytest.mark.parametrize("layout,message", [
    ({'sheets = ["2023", "2024"]\n': ""},
     "HoSo.xlsx has 3 sheets holding data ('2023', '2024', 'Ghi chú'); reading only the first would drop the "
     "others: set sheets = \"all\" or sheets = ['2023', '2024', 'Ghi chú'] in [export.HoSo] of the profile"),
    ({'sheets = ["2023", "2024"]': 'sheets = "all"'},
     "HoSo.xlsx sheet 'Ghi chú' has no row 4 (header_row); it has 1"),
    ({'sheets = ["2023", "2024"]': 'sheets = ["2023", "2025"]'},
     "HoSo.xlsx has no sheet '2025'; its sheets: '2023', '2024', 'Ghi chú'"),
    ({'merged = "fill"\n': ""},
     "HoSo.xlsx sheet '2023' row 7 lies in merged cells E6:E7 (value '349'), F6:F7 (value '13327'): read as "
     "they are, its cells there would be empty. Set merged = \"fill\" in [export.HoSo] of the profile to copy the value into each "
     "row, or unmerge the cells in the file"),
    ({"header_row = 4\n": ""},
     "HoSo.xlsx sheet '2023' row 1: the header has merged cells (A1:G1); row 4 looks like the header (Id, "
     "SoHoSo, NguoiNop, MaTinh, ...): set header_row = 4 in [export.HoSo] of the profile"),
    ({"header_row = 2\n": ""},
     "TaiKhoan.csv line 1: the header holds one value across the row ('DANH SÁCH CÔNG DÂN CÓ TÀI KHOẢN'): a "
     "title, not column names; row 2 looks like the header (Id, HoTen, SoCCCD, MaTinh, ...): set header_row = 2 "
     "in [export.TaiKhoan] of the profile"),
])
def test_what_the_profile_does_not_say_is_refused_with_what_to_set(tmp_path, sqlite_store, layout, message):
    profile, url = build(tmp_path, layout=layout)
    result = hopnhat("run", "--store", sqlite_store, str(profile), env={"HOPNHAT_SOURCE_KIMBANG_URL": url})
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert f"hopnhat source check {profile}" in result.stderr


def test_export_sections_are_validated(tmp_path):
    from adapters.profiles import load_profile
    from migrate.core.errors import ConfigError

    profile, _ = build(tmp_path, layout={'merged = "fill"': 'merged = "yes"\ntitle = 2',
                                         "[export.TaiKhoan]": "[export.TaiKhoang]"})
    with pytest.raises(ConfigError) as caught:
        load_profile(profile)
    text = str(caught.value)
    assert "[export.HoSo]: merged must be \"refuse\" or \"fill\"" in text
    assert "[export.HoSo] has unknown key 'title'; known: header_row, sheets, merged, totals" in text
    assert "[export.TaiKhoang] names no table of an [entity.*] (or its joins)" in text


def test_a_totals_label_list_replaces_the_default(tmp_path, sqlite_store):
    """``totals = []``: no row is a totals row, so the "Tổng cộng" line is read as a record, as the profile says."""
    profile, url = build(tmp_path, layout={"[export.TaiKhoan]\nheader_row = 2":
                                           "[export.TaiKhoan]\nheader_row = 2\ntotals = []"})
    settings = Settings.load([profile], store=sqlite_store, files_dir=tmp_path / "f",
                             environ={"HOPNHAT_SOURCE_KIMBANG_URL": url})
    report = pipeline.run(settings)
    account = next(r for r in report.results if r.entity == "account")
    assert (account.source_count, account.counts.loaded, account.counts.excluded) == (5, 4, 1)
    found = outcomes(sqlite_store, settings.sources[0].profile)
    assert found[("account", "Tổng cộng")]["row"]["full_name"] == "3"
    assert found[("account", "~line 5")]["field"] == "exclude:blank row in the export"


def test_the_reference_lists_the_export_keys():
    from adapters.profiles import EXPORT_KEYS

    result = hopnhat("source", "fields")
    assert result.code == 0, result.stderr
    assert "## [export.TABLE]" in result.stdout
    for key in EXPORT_KEYS:
        assert f"- `{key}`:" in result.stdout


def test_run_summary_shows_the_excluded_rows(tmp_path, sqlite_store):
    """source = loaded + merged + quarantined + excluded, on every line of what ``hopnhat run`` prints."""
    profile, url = build(tmp_path)
    result = hopnhat("run", "--lang", "en", "--store", sqlite_store, "--files-dir", str(tmp_path / "f"),
                     str(profile), env={"HOPNHAT_SOURCE_KIMBANG_URL": url})
    assert result.code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "source/entity" in line)
    assert header.split()[-2:] == ["quarant.", "excluded"]
    rows = {line.split()[0]: [int(v) for v in line.split()[1:]] for line in lines
            if line.strip().startswith("kimbang-exports/")}
    assert rows == {"kimbang-exports/account": [5, 5, 3, 0, 0, 2], "kimbang-exports/dossier": [10, 10, 6, 0, 0, 4]}


@pytest.mark.parametrize("layout,english,vietnamese", [
    ({'sheets = ["2023", "2024"]': 'sheets = ["2023", "2025"]'},
     "HoSo.xlsx has no sheet '2025'; its sheets: '2023', '2024', 'Ghi chú'",
     "HoSo.xlsx không có trang tính '2025'; các trang tính của tệp: '2023', '2024', 'Ghi chú'"),
    ({"header_row = 4\n": ""},
     "HoSo.xlsx sheet '2023' row 1: the header has merged cells (A1:G1); row 4 looks like the header",
     "HoSo.xlsx trang tính '2023' dòng 1: dòng tiêu đề cột có ô gộp (A1:G1); dòng 4 có vẻ là dòng tiêu đề cột (Id, "
     "SoHoSo, NguoiNop, MaTinh, ...): đặt header_row = 4 trong [export.HoSo] của tệp mô tả nguồn"),
])
def test_an_export_the_profile_does_not_describe_is_refused_in_both_languages(tmp_path, sqlite_store, layout, english,
                                                                              vietnamese):
    profile, url = build(tmp_path, layout=layout)
    env = {"HOPNHAT_SOURCE_KIMBANG_URL": url}
    vi = hopnhat("--lang", "vi", "run", "--store", sqlite_store, str(profile), env=env, expect=1)
    assert vietnamese in vi.stderr and vi.stderr.startswith("Lỗi: ")
    assert english in hopnhat("--lang", "en", "run", "--store", sqlite_store, str(profile), env=env, expect=1).stderr


def test_profile_problems_are_said_in_both_languages(tmp_path):
    profile, _ = build(tmp_path, layout={'merged = "fill"': 'merged = "yes"\ntitle = 2',
                                         "[export.TaiKhoan]": "[export.TaiKhoang]"})
    vi = hopnhat("--lang", "vi", "source", "check", str(profile), "--source", "sqlite:///none.sqlite", expect=1)
    problems = vi.stderr.removeprefix("Lỗi: ").strip().split("; tệp mô tả nguồn ")
    assert f"tệp mô tả nguồn {profile}: [export.HoSo]: merged phải là \"refuse\" hoặc \"fill\"" in vi.stderr
    assert ("[export.HoSo] có khóa không xác định 'title'; các khóa đã biết: header_row, sheets, merged, totals"
            in vi.stderr)
    assert "[export.TaiKhoang] không nêu bảng nào của một [entity.*] (hoặc các phép nối của nó)" in vi.stderr
    assert len(problems) == 3, vi.stderr
    en = hopnhat("--lang", "en", "source", "check", str(profile), "--source", "sqlite:///none.sqlite", expect=1)
    assert en.stderr.startswith(f"Error: profile {profile}: ")
    assert f"; profile {profile}: [export.HoSo]: merged must be \"refuse\" or \"fill\"" in en.stderr


def test_what_staging_set_aside_is_logged_in_the_commands_language(tmp_path, sqlite_store):
    profile, url = build(tmp_path)
    env = {"HOPNHAT_SOURCE_KIMBANG_URL": url}
    vi = hopnhat("-v", "--lang", "vi", "run", "--store", sqlite_store, str(profile), env=env, expect=0)
    staged = [line for line in vi.stderr.splitlines() if "kimbang-exports/HoSo" in line]
    assert any(line.endswith("kimbang-exports/HoSo đã nạp vào vùng trung gian: HoSo.xlsx: 10 dòng; trang tính "
                             "2023, 2024; 6 dòng tiêu đề phía trên dòng tên cột; 2 dòng trống bị loại trừ; 2 dòng "
                             "tổng cộng bị loại trừ; 2 vùng ô gộp được điền giá trị; 10 dòng trống sau dữ liệu")
               for line in staged), vi.stderr
    assert "staged" not in vi.stderr and " rows" not in vi.stderr
    en = hopnhat("-v", "--lang", "en", "run", "--full", "--store", sqlite_store, str(profile), env=env, expect=0)
    assert "kimbang-exports/HoSo staged: HoSo.xlsx: 10 rows; sheets 2023, 2024; " in en.stderr, en.stderr


def test_source_check_says_a_sample_quarantine_reason_in_vietnamese():
    """The reason a conversion would quarantine a record (kept in English) is said in Vietnamese by source check."""
    from adapters.inspect import _REASONS
    from migrate.core import canonical
    from migrate.core.i18n import language
    from migrate.core.messages import msg, say

    reason = canonical.FIELD_PROBLEM.format(column="NgayNop", value="'31/02/2020'", problem=canonical.NOT_DATE)
    said = msg("{field}: {n} of the first {seen} records would be quarantined, e.g. {reason}", field="submitted_at",
               n=2, seen=10, reason=_REASONS.recorded(reason))
    assert say(said, language("vi")).endswith("ví dụ: NgayNop='31/02/2020': không phải ngày tháng")
    assert said.endswith("e.g. NgayNop='31/02/2020': not a date")
