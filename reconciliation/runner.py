"""One reconciliation: run every check on read-only connections, write the report, record the run.

The checks only read: the store is opened read-only (SQLite ``mode=ro``,
PostgreSQL ``default_transaction_read_only`` in one repeatable-read
snapshot) and the sources through their adapters, which open them read-only.
Recording the run is a separate, explicit step (``record=True``): one
``reconciliation_run`` row holding the verdict and the manifest's SHA-256,
and, when every check passed, the loaded batches marked ``verified``. An
auditor with read-only credentials runs with ``record=False``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, insert, select, update
from sqlalchemy.engine import make_url

from adapters import open_source
from mappings.units import UnitTable
from migrate import ledger
from migrate.config import SourceSettings
from migrate.core.errors import ConfigError, HopnhatError
from migrate.core.i18n import Language, language
from migrate.core.progress import Progress
from migrate.pipeline import tool_version
from migrate.store import schema
from migrate.store.models import migration_run, reconciliation_run
from migrate.verdict import Verdict
from reconciliation.attachments import attachments
from reconciliation.base import CheckResult
from reconciliation.checks import ConservationResult, conservation, verdict
from reconciliation.content import ContentResult, content
from reconciliation.report import ReportContext, summary_lines, write_report

ExtraCheck = Callable[[Connection], CheckResult]


@dataclass(frozen=True)
class Reconciliation:
    run_id: int | None
    checks: tuple[CheckResult, ...]
    report_dir: Path | None
    manifest_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def conservation(self) -> ConservationResult:
        return next(c for c in self.checks if isinstance(c, ConservationResult))

    @property
    def content(self) -> ContentResult | None:
        return next((c for c in self.checks if isinstance(c, ContentResult)), None)

    @property
    def verdict(self) -> Verdict:
        return verdict(self.checks)

    def summary(self, lang: Language | None = None) -> str:
        """What the terminal shows, in ``lang`` (English by default)."""
        lang = lang or language()
        _ = lang.gettext
        cons = self.conservation
        title = (_("Reconciliation {id}").format(id=self.run_id) if self.run_id is not None
                 else _("Reconciliation (not recorded)"))
        others = [f"  {line}" for c in self.checks if c is not cons for line in summary_lines(c, lang)[:25]]
        if not cons.balances:
            return "\n".join([f"{title}: " + _("nothing migrated yet (the store holds no migration run)"),
                              *others, *self._report_lines(lang), *(f"  {line}" for line in self.verdict.lines(lang))])
        lines = [f"{title}: " + (_("conservation holds") if cons.ok else _("conservation BROKEN"))]
        gone = any(b.deleted_in_source for b in cons.balances)  # a column only when the sources deleted records
        head = (_("source/entity"), _("source"), _("extracted"), _("loaded"), _("merged"), _("quarant."),
                _("excl."), *((_("del.src."),) if gone else ()), _("holds"))
        w = [max(d, len(h) + 1) for d, h in zip((34, 9, 10, 9, 8, 9, 7, 9), head)]
        lines.append("  " + head[0].ljust(w[0]) + "".join(h.rjust(x) for h, x in zip(head[1:-1], w[1:]))
                     + "  " + head[-1])
        n, yes, no = lang.number, _("yes"), _("NO")
        for b in cons.balances:
            figures = (b.source_count, b.extracted, b.loaded, b.merged, b.quarantined, b.excluded,
                       *((b.deleted_in_source,) if gone else ()))
            lines.append("  " + (b.source + "/" + b.entity).ljust(w[0])
                         + "".join(n(v).rjust(x) for v, x in zip(figures, w[1:])) + "  " + (yes if b.ok else no))
        lines += [f"  {line}" for line in cons.delta_lines(lang)]
        units = cons.units
        lines.append("  " + _("per old commune and new commune: {held} of {total} groups hold").format(
            held=n(sum(u.ok for u in units)), total=n(len(units))))
        for problem in cons.broken(lang)[:20]:
            lines.append(f"  {_('BROKEN')} {problem}")
        lines += others
        lines += self._report_lines(lang)
        lines += [f"  {line}" for line in self.verdict.lines(lang)]
        return "\n".join(lines)

    def _report_lines(self, lang: Language) -> list[str]:
        if self.report_dir is None:
            return []
        _ = lang.gettext
        recorded = (" " + _("(recorded in reconciliation run {id})").format(id=self.run_id)
                    if self.run_id is not None else "")
        return ["  " + _("report") + f": {self.report_dir / 'index.html'}",
                f"  manifest sha256: {self.manifest_sha256}{recorded}"]


def readonly_store(url: str) -> Engine:
    """An engine that cannot write to the store: SQLite opened ``mode=ro``, PostgreSQL read-only sessions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or not path.is_file():
            raise ConfigError(f"store {schema.safe_url(url)}: SQLite file not found")
        uri = path.resolve().as_uri() + "?mode=ro"
        return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"},
                             isolation_level="REPEATABLE READ")
    raise ConfigError(f"store {schema.safe_url(url)}: reconciliation reads SQLite or PostgreSQL stores")


def recount(sources: Sequence[SourceSettings]) -> dict[tuple[str, str], int]:
    """Each source table's count now, read-only: (source, table) -> count."""
    counts: dict[tuple[str, str], int] = {}
    for settings in sources:
        adapter = open_source(settings.name, settings.url)
        try:
            for spec in settings.profile.entities.values():
                counts[(settings.name, spec.table)] = adapter.count(spec)
        finally:
            adapter.close()
    return counts


def reconcile(store: Engine | str, out_dir: Path | None = None, *, source: str | None = None,
              sources: Sequence[SourceSettings] = (), files_dir: Path | None = None, unmask: bool = False,
              record: bool = True, extra_checks: Sequence[ExtraCheck] = (), progress: Progress | None = None,
              lang: str = "en", workers: int | None = None) -> Reconciliation:
    """Recompute everything from the store (and the sources, when given), write the report, record the run.

    ``workers``: processes reading a large part of a source again (default: one per core).
    """
    url = store if isinstance(store, str) else store.url.render_as_string(hide_password=False)
    if files_dir is None:
        files_dir = _default_files_dir(url)
    if source:
        sources = [s for s in sources if s.name == source]
    readonly = readonly_store(url)
    try:
        with readonly.connect() as conn:
            schema.require_current(readonly)
            recounts = None
            if sources:
                try:
                    recounts = recount(sources)
                except HopnhatError as exc:
                    raise ConfigError(f"the sources could not be counted again: {exc}") from exc
            checks: list[CheckResult] = [
                conservation(conn, source, recounts=recounts),
                content(conn, sources, source=source, progress=progress, workers=workers),
                attachments(conn, files_dir, source=source, progress=progress),
            ]
            checks += [check(conn) for check in extra_checks]
            profiles = _profiles(conn, sources)
            checked = ledger.loaded_batches(conn, source)  # in the snapshot the checks read
    finally:
        readonly.dispose()
    ok = all(c.ok for c in checks)
    writer = schema.connect(url) if record else None
    run_id = _start_run(writer) if writer is not None else None
    manifest_sha = None
    if out_dir is not None:
        units = UnitTable.load()
        manifest_sha = write_report(out_dir, checks, ReportContext(
            tool_version=tool_version(), mapping_version=units.version, mapping_sha256=units.sha256,
            profiles=tuple(profiles), store=schema.safe_url(url), run_id=run_id, masked=not unmask,
            files_dir=str(files_dir) if files_dir else None, lang=lang,
        ))
    if writer is not None and run_id is not None:
        _finish_run(writer, run_id, checks, ok, out_dir, manifest_sha, checked)
        writer.dispose()
    return Reconciliation(run_id, tuple(checks), out_dir, manifest_sha)


def _default_files_dir(url: str) -> Path | None:
    from migrate.config import Settings

    try:
        return Settings.load(store=url).files_dir
    except HopnhatError:
        return None


def _start_run(store: Engine) -> int:
    with store.begin() as conn:
        key = conn.execute(insert(reconciliation_run).values(started_at=ledger.now())).inserted_primary_key
        assert key is not None  # an insert of one row has its key
        return int(key[0])


def _finish_run(store: Engine, run_id: int, checks: Sequence[CheckResult], ok: bool, out_dir: Path | None,
                manifest_sha: str | None, checked: Sequence[int]) -> None:
    """The one write of a reconciliation: its verdict, and (through the ledger) the batches it verified."""
    cons = next(c for c in checks if isinstance(c, ConservationResult))
    summary = {"checks": {c.name: c.ok for c in checks}, "manifest_sha256": manifest_sha,
               "verdict": verdict(checks).as_dict(),
               "balances": [b.as_dict() for b in cons.balances]}
    with store.begin() as conn:
        if ok:
            ledger.mark_verified(conn, checked)
        conn.execute(update(reconciliation_run).where(reconciliation_run.c.id == run_id).values(
            finished_at=ledger.now(), ok=ok, report_dir=str(out_dir) if out_dir else None,
            summary=json.loads(json.dumps(summary, default=str)),
        ))


def _profiles(conn: Connection, sources: Sequence[SourceSettings]) -> list[dict]:
    """The profiles' names and hashes: those given, else those the newest migration run recorded."""
    if sources:
        return [{"name": s.name, "path": s.profile.path.name, "sha256": s.profile.sha256} for s in sources]
    row = conn.execute(select(migration_run.c.profiles).order_by(migration_run.c.id.desc()).limit(1)).first()
    return [{k: v for k, v in p.items() if k != "resolved"} for p in row.profiles] if row else []


def recorded_profiles(settings, names: Sequence[str]) -> list[str]:
    """The profile files the store's runs recorded for the named sources (for ``--source NAME=URL`` alone)."""
    from adapters.profiles import load_profile
    from migrate.pipeline import profiles_for

    paths = [p for p in profiles_for(settings) if load_profile(p).name in names]
    missing = sorted(set(names) - {load_profile(p).name for p in paths})
    if missing:
        raise ConfigError(f"no profile recorded for source(s) {', '.join(missing)}; pass the profile files")
    return paths


def verify(folder: Path, store_url: str | None = None):
    """Check a report folder against its manifest (and, with a store, the manifest against the store)."""
    from reconciliation.manifest import verify_folder

    if store_url is None:
        return verify_folder(folder)
    readonly = readonly_store(store_url)
    try:
        with readonly.connect() as conn:
            return verify_folder(folder, conn)
    finally:
        readonly.dispose()
