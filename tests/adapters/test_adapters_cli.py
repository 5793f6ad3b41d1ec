"""``hopnhat source`` and ``hopnhat bench extract`` through click."""

from __future__ import annotations

from click.testing import CliRunner

from adapters.profiles import load_profile
from migrate.cli import cli


def test_source_check_names_closest(opencps_sqlite, tmp_path):
    url, _, _ = opencps_sqlite
    runner = CliRunner()
    ok = runner.invoke(cli, ["source", "check", "opencps-v2", "--source", url])
    assert ok.exit_code == 0, ok.output
    assert "Profile opencps-v2 against source opencps-v2: OK" in ok.output
    bad = tmp_path / "bad.toml"
    text = runner.invoke(cli, ["source", "show", "opencps-v2"]).output
    bad.write_text(text.replace('"dossierNo"', '"dossierNumber"').replace('"opencps_dossierlog"', '"opencps_dosierlog"'),
                   encoding="utf-8")
    result = runner.invoke(cli, ["source", "check", str(bad), "--source", url])
    assert result.exit_code == 1
    assert "unknown column (field dossier_no) in opencps_dossier 'dossierNumber'; closest: dossierName" in result.output
    assert "unknown table 'opencps_dosierlog'; closest: opencps_dossierlog" in result.output


def test_source_inspect_drafts_a_loadable_profile(opencps_sqlite, tmp_path):
    url, _, _ = opencps_sqlite
    out = tmp_path / "draft.toml"
    result = CliRunner().invoke(cli, ["source", "inspect", "--source", url, "--name", "hanam", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "opencps_dossier                          7  dossierId" in result.output
    draft = load_profile(out)
    assert draft.entities["dossier"].table == "opencps_dossier"
    assert draft.entities["dossier"].columns["dossier_no"] == "dossierNo"


def test_bench_extract_smoke():
    result = CliRunner().invoke(cli, ["bench", "extract", "--rows", "500", "--engines", "sqlite"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split()[:2] == ["sqlite", "500"]


def test_source_check_and_inspect_in_both_languages(opencps_sqlite, shell, tmp_path):
    """``hopnhat source check/inspect`` through main(): Vietnamese with --lang vi; names and keys as the source has them."""
    url, _, _ = opencps_sqlite
    ok = shell.main("--lang", "vi", "source", "check", "opencps-v2", "--source", url)
    lines = ok.stdout.splitlines()
    assert lines[0] == "Tệp mô tả nguồn opencps-v2 đối chiếu với nguồn opencps-v2: ĐẠT"
    assert "  thông tin dossier: opencps_dossier: 7 dòng" in lines
    assert shell.main("source", "check", "opencps-v2", "--source", url, "--lang", "en").stdout.splitlines()[0] == \
        "Profile opencps-v2 against source opencps-v2: OK"
    bad = tmp_path / "bad.toml"
    bad.write_text(shell.main("source", "show", "opencps-v2").stdout.replace('"dossierNo"', '"dossierNumber"'), "utf-8")
    wrong = shell.main("--lang", "vi", "source", "check", str(bad), "--source", url, expect=1)
    assert wrong.stdout.splitlines()[0] == "Tệp mô tả nguồn opencps-v2 đối chiếu với nguồn opencps-v2: có vấn đề"
    assert ("  lỗi       dossier: không có cột (field dossier_no) 'dossierNumber' trong opencps_dossier; "
            "gần nhất: dossierName, ") in wrong.stdout
    assert wrong.stderr.startswith(f"Lỗi: tệp mô tả nguồn {bad} không khớp với nguồn")
    out = tmp_path / "draft.toml"
    drafted = shell.main("--lang", "vi", "source", "inspect", "--source", url, "--name", "hanam", "--out", str(out))
    lines = drafted.stdout.splitlines()
    assert lines[0].split() == ["bảng", "dòng", "khóa", "có", "thể", "dùng"]
    assert "opencps_dossier                          7  dossierId" in lines
    assert lines[-1] == (f"Đã ghi bản nháp tệp mô tả nguồn vào {out}; hãy rà soát, rồi chạy: "
                         f"hopnhat source check {out} --source URL")
    english = shell.main("source", "inspect", "--source", url, "--name", "hanam")
    assert english.stdout.splitlines()[0].split() == ["table", "rows", "candidate", "keys"]
