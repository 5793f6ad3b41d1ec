"""Render reconciliation results into a report folder auditors read: HTML, CSV, JSON, manifest.

The only module that imports pandas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from reconciliation.checks import ConservationResult


@dataclass(frozen=True)
class ReportContext:
    """What produced the report: tied into the manifest."""

    tool_version: str
    mapping_version: str
    mapping_sha256: str
    profiles: tuple[dict, ...]
    store: str  # password hidden


def write_report(out_dir: Path, conservation: ConservationResult, context: ReportContext) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"generated_at": _now(), "context": context.__dict__ | {"profiles": list(context.profiles)},
            "conservation": conservation.as_dict()}
    balances = pd.DataFrame([b.as_dict() for b in conservation.balances])
    units = pd.DataFrame([u.as_dict() for u in conservation.units])
    (out_dir / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), "utf-8")
    balances.to_csv(out_dir / "conservation.csv", index=False)
    units.to_csv(out_dir / "conservation-by-unit.csv", index=False)
    html = _environment().get_template("report.html.j2").render(
        data=data,
        ok=conservation.ok,
        balances=conservation.balances,
        new_communes=_per_new_commune(units),
        broken=conservation.broken(),
    )
    (out_dir / "index.html").write_text(html, "utf-8")
    _manifest(out_dir, context)
    return out_dir


def _per_new_commune(units: pd.DataFrame) -> list[dict]:
    if units.empty:
        return []
    dossiers = units[units["entity"] == "dossier"].fillna({"new_commune": "(none)"})
    grouped = dossiers.groupby("new_commune")[["extracted", "loaded", "quarantined"]].sum()
    return [{"new_commune": k, **{c: int(v) for c, v in row.items()}}
            for k, row in grouped.sort_values("loaded", ascending=False).iterrows()]


def _manifest(out_dir: Path, context: ReportContext) -> None:
    files = {}
    for path in sorted(out_dir.iterdir()):
        if path.is_file() and path.name != "manifest.json":
            files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = {
        "generated_at": _now(),
        "tool_version": context.tool_version,
        "mapping_version": context.mapping_version,
        "mapping_sha256": context.mapping_sha256,
        "profiles": list(context.profiles),
        "files": files,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")


def _environment() -> Environment:
    return Environment(loader=PackageLoader("reconciliation", "templates"),
                       autoescape=select_autoescape(["html", "j2"]))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
