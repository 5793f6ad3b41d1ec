"""Benchmark: reconciling N dossiers, against a plain full read of both sides.

Builds one demo portal with N dossiers (no attachment files), migrates it
into a fresh store (SQLite in a temporary folder, or a PostgreSQL database),
then times, in the same run, (1) a plain full read of both sides: every column
of every source table fetched into the client and dropped, and ``count(*)`` and
the text length of every row of the store's entity and bookkeeping tables,
computed by the store's engine (nothing of them sent to the client: the least a
reading of the store costs), and (2) the reconciliation with the source read
again (conservation, every row rebuilt and rehashed, segment digests of both
sides, attachments). The ratio is reconciliation time / plain read time.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, Table, Text, cast, func, literal, literal_column, select

from migrate.core.figures import Figure, said
from migrate.core.entities import ENTITY_TABLES
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from migrate.store.models import account_alias, lineage, quarantine

Echo = Callable[[str], None]


@dataclass(frozen=True)
class BenchResult:
    dossiers: int
    source_rows: int
    store_rows: int
    migrate_s: float
    source_read_s: float
    store_read_s: float
    reconcile_s: float
    ok: bool
    reconcile_cpu_s: float | None = None  # CPU time of this process and its workers while reconciling

    @property
    def read_s(self) -> float:
        return self.source_read_s + self.store_read_s

    @property
    def ratio(self) -> float:
        return self.reconcile_s / self.read_s if self.read_s else float("nan")

    def summary(self, lang: Language | None = None) -> str:
        """The figures, in ``lang`` (English by default, as the README quotes them)."""
        cpu = (msg(", client CPU {seconds} s", seconds=Figure(self.reconcile_cpu_s, ".1f"))
               if self.reconcile_cpu_s is not None else "")
        return said([
            msg("reconcile bench: {dossiers} dossiers; source rows {source_rows}, store rows {store_rows} "
                "(entity tables, lineage, aliases, quarantine)", dossiers=Figure(self.dossiers, ","),
                source_rows=Figure(self.source_rows, ","), store_rows=Figure(self.store_rows, ",")),
            msg("  migrate (build the store)   {seconds} s", seconds=Figure(self.migrate_s, "9.1f")),
            msg("  plain full read, both sides {seconds} s  (source: every column, {source} s; "
                "store: count(*) and text length of every row, in its engine, {store} s)",
                seconds=Figure(self.read_s, "9.1f"), source=Figure(self.source_read_s, ".1f"),
                store=Figure(self.store_read_s, ".1f")),
            msg("  reconcile with the source   {seconds} s  ({verdict}{cpu})",
                seconds=Figure(self.reconcile_s, "9.1f"), verdict=msg("passed") if self.ok else msg("FAILED"),
                cpu=cpu),
            msg("  ratio reconcile / read      {ratio}", ratio=Figure(self.ratio, "9.2f")),
        ], lang)


def run(dossiers: int, *, pg_url: str | None = None, work_dir: Path | None = None, echo: Echo = print,
        lang: Language | None = None) -> BenchResult:
    """Time the reconciliation of ``dossiers`` migrated dossiers; ``echo`` gets each step, said in ``lang``."""
    from migrate import pipeline
    from migrate.config import Settings
    from migrate.demo.generate import PORTALS, build_portal
    from migrate.store import schema
    from reconciliation.runner import readonly_store, reconcile

    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-reconcile-") as scratch:
        work = work_dir or Path(scratch)
        lang = lang or language()
        echo(say(msg("building a portal with {dossiers} dossiers", dossiers=Figure(dossiers, ",")), lang))
        portal = build_portal(PORTALS[0], work / "portals", scale=dossiers, files=False)
        store_url = pg_url or f"sqlite:///{work / 'store.sqlite'}"
        source_url = f"sqlite:///{portal.db_path}"
        settings = Settings.load([portal.profile_path], store=store_url, files_dir=work / "files",
                                 source_urls={_name(portal.profile_path): source_url}, batch_size=5000)
        schema.upgrade(schema.connect(store_url, create=True))
        echo(say(msg("migrating"), lang))
        started = time.perf_counter()
        report = pipeline.run(settings)
        migrate_s = time.perf_counter() - started
        echo(report.summary(lang))
        echo(say(msg("reading both sides"), lang))
        started = time.perf_counter()
        source_rows = _read_source(source_url, [s.table for s in settings.sources[0].profile.entities.values()])
        source_read_s = time.perf_counter() - started
        store = readonly_store(store_url)
        started = time.perf_counter()
        store_rows = _read_store(store)
        store_read_s = time.perf_counter() - started
        store.dispose()
        echo(say(msg("reconciling"), lang))
        started, cpu = time.perf_counter(), _client_cpu()
        result = reconcile(store_url, work / "report", sources=settings.sources, files_dir=settings.files_dir,
                           record=False)
        reconcile_s, reconcile_cpu = time.perf_counter() - started, _client_cpu() - cpu
        return BenchResult(dossiers, source_rows, store_rows, migrate_s, source_read_s, store_read_s, reconcile_s,
                           result.ok, reconcile_cpu)


def _client_cpu() -> float:
    """CPU seconds of this process and of its ended children (the workers reading the source again)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _name(profile: Path) -> str:
    from adapters.profiles import load_profile

    return load_profile(profile).name


def _read_source(url: str, tables: list[str]) -> int:
    """Every column of every row of the source tables, fetched into this process; how many rows."""
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


def _read_store(engine) -> int:
    """``count(*)`` and the text length of every row of the store's tables, computed by the store's engine."""
    rows = 0
    with engine.connect() as conn:
        for table in (*ENTITY_TABLES.values(), lineage, account_alias, quarantine):
            if conn.dialect.name == "postgresql":  # the whole row as text: every column read and formatted
                whole = table.alias("r")
                stmt = select(func.count(), func.sum(func.length(cast(literal_column(whole.name), Text))))
                stmt = stmt.select_from(whole)
            else:
                stmt = select(func.count(), func.sum(sum((func.coalesce(func.length(c), 0) for c in table.c),
                                                         literal(0))))
            count, _ = conn.execute(stmt).one()
            rows += int(count)
    return rows
