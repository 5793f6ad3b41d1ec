"""hopnhat map ...: the lines users rely on."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from migrate.cli import cli
from migrate.cli.map import map_group


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["map", *args], input=input, catch_exceptions=False)


def test_map_address_argument():
    result = run("address", "Xóm 3, xã Yên Khánh, huyện Ý Yên, tỉnh Nam Định")
    assert result.exit_code == 0
    assert result.output == "Xã Ý Yên (13795)|Tỉnh Ninh Bình (37)\n"


def test_map_address_stdin_keeps_input_order_and_reports_errors():
    result = run("address", input="P.5, Q.5, TP.HCM\n\nasdf qwer\nPhường Phúc Xá, Ba Đình, Hà Nội\n")
    lines = result.output.splitlines()
    assert result.exit_code == 0 and len(lines) == 4
    assert lines[0] == "Phường An Đông (27316)|Thành phố Hồ Chí Minh (79)"
    assert lines[1].startswith("ERROR review:empty")
    assert lines[2].startswith("ERROR review:unresolved")
    assert lines[3] == "Phường Hồng Hà (00097)|Thành phố Hà Nội (01)"


def test_map_address_explain_names_the_rule():
    result = run("address", "--explain", "Phường Phúc Xá, Ba Đình, Hà Nội")
    assert result.output.split("|")[2] == "names:address"


def test_map_code_lists_every_part_of_a_split_commune():
    result = run("code", "00016")
    lines = result.output.splitlines()
    assert result.exit_code == 0 and "split, 2 part(s)" in lines[0]
    assert {line.split("(")[1][:5] for line in lines[1:]} == {"00004", "00008"}


def test_map_code_unknown_exits_1():
    result = run("code", "99999")
    assert result.exit_code == 1 and result.output.startswith("ERROR unknown-code")


def test_map_stats_counts_merge_split_stay():
    result = run("stats", "--province", "36")
    assert result.exit_code == 0
    assert result.output.startswith("old province 36 Tỉnh Nam Định: ")
    assert "merge" in result.output and "split" in result.output and "stay" in result.output


def test_review_round_trip(tmp_path):
    split_address = "Phường Ngọc Khánh, Ba Đình, Hà Nội"      # split between 00008, 00025 and 00199
    queue = tmp_path / "queue.csv"
    queue.write_text("source,table,record_key,commune_code,address\n"
                     "hanam,opencps_dossier,17,00016,\n"
                     "hanam,opencps_dossier,18,00001,\n"
                     f"hanam,opencps_dossier,19,,\"{split_address}\"\n", encoding="utf-8")
    out = tmp_path / "review.xlsx"
    result = run("review", "export", str(queue), str(out))
    assert result.exit_code == 0 and result.output.startswith("2 unresolved reference(s)")
    from openpyxl import load_workbook
    wb = load_workbook(out)
    ws = wb.active
    header = [c.value for c in ws[1]]
    rows = {ws.cell(row=r, column=header.index("record_key") + 1).value: r for r in range(2, ws.max_row + 1)}
    assert set(rows) == {"17", "19"}
    candidates = ws.cell(row=rows["19"], column=header.index("candidates") + 1).value
    assert [c.split()[0] for c in candidates.split(";")] == ["00008", "00025", "00199"], candidates
    decision = header.index("decision_new_commune") + 1
    ws.cell(row=rows["17"], column=decision, value=8)  # zero padding lost
    ws.cell(row=rows["19"], column=decision, value="00025")
    wb.save(out)
    decisions = tmp_path / "decisions.csv"
    result = run("review", "import", str(out), "--decisions", str(decisions))
    assert result.exit_code == 0 and result.output.startswith("2 decision(s) stored")
    stored = {row["new_commune"] for row in csv.DictReader(decisions.open(encoding="utf-8"))}
    assert stored == {"00008", "00025"}
    lines = f"{split_address}\nPhường Phúc Xá, Ba Đình, Hà Nội\n"
    before = run("address", "--explain", input=lines).output.splitlines()
    assert before[0].startswith("ERROR review:split-ambiguous")
    after = run("address", "--explain", "--decisions", str(decisions), input=lines)
    assert after.exit_code == 0
    decided, untouched = after.output.splitlines()
    assert decided.startswith("Phường Giảng Võ (00025)|Thành phố Hà Nội (01)|manual|")
    assert untouched == before[1] and untouched.startswith("Phường Hồng Hà (00097)|")
    again = run("review", "export", str(queue), str(tmp_path / "again.xlsx"), "--decisions", str(decisions))
    assert again.exit_code == 0 and again.output.startswith("0 unresolved reference(s)")


def test_every_command_has_an_example():
    from migrate.cli.map import review_group
    for group in (map_group, review_group):
        for name, cmd in group.commands.items():
            if cmd is not review_group:
                assert "Example:" in (cmd.help or ""), name


def test_agencies_check_lists_unmapped_codes(tmp_path):
    table = tmp_path / "remaps.csv"
    table.write_text("kind,source_code,source_name,target_code,target_name,target_level,note\n"
                     "agency,000.00.21.H40,UBND huyện Ý Yên,@commune,,commune,\n", encoding="utf-8")
    result = run("agencies", "check", str(table), "--source-codes", "000.00.21.H40,000.00.99.H40")
    assert result.exit_code == 1
    assert result.stdout.strip() == "agency: 1 mapped, 1 unmapped: 000.00.99.H40"
    assert result.stderr.splitlines()[-1].startswith(f"Error: {table} leaves legacy codes unmapped")
    result = run("agencies", "check", str(table), "--source-codes", "000.00.21.H40")
    assert result.exit_code == 0 and result.output.startswith("agency: 1 mapped, 0 unmapped")
