"""Measure loading: a generated portal's accounts and dossiers from SQLite into PostgreSQL, end to end.

The pipeline (extract, canonical records, remap, content hash, dedupe, COPY
upsert, lineage, remap decisions, ledger) is timed against a raw COPY of the
same legacy rows into plain tables, in the same run and the same database
server, so the ratio says what the bookkeeping costs. Peak memory is the
maximum resident set of this process and its worker processes.
"""

from __future__ import annotations

import dataclasses
import resource
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adapters.profiles import load_profile
from migrate import pipeline
from migrate.config import Settings
from migrate.core.figures import Figure, said
from migrate.core.i18n import Language
from migrate.core.messages import msg
from migrate.demo.generate import PORTALS, build_portal
from migrate.store import schema

TABLES = ("TaiKhoan", "HoSo")  # legacy accounts and dossiers of the demo portal
ENTITIES = ("account", "dossier")
_SELECT = {t: f'SELECT * FROM "{t}"' for t in TABLES}  # fixed legacy table names, not input


@dataclass(frozen=True)
class LoadBench:
    dossiers: int
    rows: int  # accounts + dossiers
    pipeline_seconds: float
    copy_seconds: float
    peak_mib: float
    workers: int
    batch_size: int

    @property
    def pipeline_rate(self) -> float:
        return self.rows / self.pipeline_seconds

    @property
    def copy_rate(self) -> float:
        return self.rows / self.copy_seconds

    def summary(self, lang: Language | None = None) -> str:
        """The figures, in ``lang`` (English by default, as the README quotes them)."""
        ratio = self.pipeline_rate / self.copy_rate
        return said([
            msg("{dossiers} dossiers, {rows} rows (accounts and dossiers), batch size {batch_size}, "
                "{workers} worker(s)", dossiers=Figure(self.dossiers, ","), rows=Figure(self.rows, ","),
                batch_size=str(self.batch_size), workers=str(self.workers)),
            msg("  pipeline (extract, remap, hash, load, lineage): {seconds} s {rate} rows/s",
                seconds=Figure(self.pipeline_seconds, "8.1f"), rate=Figure(self.pipeline_rate, ">10,.0f")),
            msg("  raw COPY of the same rows:                       {seconds} s {rate} rows/s",
                seconds=Figure(self.copy_seconds, "8.1f"), rate=Figure(self.copy_rate, ">10,.0f")),
            msg("  pipeline / raw COPY: {ratio}; peak memory (max RSS) {mib} MiB",
                ratio=Figure(ratio, ".2f"), mib=Figure(self.peak_mib, ".0f")),
        ], lang)


def bench_load(pg_url: str, dossiers: int, workdir: Path, *, batch_size: int = 5000, workers: int = 1,
               keep: bool = False) -> LoadBench:
    """Build a portal of ``dossiers`` dossiers in ``workdir``, load it into a new database on ``pg_url``'s server."""
    spec = PORTALS[0]
    manifest = build_portal(spec, workdir, scale=dossiers, files=False)
    db_url = _create_database(pg_url)
    try:
        store = schema.connect(db_url, create=True)
        schema.upgrade(store)
        profile = load_profile(manifest.profile_path)
        settings = Settings.load([manifest.profile_path], store=db_url, files_dir=workdir / "files",
                                 source_urls={profile.name: f"sqlite:///{manifest.db_path}"},
                                 batch_size=batch_size, workers=workers)
        source = settings.sources[0]
        trimmed = dataclasses.replace(source.profile, entities={e: source.profile.entities[e] for e in ENTITIES})
        settings = dataclasses.replace(settings, sources=(dataclasses.replace(source, profile=trimmed),))
        started = time.perf_counter()
        report = pipeline.run(settings)
        pipeline_seconds = time.perf_counter() - started
        if not report.ok:
            raise RuntimeError(report.summary())
        rows = sum(r.counts.extracted for r in report.results)
        copy_seconds = _raw_copy(manifest.db_path, store)
        store.dispose()
    finally:
        if not keep:
            _drop_database(pg_url, db_url)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return LoadBench(dossiers, rows, pipeline_seconds, copy_seconds, peak, workers, batch_size)


def _raw_copy(portal: Path, store) -> float:
    """COPY the legacy rows, as text, into plain tables: the floor the pipeline is compared with."""
    from psycopg import sql

    source = sqlite3.connect(f"{portal.resolve().as_uri()}?mode=ro", uri=True)
    started = time.perf_counter()
    with store.begin() as conn:
        driver = conn.connection.driver_connection
        for table in TABLES:
            columns = [r[1] for r in source.execute("SELECT * FROM pragma_table_info(?)", (table,))]
            name = sql.Identifier(f"raw_{table.lower()}")
            with driver.cursor() as cur:
                cur.execute(sql.SQL("CREATE TABLE {} ({})").format(
                    name, sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)))
                with cur.copy(sql.SQL("COPY {} FROM STDIN").format(name)) as copy:
                    for row in source.execute(_SELECT[table]):
                        copy.write_row(row)
    source.close()
    return time.perf_counter() - started


def _create_database(pg_url: str) -> str:
    name = f"hopnhat_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # a generated name, never user input
    admin.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(pg_url: str, db_url: str) -> None:
    name = make_url(db_url).database
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
