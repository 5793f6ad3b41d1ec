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
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from migrate.core.credentials import hide_credentials
from migrate.core.entities import REGISTRY
from migrate.core.i18n import Language, language
from migrate.core.masking import mask_row, mask_tree
from migrate.core.tables import write_table, write_workbook
from migrate.verdict import Verdict

from reconciliation import labels
from reconciliation.base import CheckResult
from reconciliation.checks import verdict
from reconciliation.manifest import clear_folder, sha256_file, write_manifest

HTML_ROWS = 200  # rows of each table shown in the page; the CSV and XLSX hold them all
LABEL_CHARS = 64  # a chart label longer than this wraps onto the next line
# The records charted per new commune: those that must have one (the registry's commune_required: dossiers).
CHARTED = frozenset(e.name for e in REGISTRY.values() if e.commune_required)


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
    lang: str = "en"  # the language of the page and the workbook (CSV and JSON keep machine names)


def write_report(out_dir: Path, checks: Sequence[CheckResult], context: ReportContext) -> str:
    """Write every file of the report, then the manifest naming each file's SHA-256; returns the manifest's."""
    clear_folder(out_dir)
    lang = language(context.lang)
    ok = all(c.ok for c in checks)
    judged = verdict(checks)
    tables = _tables(checks, context.masked)
    data = {"generated_at": context.generated_at, "ok": ok, "verdict": judged.as_dict(), "context": _context(context),
            "checks": {c.name: (mask_tree(c.as_dict()) if context.masked else c.as_dict()) for c in checks}}
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    csv_names, columns = {}, {name: _columns(rows) for name, rows in tables.items()}
    for name, rows in tables.items():
        csv_names[name] = f"{_slug(name)}.csv"
        write_table(out_dir / csv_names[name], rows, columns[name])
    (out_dir / "report.json").write_text(hide_credentials(text), "utf-8")
    sheet_names = _workbook(out_dir / "report.xlsx", checks, tables, columns, judged, context,
                            sha256_file(out_dir / "report.json"), lang)
    html = _environment(lang).get_template("report.html.j2").render(
        ok=ok, verdict=judged, context=data["context"], checks=checks, tables=tables, csv_names=csv_names,
        columns=columns, sheet_names=sheet_names, lang=lang,
        conservation=next((c for c in checks if c.name == "conservation"), None),
        charts=_charts(tables, lang), html_rows=HTML_ROWS, table_of=_table_owner(checks),
        summary_of=lambda c: summary_lines(c, lang), check_name=lambda n: labels.check_name(n, lang),
        entity_name=lambda e: labels.entity_name(e, lang), column_label=lambda c: labels.column_label(c, lang),
        show=lambda col, v: labels.show(col, v, lang), table_name=lambda n: labels.table_name(n, lang),
    )
    (out_dir / "index.html").write_text(hide_credentials(html), "utf-8")
    return write_manifest(out_dir, _context(context))


def summary_lines(check: CheckResult, lang: Language) -> list[str]:
    """A check's summary in ``lang``."""
    return check.summary_lines(lang)


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


def _workbook(path: Path, checks: Sequence[CheckResult], tables: dict[str, list[dict]],
              columns: dict[str, list[str]], judged: Verdict, context: ReportContext, report_sha: str,
              lang: Language) -> dict[str, str]:
    """One sheet per table, named and headed in ``lang``; the summary sheet opens with what a workbook
    forwarded alone must carry. Returns table -> sheet name."""
    _ = lang.gettext
    summary = [{"check": labels.check_name(c.name, lang), "ok": labels.cell("ok", c.ok, lang), "summary": line}
               for c in checks for line in summary_lines(c, lang)]
    summary += [{"check": _("verdict"), "ok": labels.cell("ok", not judged.failed, lang),
                 "summary": f"{w.code}: {w.text(lang)}"} for w in judged.warnings]
    run = context.run_id if context.run_id is not None else _("not recorded")
    provenance = [
        (_("verdict"), f"{judged.word(lang)} {judged.exit_words(lang)}"), ("", judged.headline(lang)),
        (_("reconciliation run"), run), (_("written at"), lang.datetime(context.generated_at)),
        (_("store"), hide_credentials(context.store)),
        (_("mapping table"), f"{context.mapping_version} (sha256 {context.mapping_sha256})"),
        (_("report.json SHA-256"), report_sha),
        (_("manifest"), _("manifest.json lists this workbook's SHA-256; the manifest's own SHA-256 is recorded "
                          "with the reconciliation run in the store: hopnhat reconcile verify DIR --store URL")),
        ("hopnhat", context.tool_version),
        (_("personal data"), _("masked") if context.masked else _("NOT masked")),
    ]
    names = {"summary": labels.table_name("summary", lang)} | {t: labels.table_name(t, lang) for t in tables}
    sheets = {names["summary"]: (["check", "ok", "summary"], summary)}
    sheets |= {names[t]: (columns[t], [{c: labels.cell(c, r.get(c), lang) for c in columns[t]} for r in rows])
               for t, rows in tables.items()}
    headers = {c: labels.column_label(c, lang) for cols in [["check", "ok", "summary"], *columns.values()] for c in cols}
    used = write_workbook(path, sheets, headers=headers, titles={names["summary"]: provenance})
    return {t: used[names[t]] for t in names}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "table"


# --- charts: inline SVG ------------------------------------------------------------------


def _charts(tables: dict[str, list[dict]], lang: Language) -> dict[str, Markup]:
    charts = {}
    units = [u for u in tables.get("conservation-by-unit", []) if u.get("entity") in CHARTED]
    if units:
        per: dict[str, list[int]] = {}
        for u in units:
            label = (" ".join(v for v in (u.get("new_commune"), u.get("new_commune_name")) if v)
                     or lang.gettext("no new commune (in quarantine or review)"))
            slot = per.setdefault(label, [0, 0])
            slot[0] += int(u["loaded"])
            slot[1] += int(u["quarantined"])
        per_commune = sorted(per.items(), key=lambda kv: (-kv[1][0] - kv[1][1], kv[0]))
        charts["new_communes"] = _bars(
            "chart-new-communes", lang.gettext("Dossiers per new commune"), [(k, v[0], v[1]) for k, v in per_commune],
            (lang.gettext("loaded"), lang.gettext("quarantined")), lang, keep_flagged=True,
            more=lang.gettext("{n} more new communes (see the table conservation-by-unit)"))
    reasons = tables.get("quarantine-reasons", [])
    if reasons:
        rows = [(f"{r['source']}/{r['entity']}: {labels.show('reason', r['reason'], lang)}", 0, int(r["records"]))
                for r in reasons]
        charts["reasons"] = _bars(
            "chart-quarantine-reasons", lang.gettext("Quarantined records by reason"), rows,
            ("", lang.gettext("quarantined")), lang,
            more=lang.gettext("{n} more reasons (see the table quarantine-reasons)"))
    return charts


def _wrap(label: str, width: int = LABEL_CHARS) -> list[str]:
    """A label over as many lines as it needs: never cut."""
    return textwrap.wrap(label, width, break_long_words=True, break_on_hyphens=False) or [""]


def _bars(element_id: str, title: str, rows: list[tuple[str, int, int]], legend: tuple[str, str],
          lang: Language, *, more: str, keep_flagged: bool = False, limit: int = 60) -> Markup:
    """A horizontal stacked bar chart: label, first value (blue), second value (red, quarantined).

    A second value is drawn however small (2 pixels at least); with
    ``keep_flagged`` a row having one is never folded away. Past ``limit`` rows
    the rest is folded into one line of text with their totals, drawn without
    a bar (their sum would dwarf every real bar).
    """
    keep = [i < limit or (keep_flagged and r[2] > 0) for i, r in enumerate(rows)]
    shown = [r for r, k in zip(rows, keep) if k]
    folded = [r for r, k in zip(rows, keep) if not k]
    top = max((a + b for _, a, b in shown), default=1) or 1
    label_w, bar_w, line_h, pad = 430, 360, 13, 5
    layout = [(_wrap(label), label, a, b) for label, a, b in shown]
    height = sum(len(lines) * line_h + pad for lines, *_ in layout) + 34 + (line_h + pad if folded else 0)
    parts = [f'<svg id="{element_id}" class="chart" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 110}" height="{height}">',
             f"<title>{escape(title)}</title>"]
    y = 4
    for lines, label, a, b in layout:
        row_h = len(lines) * line_h
        wa = bar_w * a / top
        wb = max(2.0, bar_w * b / top) if b else 0.0
        tspans = "".join(f'<tspan x="{label_w - 6}" dy="{0 if i == 0 else line_h}">{escape(line)}</tspan>'
                         for i, line in enumerate(lines))
        parts.append(f'<text class="label" x="{label_w - 6}" y="{y + 11}" text-anchor="end">{tspans}</text>')
        if a:
            parts.append(f'<rect class="a" x="{label_w}" y="{y}" width="{wa:.1f}" height="{line_h}">'
                         f"<title>{escape(label)}: {lang.number(a)} {escape(legend[0])}</title></rect>")
        if b:
            parts.append(f'<rect class="b" x="{label_w + wa:.1f}" y="{y}" width="{wb:.1f}" height="{line_h}">'
                         f"<title>{escape(label)}: {lang.number(b)} {escape(legend[1])}</title></rect>")
        figures = " + ".join(lang.number(v) for v in (a, b) if v) or "0"
        parts.append(f'<text class="n" x="{label_w + wa + wb + 4:.1f}" y="{y + 11}">{figures}</text>')
        y += row_h + pad
    if folded:
        a, b = sum(r[1] for r in folded), sum(r[2] for r in folded)
        totals = " + ".join(lang.number(v) for v in (a, b) if v) or "0"
        parts.append(f'<text class="more" x="{label_w - 6}" y="{y + 11}" text-anchor="end">'
                     f"{escape(more.format(n=lang.number(len(folded))))}</text>"
                     f'<text class="n more" x="{label_w + 4}" y="{y + 11}">{totals}</text>')
        y += line_h + pad
    y += 16
    x = label_w
    for css, name in (("a", legend[0]), ("b", legend[1])):
        if name:
            parts.append(f'<rect class="{css}" x="{x}" y="{y - 10}" width="10" height="10"/>'
                         f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
            x += 24 + 7 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))


def _environment(lang: Language) -> Environment:
    env = Environment(loader=PackageLoader("reconciliation", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(lang.gettext, lang.ngettext, newstyle=True)  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it
    return env


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
