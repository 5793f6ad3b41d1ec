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
