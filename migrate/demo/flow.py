"""The demo end to end: build three legacy portals, migrate them, reconcile, report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.profiles import load_profile
from migrate.config import Settings
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from migrate.core.progress import Progress
from migrate.demo.generate import PortalManifest, build_demo
from migrate.demo.remaps import write_remaps
from migrate.demo.splitrules import write_split_rules
from migrate.pipeline import RunReport, open_store, run
from migrate.store import schema
from reconciliation.continuity import continuity
from reconciliation.runner import Reconciliation, reconcile


@dataclass(frozen=True)
class DemoResult:
    portals: list[PortalManifest]
    run: RunReport
    reconciliation: Reconciliation

    def summary(self, lang: Language | None = None) -> str:
        return "\n".join([portals_summary(self.portals, lang), "", self.run.summary(lang), "",
                          self.reconciliation.summary(lang)])


def portals_summary(portals: list[PortalManifest], lang: Language | None = None) -> str:
    """The portals the demo built, in ``lang`` (English by default); table names as the portals name them."""
    lang = lang or language()
    lines = [say(msg("Legacy portals built:"), lang)]
    for m in portals:
        counts = ", ".join(f"{t} {lang.number(n)}" for t, n in m.counts.items())
        lines.append(say(msg("  {name} ({province}): {counts}; {files} files", name=m.spec.name,
                             province=m.spec.province_code, counts=counts, files=m.files), lang))
    return "\n".join(lines)


def build_portals(out_dir: Path, *, scale: int = 300, seed: int = 2025, files: bool = True,
                  progress: Progress | None = None) -> list[PortalManifest]:
    """The three legacy portals with their profiles, split rules and remap table; nothing migrated."""
    portals = build_demo(out_dir / "portals", scale=scale, seed=seed, files=files, progress=progress)
    write_split_rules(out_dir / "portals" / "split-rules.csv")
    write_remaps(out_dir / "portals" / "remaps.csv")
    return portals


def run_demo(out_dir: Path, *, scale: int = 300, seed: int = 2025, store: str | None = None,
             files: bool = True, progress: Progress | None = None,
             announce: Callable[[str], None] | None = None, lang: Language | None = None) -> DemoResult:
    """Build, migrate, reconcile; ``announce`` hears each step's summary as soon as the step is over.

    Announced together, the summaries are ``DemoResult.summary(lang)``; the report is written in ``lang`` too.
    """
    lang = lang or language()
    tell = announce or (lambda text: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    portals = build_portals(out_dir, scale=scale, seed=seed, files=files, progress=progress)
    tell(portals_summary(portals, lang))
    settings = demo_settings(
        portals, store or f"sqlite:///{out_dir / 'store.sqlite'}", out_dir / "store-files",
        split_rules=out_dir / "portals" / "split-rules.csv", remaps=out_dir / "portals" / "remaps.csv",
    )
    schema.upgrade(schema.connect(settings.store_url, create=True))
    report = run(settings, progress=progress)
    tell("\n" + report.summary(lang))
    recon = reconcile(open_store(settings), out_dir / "report", sources=settings.sources, files_dir=settings.files_dir,
                      extra_checks=[continuity], progress=progress, lang=lang.code)
    tell("\n" + recon.summary(lang))
    return DemoResult(portals, report, recon)


def demo_settings(portals: list[PortalManifest], store: str, files_dir: Path, **options) -> Settings:
    """Settings migrating the given demo portals into ``store``."""
    urls = {load_profile(m.profile_path).name: f"sqlite:///{m.db_path}" for m in portals}
    return Settings.load([m.profile_path for m in portals], store=store, files_dir=files_dir,
                         source_urls=urls, **options)
