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
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
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

    def summary(self, lang: Language | None = None) -> str:
        """What the terminal shows, in ``lang`` (English by default); check names stay those of ``--only``."""
        lang = lang or language()
        go, no_go = say(msg("go"), lang), say(msg("NO-GO"), lang)
        width = max(len(go), len(no_go))
        lines = [f"[{(go if r.go else no_go):>{width}}] {r.name}: {say(r.message, lang)}" for r in self.results]
        for r in self.results:
            lines += [f"        {r.name}: {say(d, lang)}" for d in r.details[:20]]
        lines.append(say(msg("Preflight: GO") if self.go else
                         msg("Preflight: NO-GO — fix the checks above before the cutover"), lang))
        return "\n".join(lines)


def preflight(settings: Settings, only: Sequence[str] = CHECKS, signed_off: Path | None = None) -> Preflight:
    out = Preflight()
    store = schema.connect(settings.store_url)
    for name in only:
        try:
            out.results.append(_CHECKS[name](settings, store, signed_off))
        except HopnhatError as exc:
            out.results.append(CheckResult(name, False, exc.args[0] if exc.args else str(exc)))
    return out


def _schema(settings: Settings, store, _signed_off) -> CheckResult:
    current, head = schema.current_revision(store), schema.head_revision()
    if current == head:
        return CheckResult("schema", True, msg("store at revision {head} (latest)", head=head))
    return CheckResult("schema", False, msg("store at revision {current}, latest is {head}; run: hopnhat store upgrade",
                                            current=current or msg("none"), head=head))


def _sources(settings: Settings, _store, _signed_off) -> CheckResult:
    details, ok = [], True
    for source in settings.sources:
        try:
            adapter = open_source(source.name, source.url)
        except HopnhatError as exc:
            return CheckResult("sources", False, msg("{source} unreachable: {problem}", source=source.name,
                                                     problem=exc.args[0] if exc.args else str(exc)))
        try:
            for spec in source.profile.ordered():
                try:
                    count = adapter.count(spec)
                    next(iter(adapter.read(spec, after=None, batch_size=1)), None)
                    part = f"{source.name}/{spec.label}"
                    details.append(msg("{part} ({table}): {n} rows", part=part, table=spec.table, n=count))
                except HopnhatError as exc:
                    ok = False
                    part = f"{source.name}/{spec.label}"
                    details.append(msg("{part} ({table}): {problem}", part=part, table=spec.table,
                                       problem=exc.args[0] if exc.args else str(exc)))
        finally:
            adapter.close()
    return CheckResult("sources", ok, msg("{n} source(s) read", n=len(settings.sources)) if ok
                       else msg("a source is not readable"), tuple(details))


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
                           msg("{n} dossier(s) of {refs} records resolve to no new commune: decide them "
                               "(hopnhat map review export / import) or sign them off", n=total, refs=refs),
                           tuple(f"{k}: {n}" for k, n in unresolved.most_common()) + details)
    return CheckResult("mapping", True, msg("all {n} place references resolve", n=refs), details)


def _review(settings: Settings, store, signed_off: Path | None) -> CheckResult:
    accepted = _accepted(signed_off)
    with store.connect() as conn:
        rows = conn.execute(
            select(review_item.c.source_system, review_item.c.source_table, review_item.c.source_key,
                   review_item.c.reason).where(review_item.c.state == "open")
        ).all()
    pending = [r for r in rows if f"{r.source_system}/{r.source_table}/{r.source_key}" not in accepted]
    if not pending:
        return CheckResult("review", True, msg("{n} open review item(s), all signed off", n=len(rows)) if rows
                           else msg("review queue empty"))
    return CheckResult("review", False,
                       msg("{n} open review item(s) not signed off (hopnhat map review export, then import "
                           "decisions, or list them in the sign-off file)", n=len(pending)),
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
    values = {"need": round(need / 1e6, 1), "free": round(free / 1e9, 1), "folder": str(target)}
    if free >= need * DISK_MARGIN:
        return CheckResult("disk", True, msg("attachments declare {need} MB; {free} GB free at {folder}", **values))
    return CheckResult("disk", False, msg("attachments declare {need} MB; {free} GB free at {folder} (need {margin} "
                                          "of it)", margin=format(DISK_MARGIN, ".0%"), **values))


_CHECKS = {"schema": _schema, "sources": _sources, "mapping": _mapping, "review": _review, "disk": _disk}
