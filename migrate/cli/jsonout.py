"""What ``--json`` prints: one shape per command, documented in README ("JSON output").

Each function turns a library result into plain JSON values; ``emit`` prints
one JSON document on stdout. Personal identifiers are never added here: a
shape carries ids, keys, counts, states and the same masked texts the plain
output shows, and a free text (a reason, an error) has any ID number in it
(CMND, CCCD, tax code, phone) and e-mail masked as every output masks them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence

import click

from migrate.ledger import BatchRow
from migrate.quarantine import Entry
from migrate.core.masking import mask_text


def emit(document: dict) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=_default))


def _default(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def masked(text: str | None) -> str | None:
    """``... CCCD 001089012345 ...`` -> ``... CCCD *********345 ...`` (the one policy, :mod:`migrate.core.masking`)."""
    return None if text is None else str(mask_text(text))


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def batch(row: BatchRow) -> dict:
    c = row.counts
    return {
        "id": row.id, "run_id": row.run_id, "source": row.source_system, "entity": row.entity,
        "table": row.source_table, "seq": row.seq, "key_lo": list(row.key_lo), "key_hi": list(row.key_hi),
        "state": row.state, "attempts": row.attempts,
        "counts": {"extracted": c.extracted, "loaded": c.loaded, "merged": c.merged,
                   "quarantined": c.quarantined, "excluded": c.excluded},
        "error": masked(row.error), "started_at": _time(row.started_at), "finished_at": _time(row.finished_at),
    }


def batches(rows: Sequence[BatchRow]) -> dict:
    return {"batches": [batch(r) for r in rows], "count": len(rows)}


def quarantine(rows: Sequence[Entry]) -> dict:
    """Entries without their raw payloads (``hopnhat quarantine export`` writes those, masked)."""
    return {
        "records": [{"id": e.id, "batch_id": e.batch_id, "source": e.source_system, "table": e.source_table,
                     "key": e.source_key, "entity": e.entity, "field": e.field, "reason": masked(e.reason),
                     "created_at": _time(e.created_at), "released_at": _time(e.released_at)} for e in rows],
        "count": len(rows),
    }


def store_current(store: str, current: str | None, head: str) -> dict:
    return {"store": store, "revision": current, "head": head, "up_to_date": current == head}


def run(report) -> dict:
    """A ``pipeline.RunReport``."""
    return {
        "run_id": report.run_id, "resumed": report.resumed, "seconds": round(report.seconds, 3), "ok": report.ok,
        "entities": [{"source": r.source, "entity": r.entity, "source_count": r.source_count,
                      "extracted": r.counts.extracted, "loaded": r.counts.loaded, "merged": r.counts.merged,
                      "quarantined": r.counts.quarantined, "excluded": r.counts.excluded,
                      "failed_batches": list(r.failed_batches), "error": masked(r.error),
                      "read": _read(r)} for r in report.results],
        "failed_batches": report.failed_batches,
        "exit_code": report.verdict.exit_code if report.ok else 1,
        "warnings": [w.as_dict() for w in report.verdict.warnings],
    }


def _read(result) -> dict:
    """How the run read a part: ``full`` (with the reason) or ``delta`` (since when), and what it found deleted."""
    plan = result.plan
    return {"mode": plan.mode if plan else "full", "reason": plan.reason if plan else None,
            "since": plan.since if plan else None, "carried": result.carried,
            "deleted_in_source": result.deleted}


def reconciliation(result) -> dict:
    """A ``reconciliation.runner.Reconciliation``."""
    cons = result.conservation
    return {
        "run_id": result.run_id, "ok": result.ok, "verdict": result.verdict.outcome,
        "exit_code": result.verdict.exit_code, "warnings": [w.as_dict() for w in result.verdict.warnings],
        "conservation": {
            "ok": cons.ok,
            "balances": [{"source": b.source, "entity": b.entity, "source_count": b.source_count,
                          "extracted": b.extracted, "loaded": b.loaded, "merged": b.merged,
                          "quarantined": b.quarantined, "excluded": b.excluded, "carried": b.carried,
                          "deleted_in_source": b.deleted_in_source, "ok": b.ok}
                         for b in cons.balances],
            "unit_groups": len(cons.units), "unit_groups_holding": sum(u.ok for u in cons.units),
        },
        "checks": [{"name": c.name, "ok": c.ok, "summary": [masked(line) for line in c.summary_lines()]} for c in result.checks],
        "report_dir": str(result.report_dir) if result.report_dir is not None else None,
        "manifest_sha256": result.manifest_sha256,
    }
