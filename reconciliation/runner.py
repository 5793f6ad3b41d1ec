"""One reconciliation: run the checks on a store, record the run, write the report folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from mappings.units import UnitTable
from migrate import ledger
from migrate.pipeline import tool_version
from migrate.store.models import batch, migration_run, reconciliation_run
from migrate.store.schema import safe_url
from reconciliation.checks import ConservationResult, conservation
from reconciliation.report import ReportContext, write_report


@dataclass(frozen=True)
class Reconciliation:
    run_id: int
    conservation: ConservationResult
    report_dir: Path | None

    @property
    def ok(self) -> bool:
        return self.conservation.ok

    def summary(self) -> str:
        lines = [f"Reconciliation {self.run_id}: conservation {'holds' if self.ok else 'BROKEN'}"]
        lines.append(f"  {'source/entity':<34}{'source':>9}{'extracted':>10}{'loaded':>9}{'merged':>8}"
                     f"{'quarant.':>9}{'excl.':>7}  holds")
        for b in self.conservation.balances:
            lines.append(f"  {b.source + '/' + b.entity:<34}{b.source_count:>9}{b.extracted:>10}{b.loaded:>9}"
                         f"{b.merged:>8}{b.quarantined:>9}{b.excluded:>7}  {'yes' if b.ok else 'NO'}")
        units = self.conservation.units
        lines.append(f"  per old commune and new commune: {sum(u.ok for u in units)} of {len(units)} groups hold")
        for problem in self.conservation.broken()[:20]:
            lines.append(f"  BROKEN {problem}")
        if self.report_dir is not None:
            lines.append(f"  report: {self.report_dir / 'index.html'}")
        return "\n".join(lines)


def reconcile(store: Engine, out_dir: Path | None = None, *, source: str | None = None) -> Reconciliation:
    with store.begin() as conn:
        run_id = int(conn.execute(insert(reconciliation_run).values(started_at=ledger.now())).inserted_primary_key[0])
    result = conservation(store, source)
    report_dir = None
    if out_dir is not None:
        units = UnitTable.load()
        report_dir = write_report(out_dir, result, ReportContext(
            tool_version=tool_version(), mapping_version=units.version, mapping_sha256=units.sha256,
            profiles=tuple(_profiles(store)), store=safe_url(str(store.url)),
        ))
    with store.begin() as conn:
        if result.ok:
            conn.execute(update(batch).where(batch.c.state == "loaded").values(state="verified"))
        conn.execute(update(reconciliation_run).where(reconciliation_run.c.id == run_id).values(
            finished_at=ledger.now(), ok=result.ok, report_dir=str(report_dir) if report_dir else None,
            summary=json.loads(json.dumps({"balances": [b.as_dict() for b in result.balances]}, default=str)),
        ))
    return Reconciliation(run_id, result, report_dir)


def _profiles(store: Engine) -> list[dict]:
    with store.connect() as conn:
        row = conn.execute(select(migration_run.c.profiles).order_by(migration_run.c.id.desc()).limit(1)).first()
    return list(row.profiles) if row else []
