"""Render check results into a report folder: HTML page, XLSX workbook, CSV, JSON, manifest.

Checks are rendered generically (see :mod:`reconciliation.base`): a section
per check, one XLSX sheet and one CSV file per table. The conservation check,
when present, also gives the equation table at the top and the two charts
(records per new commune, quarantine reasons), drawn as inline SVG: the page
needs no network and no script to show its figures.

Tables are written by :mod:`migrate.core.tables` (the one CSV/XLSX writer).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from migrate.core.credentials import hide_credentials
from migrate.core.masking import mask_row, mask_tree
from migrate.core.tables import write_table, write_workbook
from migrate.verdict import Verdict

from reconciliation.base import CheckResult
from reconciliation.checks import verdict
from reconciliation.manifest import clear_folder, sha256_file, write_manifest

HTML_ROWS = 200  # rows of each table shown in the page; the CSV and XLSX hold them all


@dataclass(frozen=True)
class ReportContext:
    """What produced the report: tied into the manifest."""

    tool_version: str
    mapping_version: str
    mapping_sha256: str
    profiles: tuple[dict, ...]
    store: str  # password hidden
    run_id: int | None = None
    masked: bool = True
    files_dir: str | None = None
    generated_at: str = field(default_factory=lambda: _now())


def write_report(out_dir: Path, checks: Sequence[CheckResult], context: ReportContext) -> str:
    """Write every file of the report, then the manifest naming each file's SHA-256; returns the manifest's."""
    clear_folder(out_dir)
    ok = all(c.ok for c in checks)
    judged = verdict(checks)
    tables = _tables(checks, context.masked)
    data = {"generated_at": context.generated_at, "ok": ok, "verdict": judged.as_dict(), "context": _context(context),
            "checks": {c.name: (mask_tree(c.as_dict()) if context.masked else c.as_dict()) for c in checks}}
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    csv_names = {}
    for name, rows in tables.items():
        csv_names[name] = f"{_slug(name)}.csv"
        write_table(out_dir / csv_names[name], rows, _columns(rows))
    (out_dir / "report.json").write_text(hide_credentials(text), "utf-8")
    _workbook(out_dir / "report.xlsx", checks, tables, judged, context, sha256_file(out_dir / "report.json"))
    html = _environment().get_template("report.html.j2").render(
        ok=ok, verdict=judged, context=data["context"], checks=checks, tables=tables, csv_names=csv_names,
        conservation=next((c for c in checks if c.name == "conservation"), None),
        charts=_charts(tables), html_rows=HTML_ROWS, table_of=_table_owner(checks),
    )
    (out_dir / "index.html").write_text(hide_credentials(html), "utf-8")
    return write_manifest(out_dir, _context(context))


def _context(context: ReportContext) -> dict:
    return asdict(context) | {"profiles": list(context.profiles)}


def _tables(checks: Sequence[CheckResult], masked: bool) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for check in checks:
        for name, rows in check.tables().items():
            key = name if name not in out else f"{check.name}-{name}"
            out[key] = [mask_row(r) for r in rows] if masked else list(rows)
    return out


def _table_owner(checks: Sequence[CheckResult]) -> dict[str, list[str]]:
    owner: dict[str, list[str]] = {}
    seen: set[str] = set()
    for check in checks:
        for name in check.tables():
            key = name if name not in seen else f"{check.name}-{name}"
            seen.add(key)
            owner.setdefault(check.name, []).append(key)
    return owner


def _columns(rows: list[dict]) -> list[str]:
    """Every column of a table in first-seen order; rows of one table may differ in their keys."""
    return list(dict.fromkeys(k for r in rows[:1000] for k in r)) if rows else ["(no rows)"]


def _workbook(path: Path, checks: Sequence[CheckResult], tables: dict[str, list[dict]], judged: Verdict,
              context: ReportContext, report_sha: str) -> None:
    """One sheet per table; the summary sheet opens with what a workbook forwarded alone must carry."""
    summary = [{"check": c.name, "ok": c.ok, "summary": line} for c in checks for line in c.summary_lines()]
    summary += [{"check": "verdict", "ok": not judged.failed, "summary": f"{w.code}: {w.text()}"}
                for w in judged.warnings]
    provenance = [
        ("verdict", f"{judged.word()} (exit {judged.exit_code})"), ("", judged.headline()),
        ("reconciliation run", context.run_id if context.run_id is not None else "not recorded"),
        ("written at", context.generated_at), ("store", hide_credentials(context.store)),
        ("mapping table", f"{context.mapping_version} (sha256 {context.mapping_sha256})"),
        ("report.json sha256", report_sha),
        ("manifest", "manifest.json lists this workbook's SHA-256; the manifest's own SHA-256 is recorded in "
                     "the store's reconciliation run and checked by: hopnhat reconcile verify DIR --store URL"),
        ("hopnhat", context.tool_version),
        ("personal data", "masked" if context.masked else "NOT masked"),
    ]
    sheets = {"summary": (["check", "ok", "summary"], summary)}
    sheets |= {name: (_columns(rows), rows) for name, rows in tables.items()}
    write_workbook(path, sheets, titles={"summary": provenance})


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "table"


# --- charts: inline SVG ------------------------------------------------------------------


def _charts(tables: dict[str, list[dict]]) -> dict[str, Markup]:
    charts = {}
    units = [u for u in tables.get("conservation-by-unit", []) if u.get("entity") == "dossier"]
    if units:
        per: dict[str, list[int]] = {}
        for u in units:
            label = " ".join(v for v in (u.get("new_commune"), u.get("new_commune_name")) if v) or "(none)"
            slot = per.setdefault(label, [0, 0])
            slot[0] += int(u["loaded"])
            slot[1] += int(u["quarantined"])
        rows = sorted(per.items(), key=lambda kv: (-kv[1][0] - kv[1][1], kv[0]))
        charts["new_communes"] = _bars("chart-new-communes", "Dossiers per new commune",
                                       [(k, v[0], v[1]) for k, v in rows], ("loaded", "quarantined"))
    reasons = tables.get("quarantine-reasons", [])
    if reasons:
        rows = [(f"{r['source']}/{r['entity']}: {r['reason']}", int(r["records"]), 0) for r in reasons]
        charts["reasons"] = _bars("chart-quarantine-reasons", "Quarantined records by reason", rows,
                                  ("quarantined", ""))
    return charts


def _bars(element_id: str, title: str, rows: list[tuple[str, int, int]], legend: tuple[str, str],
          limit: int = 60) -> Markup:
    """A horizontal stacked bar chart: label, first value (blue), second value (red)."""
    shown = rows[:limit]
    top = max((a + b for _, a, b in shown), default=1) or 1  # the "more" row below is drawn clipped
    if len(rows) > limit:
        shown.append((f"{len(rows) - limit} more (see the tables)", sum(r[1] for r in rows[limit:]),
                      sum(r[2] for r in rows[limit:])))
    label_w, bar_w, row_h = 420, 360, 18
    height = row_h * len(shown) + 30
    parts = [f'<svg id="{element_id}" class="chart" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" height="{height}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, a, b) in enumerate(shown):
        y = i * row_h + 4
        wa = min(bar_w, bar_w * a / top)
        wb = min(bar_w - wa, bar_w * b / top)
        short = label if len(label) <= 64 else label[:61] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect class="a" x="{label_w}" y="{y}" width="{wa:.1f}" height="{row_h - 4}">'
                     f"<title>{escape(label)}: {a} {legend[0]}</title></rect>")
        if b:
            parts.append(f'<rect class="b" x="{label_w + wa:.1f}" y="{y}" width="{wb:.1f}" height="{row_h - 4}">'
                         f"<title>{escape(label)}: {b} {legend[1]}</title></rect>")
        parts.append(f'<text class="n" x="{label_w + wa + wb + 4:.1f}" y="{y + 12}">{a}'
                     f'{f" + {b}" if b else ""}</text>')
    y = len(shown) * row_h + 20
    parts.append(f'<rect class="a" x="{label_w}" y="{y - 10}" width="10" height="10"/>'
                 f'<text x="{label_w + 14}" y="{y}">{escape(legend[0])}</text>')
    if legend[1]:
        parts.append(f'<rect class="b" x="{label_w + 110}" y="{y - 10}" width="10" height="10"/>'
                     f'<text x="{label_w + 124}" y="{y}">{escape(legend[1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _environment() -> Environment:
    return Environment(loader=PackageLoader("reconciliation", "templates"),
                       autoescape=select_autoescape(["html", "j2"]))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
