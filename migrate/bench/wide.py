"""Measure a wide load: a generated 30-column legacy dossier table (~1 KB a row) from SQLite into PostgreSQL.

In the same run and on the same database server: ``hopnhat run`` end to end
(extract, canonical records, remap, content hash, lineage, decisions, index,
catalogue, ledger) and a raw ``COPY`` of the same legacy rows, every column as
text, into a logged table with a primary key — the floor any loader is measured
against. Their ratio is the figure issue-level targets are written in. Peak
memory is this process's maximum resident set (the load runs in a fresh child
process, so each size has its own peak).

With a delta share, the source is then changed as a cutover's last days would
change it: that share of rows modified (their ``NgayCapNhat`` watermark moves
on), the same number added (with old watermarks, as records imported from
elsewhere have: the key comparison finds them) and the same number deleted; and
the second run over the changed source is timed: it reads the delta
(:mod:`migrate.delta`), and the summary says what it read and found deleted.

Between the two runs the store is settled as the days between a first load and
the cutover settle it: ``VACUUM (ANALYZE)`` of the tables the first load wrote,
which autovacuum would otherwise start on while the delta runs (its time is
printed, counted in neither run; ``settle=False`` times the delta at once).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from mappings.units import UnitTable
from migrate.bench.load import _create_database, _drop_database
from migrate.core.figures import Figure, said
from migrate.core.i18n import Language
from migrate.core.messages import Message, msg

TABLE = "HoSoRong"
SOURCE = "wide-portal"
PROVINCE = "35"  # Hà Nam: its communes are the generated rows' old units
# Legacy columns: the key, 17 the dossier entity reads, 12 it carries along unread (as real portals do).
_MAPPED = {
    "dossier_no": "SoHoSo", "procedure_code": "MaThuTuc", "procedure_name": "TenThuTuc",
    "agency_code": "MaCoQuan", "agency_name": "TenCoQuan", "applicant_name": "TenNguoiNop",
    "applicant_id_number": "SoGiayTo", "address": "DiaChi", "province_code": "MaTinh",
    "district_code": "MaHuyen", "commune_code": "MaXa", "submitted_at": "NgayNop",
    "received_at": "NgayTiepNhan", "due_at": "NgayHenTra", "finished_at": "NgayTra", "status": "TrangThai",
    "modified_at": "NgayCapNhat",
}
_UNREAD = ("HinhThucNop", "KenhNop", "GhiChu", "NoiDungYeuCau", "NguoiTiepNhan", "NguoiXuLy", "KetQua",
           "LePhi", "SoBienNhan", "DienThoaiNguoiNop", "EmailNguoiNop", "MaHoSoLienThong")
COLUMNS = ("Id", *_MAPPED.values(), *_UNREAD)


@dataclass(frozen=True)
class WideBench:
    rows: int
    row_bytes: int  # average legacy row size in the source
    run_seconds: float
    copy_seconds: float
    peak_mib: float
    client_cpu_seconds: float
    workers: int
    batch_size: int
    delta_share: float | None = None
    delta_rows: int = 0
    delta_seconds: float | None = None
    copy_client_cpu_seconds: float | None = None
    server_cpu_seconds: float | None = None  # the database server's processes (a server on this machine only)
    copy_server_cpu_seconds: float | None = None
    delta_read: str = ""  # how the delta run read the table and what it found deleted (a message)
    settle_seconds: float | None = None  # VACUUM (ANALYZE) of the store between the runs (None: not settled)

    @property
    def run_rate(self) -> float:
        return self.rows / self.run_seconds

    @property
    def copy_rate(self) -> float:
        return self.rows / self.copy_seconds

    def summary(self, lang: Language | None = None) -> str:
        """The figures, in ``lang`` (English by default, as the README quotes them)."""
        lines = [
            msg("{rows} rows of {columns} columns (~{row_bytes} bytes a row, SQLite source), "
                "batch size {batch_size}, {workers} worker(s)", rows=Figure(self.rows, ","),
                columns=str(len(COLUMNS)), row_bytes=str(self.row_bytes), batch_size=str(self.batch_size),
                workers=str(self.workers)),
            msg("  hopnhat run, end to end:                {seconds} s {rate} rows/s  ({cpu})",
                seconds=Figure(self.run_seconds, "8.1f"), rate=Figure(self.run_rate, ">10,.0f"),
                cpu=self._cpu(self.client_cpu_seconds, self.server_cpu_seconds)),
            msg("  raw COPY into a table with a key:       {seconds} s {rate} rows/s  ({cpu})",
                seconds=Figure(self.copy_seconds, "8.1f"), rate=Figure(self.copy_rate, ">10,.0f"),
                cpu=self._cpu(self.copy_client_cpu_seconds, self.copy_server_cpu_seconds)),
            msg("  hopnhat / raw COPY: {ratio}; peak memory (max RSS) {mib} MiB",
                ratio=Figure(self.run_rate / self.copy_rate, ".2f"), mib=Figure(self.peak_mib, ".0f")),
        ]
        if self.delta_seconds is not None and self.delta_share is not None:
            lines.append(msg("  store settled before the delta (VACUUM ANALYZE, counted in neither run): {seconds} s",
                             seconds=Figure(self.settle_seconds, ".1f")) if self.settle_seconds is not None
                         else msg("  the delta run at once after the full load (store not settled)"))
            lines.append(msg("  delta run after changing, adding and deleting {share} of the rows ({rows} each): "
                             "{seconds} s, {part} of the full load", share=Figure(self.delta_share, ".1%"),
                             rows=Figure(self.delta_rows, ","), seconds=Figure(self.delta_seconds, ".1f"),
                             part=Figure(self.delta_seconds / self.run_seconds, ".1%")))
            lines.append(msg("    {how}", how=self.delta_read))
        return said(lines, lang)

    def _cpu(self, client: float | None, server: float | None) -> Message:
        """CPU per 1,000 rows: steadier than rows/s on a machine whose cores other jobs share."""
        return msg("{client} + {server} CPU ms / 1k rows",
                   client=msg("{ms} client", ms=Figure(1e6 * client / self.rows, ".0f")) if client is not None
                   else msg("client not measured"),
                   server=msg("{ms} server", ms=Figure(1e6 * server / self.rows, ".0f")) if server is not None
                   else msg("server not measured"))


def build_source(path: Path, rows: int, *, first: int = 1) -> None:
    """Rows ``first``..``first + rows - 1`` of the wide legacy table in the SQLite file at ``path``."""
    communes = [(p.old.district_code, p.old.commune_code, p.old.commune_name)
                for p in UnitTable.load().rows
                if p.old.province_code == PROVINCE and p.old.commune_code and p.change in ("whole", "kept", "renamed")]
    communes = sorted(set(communes))
    db = sqlite3.connect(path)
    with db:
        db.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" ({", ".join(_ddl(c) for c in COLUMNS)})')
        db.execute("CREATE TEMP TABLE xa (n INTEGER PRIMARY KEY, huyen TEXT, xa TEXT, ten TEXT)")
        db.executemany("INSERT INTO xa VALUES (?, ?, ?, ?)", [(i, *c) for i, c in enumerate(communes)])
        exprs = _values(len(communes))
        db.execute(f'INSERT INTO "{TABLE}" WITH RECURSIVE n(x) AS (SELECT :first UNION ALL SELECT x + 1 FROM n '
                   f'WHERE x < :last) SELECT {", ".join(exprs)} FROM n JOIN xa ON xa.n = n.x % :communes',
                   {"first": first, "last": first + rows - 1, "communes": len(communes)})
    db.close()


def _ddl(column: str) -> str:
    return f'"{column}" INTEGER PRIMARY KEY' if column == "Id" else f'"{column}" TEXT'


def _values(communes: int) -> list[str]:
    """SQL expressions of one generated row (``x`` the row number, ``xa`` its old commune)."""
    day = "printf('2024-%02d-%02d', 1 + x % 12, 1 + x % 28)"
    return [
        "x", "'000.00.35.H35-' || printf('%08d', x)", "'1.00' || (1000 + x % 37)",
        "'Cấp giấy phép xây dựng nhà ở riêng lẻ đối với công trình thuộc thẩm quyền cấp huyện số ' || (x % 37)",
        "'H35.' || printf('%02d', x % 23)", "'Ủy ban nhân dân huyện Thanh Liêm, tỉnh Hà Nam, bộ phận một cửa số ' "
        "|| (x % 23)",
        "'Nguyễn Thị Ánh Tuyết ' || (x % 9973)", "'0350' || printf('%08d', x)",
        "'Số ' || (x % 300) || ', thôn Đồng Ao, ' || xa.ten || ', huyện Thanh Liêm, tỉnh Hà Nam'",
        f"'{PROVINCE}'", "xa.huyen", "xa.xa",
        f"{day} || ' 08:00:00'", f"{day} || ' 09:30:00'", f"{day} || ' 17:00:00'", f"{day} || ' 10:00:00'",
        "'' || (1 + x % 6)", f"{day} || printf(' %02d:%02d:%02d', x / 84 % 24, x / 2016 % 60, x / 7 % 60)",
        # modified: stamped to the second, the rows of one day spread over its hours, as portals stamp them
        # (a delta reads again what was modified within its margin before the last watermark)
        "'TRUC_TUYEN'", "'Cổng dịch vụ công tỉnh'",
        "'Hồ sơ đã được tiếp nhận và chuyển phòng chuyên môn xử lý theo quy trình liên thông, ' || "
        "'người nộp đã bổ sung giấy tờ theo yêu cầu ngày ' || x % 28",
        "'Đề nghị cấp giấy phép xây dựng mới nhà ở riêng lẻ tại thửa đất số ' || (x % 997) || "
        "', tờ bản đồ số ' || (x % 41) || ', diện tích xây dựng 120 m2, 3 tầng, kết cấu khung bê tông cốt thép, ' || "
        "'mái bằng, theo hồ sơ thiết kế do chủ đầu tư tự lập và cam kết chịu trách nhiệm trước pháp luật'",
        "'Trần Văn Bình ' || (x % 101)", "'Lê Thị Hồng Nhung ' || (x % 103)",
        "'Giấy phép xây dựng số ' || x || '/GPXD cấp ngày ' || x % 28 || ' tháng ' || (1 + x % 12)",
        "'' || (50000 * (x % 5))", "'BN' || printf('%010d', x)", "'09' || printf('%08d', x)",
        "'nguoinop' || x || '@example.vn'", "'LT-' || printf('%012d', x)",
    ]


def profile_text() -> str:
    columns = "\n".join(f'{field} = "{column}"' for field, column in _MAPPED.items())
    return (f'[source]\nname = "{SOURCE}"\nengine = "sqlite"\nurl_env = "HOPNHAT_SOURCE_WIDE_URL"\n'
            f'old_province = "{PROVINCE}"\n\n'
            f'[entity.dossier]\ntable = "{TABLE}"\nkey = ["Id"]\nmodified = "NgayCapNhat"\n'
            f'[entity.dossier.columns]\n{columns}\n'
            '[entity.dossier.convert]\nsubmitted_at = "datetime"\nreceived_at = "datetime"\ndue_at = "datetime"\n'
            'finished_at = "datetime"\nmodified_at = "datetime"\n')


def bench_wide(pg_url: str, rows: int, workdir: Path, *, batch_size: int = 5000, workers: int = 1,
               delta_share: float | None = None, keep: bool = False, settle: bool = True) -> WideBench:
    """Build the wide source in ``workdir``; time hopnhat and a raw COPY into new databases on ``pg_url``'s server."""
    source = workdir / "wide.sqlite"
    source.unlink(missing_ok=True)
    build_source(source, rows)
    profile = workdir / "wide-portal.toml"
    profile.write_text(profile_text(), "utf-8")
    row_bytes = _row_bytes(source)
    server = ServerClock.of(pg_url)
    copy_url = _create_database(pg_url)
    try:
        server.start()
        client = time.process_time()
        copy_seconds = _raw_copy(source, copy_url)
        copy_client = time.process_time() - client
        copy_server = server.stop()
    finally:
        _drop_database(pg_url, copy_url)
    db_url = _create_database(pg_url)
    try:
        _in_child(_upgrade, db_url)
        server.start()
        run_seconds, peak, cpu = _in_child(_timed_run, db_url, profile, source, workdir, batch_size, workers)
        run_server = server.stop()
        delta = None
        settled = None
        if delta_share:
            settled = settle_store(db_url) if settle else None
            changed = max(1, round(rows * delta_share))
            change_source(source, rows, changed)
            delta = changed, _in_child(_timed_run, db_url, profile, source, workdir, batch_size, workers)[0], \
                _how_read(db_url)
    finally:
        if not keep:
            _drop_database(pg_url, db_url)
    return WideBench(rows, row_bytes, run_seconds, copy_seconds, peak, cpu, workers, batch_size,
                     delta_share, delta[0] if delta else 0, delta[1] if delta else None,
                     copy_client, run_server, copy_server, delta[2] if delta else "", settled)


def settle_store(db_url: str) -> float:
    """``VACUUM (ANALYZE)`` of the store's tables (hint bits, visibility map, planner statistics), as
    autovacuum leaves a store loaded days before its cutover; the seconds it took."""
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")  # VACUUM runs outside a transaction
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM (ANALYZE)"))  # every table of the benchmark's own database
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _how_read(db_url: str) -> Message:
    """How the newest run read the table (migrate.delta), from the store's ledger."""
    from migrate import ledger
    from migrate.delta import ReadPlan, kept

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            run_id = ledger.newest_run(conn)
            if run_id is None:
                return msg("no run in the store")
            plan = ReadPlan.from_dict(ledger.snapshot_plans(conn, run_id).get((SOURCE, "dossier")))
            read = ledger.run_totals(conn, run_id)[(SOURCE, "dossier")][1].extracted
    finally:
        engine.dispose()
    if plan is None:
        return msg("{read} records read", read=Figure(read, ","))
    if plan.delta:
        return msg("read as a delta: {read} records read, {carried} carried over unchanged, "
                   "{deleted} deleted in the source (kept, marked)", read=Figure(read, ","),
                   carried=Figure(plan.carried(read), ","), deleted=Figure(plan.deleted, ","))
    return msg("read in full ({reason}): {read} records, {deleted} deleted in the source (kept, marked)",
               reason=kept(plan.reason), read=Figure(read, ","), deleted=Figure(plan.deleted, ","))



class ServerClock:
    """CPU time of a PostgreSQL server's backends, when the server runs on this machine.

    A backend's CPU time is added to its postmaster's children times when it
    exits; reading them before and after a step whose connections are all
    closed gives what the server spent on it (autovacuum workers included).
    Not measured (None) for a server elsewhere.
    """

    def __init__(self, postmaster: int | None) -> None:
        self.postmaster = postmaster
        self._started = 0.0

    @classmethod
    def of(cls, pg_url: str) -> ServerClock:
        engine = create_engine(pg_url)
        try:
            with engine.connect() as conn:
                backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
                try:  # while the backend lives: once its connection closes it may be gone
                    status = Path(f"/proc/{backend}/status").read_text()
                except OSError:
                    return cls(None)
        finally:
            engine.dispose()
        parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        return cls(parent if cls._children(parent) is not None else None)

    def start(self) -> None:
        self._started = self._children(self.postmaster) or 0.0

    def stop(self) -> float | None:
        time.sleep(0.5)  # closed connections' backends exit and are reaped
        now = self._children(self.postmaster)
        return None if now is None else now - self._started

    @staticmethod
    def _children(pid: int | None) -> float | None:
        if pid is None:
            return None
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime


def change_source(path: Path, rows: int, share_rows: int) -> None:
    """Modify, add and delete ``share_rows`` rows each, spread over the key range."""
    step = max(1, rows // share_rows)
    db = sqlite3.connect(path)
    with db:
        db.execute(f'UPDATE "{TABLE}" SET "TrangThai" = \'5\', "NgayCapNhat" = \'2025-06-30 12:00:00\' '
                   'WHERE "Id" % :step = 0', {"step": step})
        db.execute(f'DELETE FROM "{TABLE}" WHERE "Id" % :step = 1', {"step": step})
    db.close()
    build_source(path, share_rows, first=rows + 1)


def _upgrade(db_url: str) -> float:
    from migrate.store import schema

    store = schema.connect(db_url)
    schema.upgrade(store)
    store.dispose()
    return 0.0


def _timed_run(db_url: str, profile: Path, source: Path, workdir: Path, batch_size: int, workers: int) -> float:
    from migrate import pipeline
    from migrate.config import Settings

    settings = Settings.load([profile], store=db_url, files_dir=workdir / "files",
                             source_urls={SOURCE: f"sqlite:///{source}"}, batch_size=batch_size, workers=workers)
    started = time.perf_counter()
    report = pipeline.run(settings, resume=False)
    seconds = time.perf_counter() - started
    if not report.ok or any(r.counts.quarantined for r in report.results):
        raise RuntimeError(report.summary())
    return seconds


def _child(queue, fn, args) -> None:
    seconds = fn(*args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    queue.put((seconds, max(usage.ru_maxrss, children.ru_maxrss) / 1024,
               usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime))


def _in_child(fn, *args) -> tuple[float, float, float]:
    """Run ``fn`` in a fresh process: its result, peak RSS (MiB) and CPU seconds (with its worker processes)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, fn, args))
    process.start()
    try:
        return queue.get()
    finally:
        process.join()


def _row_bytes(source: Path) -> int:
    db = sqlite3.connect(source)
    total = " + ".join(f'length(CAST("{c}" AS BLOB))' for c in COLUMNS)
    size = db.execute(f'SELECT avg({total}) FROM (SELECT * FROM "{TABLE}" LIMIT 10000)').fetchone()[0]
    db.close()
    return int(size or 0)


def _raw_copy(source: Path, db_url: str) -> float:
    """COPY the legacy rows, every column as text, into a logged table with a primary key."""
    from psycopg import sql

    db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    engine = create_engine(db_url)
    started = time.perf_counter()
    with engine.begin() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None  # an open connection has its driver's
        name = sql.Identifier("raw_" + TABLE.lower())
        columns = sql.SQL(", ").join(sql.SQL("{} bigint PRIMARY KEY" if c == "Id" else "{} text")
                                     .format(sql.Identifier(c)) for c in COLUMNS)
        with driver.cursor() as cur:
            cur.execute(sql.SQL("CREATE TABLE {} ({})").format(name, columns))
            with cur.copy(sql.SQL("COPY {} FROM STDIN").format(name)) as copy:
                for row in db.execute(f'SELECT * FROM "{TABLE}"'):  # a fixed table name
                    copy.write_row(row)
    seconds = time.perf_counter() - started
    engine.dispose()
    db.close()
    return seconds
