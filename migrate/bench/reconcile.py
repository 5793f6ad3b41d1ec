"""Benchmark: reconciling N dossiers, against a plain full scan of both sides.

Builds one demo portal with N dossiers (no attachment files), migrates it
into a fresh store (SQLite in a temporary folder, or a PostgreSQL database),
then times (1) a plain full scan: every row of every source table and of the
store's entity and bookkeeping tables fetched and dropped, and (2) the
reconciliation with the source read again (conservation, every row rebuilt
and rehashed, segment digests of both sides, attachments). The ratio is
reconciliation time / full scan time.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, Table, select

from migrate.core.entities import ENTITY_TABLES
from migrate.store.models import account_alias, lineage, quarantine

Echo = Callable[[str], None]


@dataclass(frozen=True)
class BenchResult:
    dossiers: int
    source_rows: int
    store_rows: int
    migrate_s: float
    scan_s: float
    reconcile_s: float
    ok: bool

    @property
    def ratio(self) -> float:
        return self.reconcile_s / self.scan_s if self.scan_s else float("nan")

    def summary(self) -> str:
        return "\n".join([
            f"reconcile bench: {self.dossiers:,} dossiers; source rows {self.source_rows:,}, "
            f"store rows {self.store_rows:,} (entity tables, lineage, aliases, quarantine)",
            f"  migrate (build the store)   {self.migrate_s:9.1f} s",
            f"  plain full scan, both sides {self.scan_s:9.1f} s",
            f"  reconcile with the source   {self.reconcile_s:9.1f} s  "
            f"({'passed' if self.ok else 'FAILED'})",
            f"  ratio reconcile / scan      {self.ratio:9.2f}",
        ])


def run(dossiers: int, *, pg_url: str | None = None, work_dir: Path | None = None, echo: Echo = print) -> BenchResult:
    from migrate import pipeline
    from migrate.config import Settings
    from migrate.demo.generate import PORTALS, build_portal
    from migrate.store import schema
    from reconciliation.runner import readonly_store, reconcile

    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-reconcile-") as scratch:
        work = work_dir or Path(scratch)
        echo(f"building a portal with {dossiers:,} dossiers")
        portal = build_portal(PORTALS[0], work / "portals", scale=dossiers, files=False)
        store_url = pg_url or f"sqlite:///{work / 'store.sqlite'}"
        source_url = f"sqlite:///{portal.db_path}"
        settings = Settings.load([portal.profile_path], store=store_url, files_dir=work / "files",
                                 source_urls={_name(portal.profile_path): source_url}, batch_size=5000)
        schema.upgrade(schema.connect(store_url, create=True))
        echo("migrating")
        started = time.perf_counter()
        report = pipeline.run(settings)
        migrate_s = time.perf_counter() - started
        echo(report.summary())
        echo("scanning both sides")
        started = time.perf_counter()
        source_rows = _scan_source(source_url, [s.table for s in settings.sources[0].profile.entities.values()])
        store = readonly_store(store_url)
        store_rows = _scan_store(store)
        store.dispose()
        scan_s = time.perf_counter() - started
        echo("reconciling")
        started = time.perf_counter()
        result = reconcile(store_url, work / "report", sources=settings.sources, files_dir=settings.files_dir,
                           record=False)
        reconcile_s = time.perf_counter() - started
        return BenchResult(dossiers, source_rows, store_rows, migrate_s, scan_s, reconcile_s, result.ok)


def _name(profile: Path) -> str:
    from adapters.profiles import load_profile

    return load_profile(profile).name


def _scan_source(url: str, tables: list[str]) -> int:
    from reconciliation.runner import readonly_store

    engine = readonly_store(url)
    rows = 0
    try:
        with engine.connect() as conn:
            meta = MetaData()
            for name in tables:
                table = Table(name, meta, autoload_with=conn)
                for part in conn.execute(select(table).execution_options(yield_per=10_000)).partitions():
                    rows += len(part)
    finally:
        engine.dispose()
    return rows


def _scan_store(engine) -> int:
    rows = 0
    with engine.connect() as conn:
        for table in (*ENTITY_TABLES.values(), lineage, account_alias, quarantine):
            for part in conn.execute(select(table).execution_options(yield_per=10_000)).partitions():
                rows += len(part)
    return rows
