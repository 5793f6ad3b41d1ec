"""``hopnhat bench load --wide``: the generated wide table loads whole, and the figures are printed."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

from migrate.bench.wide import COLUMNS, TABLE, build_source, change_source


def test_wide_source_has_thirty_columns_of_about_a_kilobyte(tmp_path):
    path = tmp_path / "wide.sqlite"
    build_source(path, 200)
    change_source(path, 200, 10)
    db = sqlite3.connect(path)
    columns = [r[1] for r in db.execute(f'SELECT * FROM pragma_table_info("{TABLE}")')]
    ids = [r[0] for r in db.execute(f'SELECT "Id" FROM "{TABLE}" ORDER BY "Id"')]
    changed = db.execute(f'SELECT count(*) FROM "{TABLE}" WHERE "NgayCapNhat" LIKE \'2025-%\'').fetchone()[0]
    size = db.execute(f'SELECT avg(length(CAST("GhiChu" AS BLOB)) + length(CAST("NoiDungYeuCau" AS BLOB))) '
                      f'FROM "{TABLE}"').fetchone()[0]
    db.close()
    assert len(columns) == len(COLUMNS) == 30
    assert len(ids) == 200 and ids[-1] == 210 and changed == 10  # 10 deleted, 10 added, 10 modified
    assert size > 300  # two of the 30 columns


def test_bench_load_wide_prints_run_copy_ratio_memory_and_delta(pg_server):
    result = subprocess.run(
        [sys.executable, "-m", "migrate.cli", "bench", "load", "--wide", "--rows", "400", "--batch-size", "150",
         "--delta-share", "0.05", "--pg", pg_server.url()], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "400 rows of 30 columns" in out and "hopnhat run, end to end:" in out
    assert "raw COPY into a table with a key:" in out and "hopnhat / raw COPY: " in out and "peak memory" in out
    assert "delta run after changing, adding and deleting 5.0% of the rows (20 each)" in out
    assert re.search(r"store settled before the delta \(VACUUM ANALYZE, counted in neither run\): \d+\.\d s", out)


def test_wide_summary_in_vietnamese_and_english():
    """The figures said in Vietnamese (dots group thousands, a decimal comma); English as the README quotes them."""
    from migrate.bench.wide import WideBench
    from migrate.core.figures import Figure
    from migrate.core.i18n import language
    from migrate.core.messages import msg

    how = msg("read as a delta: {read} records read, {carried} carried over unchanged, {deleted} deleted in the "
              "source (kept, marked)", read=Figure(12000, ","), carried=Figure(988000, ","), deleted=Figure(10000, ","))
    bench = WideBench(1_000_000, 1013, 120.5, 12.3, 143.2, 90.1, 2, 5000, 0.01, 10_000, 6.5, 11.0, 33.3, 5.5,
                      delta_read=how, settle_seconds=3.25)
    english = bench.summary(language("en")).splitlines()
    assert bench.summary() == "\n".join(english)
    assert english[0] == "1,000,000 rows of 30 columns (~1013 bytes a row, SQLite source), batch size 5000, 2 worker(s)"
    assert english[1] == ("  hopnhat run, end to end:                   120.5 s      8,299 rows/s  "
                          "(90 client + 33 server CPU ms / 1k rows)")
    assert english[5] == ("  delta run after changing, adding and deleting 1.0% of the rows (10,000 each): 6.5 s, "
                          "5.4% of the full load")
    assert english[6] == "    read as a delta: 12,000 records read, 988,000 carried over unchanged, 10,000 deleted in " \
                         "the source (kept, marked)"
    vi = bench.summary(language("vi")).splitlines()
    assert vi[0] == "1.000.000 dòng, 30 cột (~1013 byte mỗi dòng, nguồn SQLite), kích thước lô 5000, 2 tiến trình"
    assert re.fullmatch(r"  hopnhat run, trọn quy trình: +120,5 giây +8\.299 dòng/giây  "
                        r"\(máy khách 90 \+ máy chủ 33 ms CPU / 1\.000 dòng\)", vi[1]), vi[1]
    assert vi[3] == "  hopnhat / COPY thô: 0,10; bộ nhớ cao nhất (RSS tối đa) 143 MiB"
    assert vi[4].startswith("  kho được ổn định trước lần đọc phần thay đổi (VACUUM ANALYZE") and vi[4].endswith(" 3,2 giây")
    assert vi[5] == ("  lần chạy đọc phần thay đổi sau khi sửa, thêm và xóa 1,0% số dòng (mỗi việc 10.000 dòng): 6,5 giây, "
                     "bằng 5,4% lần nạp toàn bộ")
    assert vi[6] == ("    đọc phần thay đổi: đã đọc 12.000 bản ghi, 988.000 bản ghi giữ nguyên không đổi, 10.000 bản ghi "
                     "đã bị xóa ở nguồn (vẫn giữ, được đánh dấu)")
    assert not set(english) & set(vi)


def test_a_read_plans_reason_as_the_ledger_keeps_it_is_said_in_the_readers_language():
    from migrate.core.i18n import language
    from migrate.core.messages import say
    from migrate.delta import kept as as_kept

    kept = "the profile changed since the last run"  # a message id without values, as the ledger keeps it
    assert say(as_kept(kept), language("vi")) == "tệp mô tả nguồn đã thay đổi kể từ lần chạy trước"
    assert say(as_kept(kept), language("en")) == kept
    assert say(as_kept("--full"), language("vi")) == "--full"  # no catalogue entry: as it is
    assert say(as_kept("a {brace}"), language("vi")) == "a {brace}"  # never formatted
