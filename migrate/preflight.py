"""Preflight: what must be true before a cutover starts, each check a go or a no-go.

- schema: the store is at the latest schema revision;
- sources: every part of every source profile (each legacy table it reads) is readable and counted
  (read-only), with every profile column present;
- mapping: every place reference in the sources resolves by a rule or a manual decision;
- review: the review queue is empty, or every open item is in the signed-off list;
- disk: the file area has room for every attachment the sources declare, with a margin.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from adapters import open_source
from mappings.units import UnitTable
from migrate.core.canonical import to_canonical
from migrate.config import Settings
from migrate.core.errors import HopnhatError
from migrate.pipeline import build_resolver
from migrate.prepare import unit_ref
from migrate.store import schema
from migrate.store.models import review_item

CHECKS = ("schema", "sources", "mapping", "review", "disk")
DISK_MARGIN = 1.2


@dataclass(frozen=True)
class CheckResult:
    name: str
    go: bool
    message: str
    details: tuple[str, ...] = ()


@dataclass
class Preflight:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def go(self) -> bool:
        return all(r.go for r in self.results)

    def summary(self) -> str:
        lines = [f"[{'go' if r.go else 'NO-GO':>5}] {r.name}: {r.message}" for r in self.results]
        for r in self.results:
            lines += [f"        {r.name}: {d}" for d in r.details[:20]]
        lines.append("Preflight: GO" if self.go else "Preflight: NO-GO — fix the checks above before the cutover")
        return "\n".join(lines)


def preflight(settings: Settings, only: Sequence[str] = CHECKS, signed_off: Path | None = None) -> Preflight:
    out = Preflight()
    store = schema.connect(settings.store_url)
    for name in only:
        try:
            out.results.append(_CHECKS[name](settings, store, signed_off))
        except HopnhatError as exc:
            out.results.append(CheckResult(name, False, str(exc)))
    return out


def _schema(settings: Settings, store, _signed_off) -> CheckResult:
    current, head = schema.current_revision(store), schema.head_revision()
    if current == head:
        return CheckResult("schema", True, f"store at revision {head} (latest)")
    return CheckResult("schema", False, f"store at revision {current or 'none'}, latest is {head}; "
                                        "run: hopnhat store upgrade")


def _sources(settings: Settings, _store, _signed_off) -> CheckResult:
    details, ok = [], True
    for source in settings.sources:
        try:
            adapter = open_source(source.name, source.url)
        except HopnhatError as exc:
            return CheckResult("sources", False, f"{source.name} unreachable: {exc}")
        try:
            for spec in source.profile.ordered():
                try:
                    count = adapter.count(spec)
                    next(iter(adapter.read(spec, after=None, batch_size=1)), None)
                    details.append(f"{source.name}/{spec.label} ({spec.table}): {count} rows")
                except HopnhatError as exc:
                    ok = False
                    details.append(f"{source.name}/{spec.label} ({spec.table}): {exc}")
        finally:
            adapter.close()
    return CheckResult("sources", ok, f"{len(settings.sources)} source(s) read" if ok else "a source is not readable",
                       tuple(details))


def _accepted(signed_off: Path | None) -> set[str]:
    """Records accepted at sign-off to stay in quarantine: one 'source/table/key' per line."""
    if signed_off is None or not signed_off.exists():
        return set()
    lines = signed_off.read_text("utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _mapping(settings: Settings, store, signed_off: Path | None) -> CheckResult:
    accepted = _accepted(signed_off)
    resolver = build_resolver(settings, store, UnitTable.load())
    rules: Counter[str] = Counter()
    unresolved: Counter[str] = Counter()
    refs = 0
    for source in settings.sources:
        adapter = open_source(source.name, source.url)
        try:
            for spec in source.profile.ordered():
                if not spec.entity.placed or not spec.remap:  # the others take their parent's place
                    continue
                for page in adapter.read(spec, after=None, batch_size=2000):
                    for raw in page:
                        record, rejection = to_canonical(spec, raw)
                        if rejection is not None:
                            continue
                        refs += 1
                        decision = resolver.resolve(unit_ref(record, source.profile.old_province))
                        rules[decision.rule] += 1
                        key = f"{source.name}/{spec.table}/{raw.source_key}"
                        if spec.entity.commune_required and not decision.resolved and key not in accepted:
                            unresolved[f"{source.name}: {decision.rule}"] += 1
        finally:
            adapter.close()
    details = tuple(f"{rule}: {n}" for rule, n in rules.most_common())
    if unresolved:
        total = sum(unresolved.values())
        return CheckResult("mapping", False,
                           f"{total} dossier(s) of {refs} records resolve to no new commune: decide them "
                           "(hopnhat map review export / import) or sign them off",
                           tuple(f"{k}: {n}" for k, n in unresolved.most_common()) + details)
    return CheckResult("mapping", True, f"all {refs} place references resolve", details)


def _review(settings: Settings, store, signed_off: Path | None) -> CheckResult:
    accepted = _accepted(signed_off)
    with store.connect() as conn:
        rows = conn.execute(
            select(review_item.c.source_system, review_item.c.source_table, review_item.c.source_key,
                   review_item.c.reason).where(review_item.c.state == "open")
        ).all()
    pending = [r for r in rows if f"{r.source_system}/{r.source_table}/{r.source_key}" not in accepted]
    if not pending:
        return CheckResult("review", True, f"{len(rows)} open review item(s), all signed off" if rows
                           else "review queue empty")
    return CheckResult("review", False,
                       f"{len(pending)} open review item(s) not signed off "
                       "(hopnhat map review export, then import decisions, or list them in the sign-off file)",
                       tuple(f"{r.source_system}/{r.source_table}/{r.source_key}: {r.reason}" for r in pending))


def _disk(settings: Settings, _store, _signed_off) -> CheckResult:
    need = 0
    for source in settings.sources:
        adapter = open_source(source.name, source.url)
        try:
            for spec in source.profile.ordered():
                if not spec.entity.files or "size" not in spec.columns:
                    continue
                column = spec.columns["size"]
                for page in adapter.read(spec, after=None, batch_size=5000):
                    need += sum(int(r.payload.get(column) or 0) for r in page)
        finally:
            adapter.close()
    target = settings.files_dir
    probe = target if target.exists() else next((p for p in target.parents if p.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    message = f"attachments declare {need / 1e6:.1f} MB; {free / 1e9:.1f} GB free at {target}"
    return CheckResult("disk", free >= need * DISK_MARGIN, message if free >= need * DISK_MARGIN
                       else message + f" (need {DISK_MARGIN:.0%} of it)")


_CHECKS = {"schema": _schema, "sources": _sources, "mapping": _mapping, "review": _review, "disk": _disk}
