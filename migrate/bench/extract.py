"""Extraction benchmark: rows per second and peak memory, per engine and table size.

A dossier table shaped like the demo portal's ``HoSo`` is bulk-built inside
the engine (a recursive CTE in SQLite, ``generate_series`` in PostgreSQL),
then read end to end through the adapter, keyset page by keyset page, in a
fresh child process so each measurement has its own peak memory: ``peak_mib``
is the child's maximum resident set size, ``growth_mib`` how much it grew
while extracting. Flat growth as the table grows is the point.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adapters.profiles import load_profile
from migrate.core.figures import Figure
from migrate.core.i18n import Language, language
from migrate.core.messages import N_, msg, say

TABLE = "HoSo"
ENGINES = ("sqlite", "postgresql")  # the engines a table can be built in
SCHEMA = "hopnhat_bench"
_COLUMNS = ("Id", "SoHoSo", "MaThuTuc", "TenThuTuc", "MaCoQuan", "TenCoQuan", "TaiKhoanId", "TenNguoiNop",
            "SoGiayTo", "DiaChi", "MaTinh", "MaHuyen", "MaXa", "NgayNop", "NgayTiepNhan", "NgayHenTra", "NgayTra",
            "TrangThai", "NgayCapNhat", "HinhThucNop")


@dataclass(frozen=True)
class BenchResult:
    engine: str
    rows: int
    seconds: float
    rows_per_second: float
    peak_mib: float
    growth_mib: float
    build_seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def _ddl(engine: str) -> str:
    cols = ", ".join(f'"{c}" {"BIGINT PRIMARY KEY" if c == "Id" else "BIGINT" if c == "TaiKhoanId" else "TEXT"}'
                     for c in _COLUMNS)
    prefix = f'"{SCHEMA}".' if engine == "postgresql" else ""
    return f'CREATE TABLE {prefix}"{TABLE}" ({cols})'


def _values(i: str, concat) -> list[str]:
    """SQL expressions for one generated row, ``i`` being the row number."""
    return [
        i, concat("'000.00.35.H35-'", i), "'1.001234'", "'Cấp giấy phép xây dựng nhà ở riêng lẻ'", "'H35.01'",
        "'UBND huyện Thanh Liêm'", i, "'Nguyễn Văn Ánh'", "'035099000001'", "'Thôn Đồng Ao, xã Thanh Hà'",
        "'35'", "'351'", "'13453'", "'2024-03-01 08:00:00'", "'2024-03-01 09:30:00'", "'2024-03-15 17:00:00'",
        "'2024-03-10 10:00:00'", "'4'", "'2024-03-10 10:00:00'", "'TRUC_TUYEN'",
    ]


def parse_plan(rows: str, engines: str) -> tuple[list[int], list[str]]:
    """``--rows 100000,1000000`` and ``--engines sqlite,postgresql`` as sizes and engine names; a ValueError
    says what is wrong with either."""
    sizes = [r.strip() for r in rows.split(",") if r.strip()]
    if not sizes or not all(r.isdigit() and int(r) > 0 for r in sizes):
        raise ValueError(msg("--rows takes table sizes separated by commas, e.g. 100000,1000000 (got {rows})",
                             rows=repr(rows)))
    names = [e.strip() for e in engines.split(",") if e.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown or not names:
        raise ValueError(msg("no benchmark for engine {engines}; known: {known}",
                             engines=", ".join(map(repr, unknown)) or msg("(none given)"), known=", ".join(ENGINES)))
    return [int(r) for r in sizes], names


def build_sqlite(path: Path, rows: int) -> str:
    """An SQLite legacy table of ``rows`` dossiers; returns its URL."""
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    exprs = _values("x", lambda a, b: f"{a} || {b}")
    insert = (f'INSERT INTO "{TABLE}" SELECT {", ".join(exprs)} FROM n')
    with engine.begin() as conn:
        conn.execute(text(_ddl("sqlite")))
        conn.execute(text("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < :rows) "
                          + insert), {"rows": rows})
    engine.dispose()
    return url


def build_postgresql(url: str, rows: int) -> str:
    """The same table in schema hopnhat_bench of the PostgreSQL database at ``url`` (replaced)."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    exprs = _values("g", lambda a, b: f"{a} || {b}")
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        conn.execute(text(_ddl("postgresql")))
        conn.execute(text(f'INSERT INTO "{SCHEMA}"."{TABLE}" SELECT {", ".join(exprs)} '
                          "FROM generate_series(1, :rows) AS g"), {"rows": rows})
        conn.execute(text(f'ANALYZE "{SCHEMA}"."{TABLE}"'))
    engine.dispose()
    source = make_url(url).set(drivername="postgresql+psycopg").update_query_dict({"schema": SCHEMA})
    return source.render_as_string(hide_password=False)


def drop_postgresql(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
    engine.dispose()


def _extract(url: str, batch_size: int, queue) -> None:
    """In a child process: read every row through the adapter; report time and memory."""
    from adapters import open_source

    spec = load_profile("demo-portal").entities["dossier"]
    source = open_source("bench", url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    count = 0
    for page in source.read(spec, after=None, batch_size=batch_size):
        count += len(page)
    seconds = time.perf_counter() - started
    source.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((count, seconds, peak / 1024, (peak - before) / 1024))


def measure(url: str, batch_size: int) -> tuple[int, float, float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_extract, args=(url, batch_size, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def run(engines: list[str], sizes: list[int], *, pg_url: str | None = None, batch_size: int = 1000,
        workdir: Path | None = None, progress=None) -> list[BenchResult]:
    """Build each table, extract it, measure; PostgreSQL needs ``pg_url`` (a database it may write to)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-") as scratch:
        folder = Path(workdir or scratch)
        for engine in engines:
            for rows in sizes:
                started = time.perf_counter()
                if engine == "sqlite":
                    url = build_sqlite(folder / f"bench-{rows}.sqlite", rows)
                elif engine == "postgresql":
                    if not pg_url:
                        raise ValueError("the PostgreSQL benchmark needs a database URL (--pg)")
                    url = build_postgresql(pg_url, rows)
                else:
                    raise ValueError(f"no benchmark for engine {engine!r}; known: {', '.join(ENGINES)}")
                built = time.perf_counter() - started
                count, seconds, peak, growth = measure(url, batch_size)
                if count != rows:
                    raise RuntimeError(f"{engine}: extracted {count} rows of {rows}")
                results.append(BenchResult(engine, rows, round(seconds, 2), round(rows / seconds),
                                           round(peak, 1), round(growth, 1), round(built, 2)))
                if progress:
                    progress(results[-1])
                if engine == "sqlite":
                    (folder / f"bench-{rows}.sqlite").unlink(missing_ok=True)
        if "postgresql" in engines and pg_url:
            drop_postgresql(pg_url)
    return results


_HEADINGS = ((N_("engine"), "<", 12), (N_("rows"), ">", 10), (N_("seconds"), ">", 9), (N_("rows/s"), ">", 10),
             (N_("peak MiB"), ">", 10), (N_("growth MiB"), ">", 12))


def render(results: list[BenchResult], lang: Language | None = None) -> str:
    """The table of ``results`` under its headings, in ``lang`` (English by default, as the README quotes it)."""
    lang = lang or language()
    headings = [(lang.gettext(h), align, max(width, len(lang.gettext(h)) + 1)) for h, align, width in _HEADINGS]
    lines = ["".join(f"{h:{align}{width}}" for h, align, width in headings)]
    for r in results:
        cells = (r.engine, Figure(r.rows), Figure(r.seconds, ".2f"), Figure(r.rows_per_second),
                 Figure(r.peak_mib, ".1f"), Figure(r.growth_mib, ".1f"))
        lines.append("".join(f"{say(c, lang):{align}{width}}" for c, (_, align, width) in zip(cells, headings)))
    return "\n".join(lines)
