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
