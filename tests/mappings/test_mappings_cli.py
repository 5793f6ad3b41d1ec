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


def test_map_commands_in_both_languages(shell):
    """What an operator reads from ``hopnhat map`` through main(): Vietnamese with --lang vi, English unchanged."""
    vi = shell.main("--lang", "vi", "map", "code", "00016")
    assert vi.stdout.splitlines()[0] == "00016 Phường Ngọc Hà, Quận Ba Đình, Thành phố Hà Nội (01): chia tách, 2 phần"
    assert shell.main("map", "code", "00016", "--lang", "en").stdout.splitlines()[0].endswith(": split, 2 part(s)")
    unknown = shell.main("--lang", "vi", "map", "code", "99999", expect=1)
    assert unknown.stdout == "ERROR unknown-code: '99999' không phải mã xã cũ trong bảng nso-2025-07.\n"
    stats = shell.main("--lang", "vi", "map", "stats", "--province", "36").stdout.splitlines()
    assert stats[0] == "tỉnh cũ 36 Tỉnh Nam Định: 175 đơn vị cũ → 57 đơn vị hành chính cấp xã mới"
    assert stats[1] == "  sáp nhập (nguyên vẹn vào xã mới cùng đơn vị khác): 175"
    assert len({line.rindex(" ") for line in stats[1:]}) == 1  # the counts in one column
    english = shell.main("--lang", "en", "map", "stats", "--province", "36").stdout.splitlines()
    assert english[1] == "  merge (whole into a new commune with others): 175"
    assert len({line.rindex(" ") for line in english[1:]}) == 1
    split = shell.main("--lang", "vi", "map", "address", "Phường Ngọc Khánh, Ba Đình, Hà Nội").stdout
    assert split.startswith("ERROR review:split-ambiguous: ") and "Các xã mới có thể: 00008, 00025, 00199." in split
    assert "Candidates: 00008, 00025, 00199." in shell.main("map", "address", "Phường Ngọc Khánh, Ba Đình, Hà Nội").stdout
    stranger = shell.main("--lang", "vi", "map", "stats", "--province", "99", "--new", expect=1)
    assert stranger.error_line == "" and stranger.stderr.strip() == "Lỗi: 99 không phải mã tỉnh mới trong bảng nso-2025-07."


def test_map_review_and_agencies_in_both_languages(shell, tmp_path):
    queue = tmp_path / "queue.csv"
    queue.write_text("source,table,record_key,commune_code,address\nhanam,opencps_dossier,17,00016,\n", "utf-8")
    out = tmp_path / "review.csv"
    exported = shell.main("--lang", "vi", "map", "review", "export", str(queue), str(out))
    assert exported.stdout.strip() == ("Đã ghi 1 tham chiếu chưa xác định được vào review.csv; điền decision_new_commune "
                                       "(và decided_by), rồi chạy: hopnhat map review import review.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert list(rows[0])[:2] == ["ref_key", "records"] or "decision_new_commune" in rows[0]  # machine names
    rows[0]["decision_new_commune"] = "00008"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    decisions = tmp_path / "decisions.csv"
    stored = shell.main("--lang", "vi", "map", "review", "import", str(out), "--decisions", str(decisions))
    assert stored.stdout.strip() == ("Đã lưu 1 quyết định vào decisions.csv; sẽ áp dụng ở lần chạy sau với quy tắc "
                                     "'manual'.")
    rows[0]["decision_new_commune"] = "123"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    bad = shell.main("--lang", "vi", "map", "review", "import", str(out), "--decisions", str(decisions), expect=1)
    assert bad.stderr.strip().startswith("Lỗi: 1 vấn đề trong review.csv: review.csv dòng 2, trường "
                                         "decision_new_commune: ")
    table = tmp_path / "remaps.csv"
    table.write_text("kind,source_code,source_name,target_code,target_name,target_level,note\n"
                     "agency,000.00.21.H40,UBND huyện Ý Yên,@commune,,commune,\n"
                     "agency,000.00.22.H40,UBND huyện Vụ Bản,,,province,\n", encoding="utf-8")
    broken = shell.main("--lang", "vi", "map", "agencies", "check", str(table), expect=1)
    assert broken.stderr.strip() == (f"Lỗi: 1 vấn đề trong remaps.csv: remaps.csv dòng 3, trường target_code: trống "
                                     "(dùng target_level 'retired' cho cơ quan hoặc thủ tục hành chính chấm dứt)")
    table.write_text("\n".join(table.read_text("utf-8").splitlines()[:2]) + "\n", "utf-8")
    checked = shell.main("--lang", "vi", "map", "agencies", "check", str(table), "--source-codes",
                         "000.00.21.H40,000.00.99.H40", expect=1)
    assert checked.stdout.strip() == "agency: 1 đã chuyển đổi, 1 chưa chuyển đổi: 000.00.99.H40"
    assert shell.main("--lang", "en", "map", "agencies", "check", str(table), "--source-codes", "000.00.21.H40") \
        .stdout.strip() == "agency: 1 mapped, 0 unmapped"
