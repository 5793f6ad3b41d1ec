"""The manifest of a report folder, and checking a folder against it.

``manifest.json`` names the SHA-256 of every other file of the report, the
mapping table's version and hash, each profile's hash, the tool version, the
store and the time: what produced the report. The manifest's own SHA-256 is
printed when the report is written and kept in the store's
``reconciliation_run`` row, so an edited manifest is caught too
(``hopnhat reconcile verify DIR --store URL``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select

from migrate.core.errors import ConfigError
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from migrate.store.models import reconciliation_run

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def clear_folder(out_dir: Path) -> None:
    """Make ``out_dir`` ready for a new report: create it, or remove the files of the report it holds.

    A folder holding files but no manifest is not a report folder: refused, nothing deleted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    present = [p for p in out_dir.iterdir() if p.name != MANIFEST]
    if not manifest.is_file():
        if present:
            raise ConfigError(f"{out_dir} already holds files and is not a report folder (no {MANIFEST}); "
                              "choose a new or empty folder for the report")
        return
    listed = set(json.loads(manifest.read_text("utf-8")).get("files", {}))
    for path in present:
        if path.is_file() and path.name in listed:
            path.unlink()
    manifest.unlink()


def write_manifest(out_dir: Path, context: dict) -> str:
    """Write manifest.json; returns its SHA-256."""
    files = {p.name: sha256_file(p) for p in sorted(out_dir.iterdir()) if p.is_file() and p.name != MANIFEST}
    manifest = {
        "generated_at": context.get("generated_at") or _now(),
        "tool_version": context["tool_version"],
        "mapping_version": context["mapping_version"],
        "mapping_sha256": context["mapping_sha256"],
        "profiles": context["profiles"],
        "store": context["store"],
        "reconciliation_run": context.get("run_id"),
        "masked": context.get("masked", True),
        "files": files,
    }
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return sha256_file(path)


@dataclass
class Verification:
    folder: Path
    manifest_sha256: str | None
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, lang: Language | None = None) -> str:
        """What ``hopnhat reconcile verify`` prints, in ``lang`` (English by default); file names and hashes as they are."""
        lang = lang or language()
        head = (msg("Report {folder}: {n} files match the manifest (manifest sha256 {sha256})", folder=str(self.folder),
                    n=self.checked, sha256=self.manifest_sha256) if self.ok else
                msg("Report {folder} was ALTERED: {n} problem(s)", folder=str(self.folder), n=len(self.problems)))
        return "\n".join([say(head, lang), *(say(msg("  ALTERED {problem}", problem=p), lang) for p in self.problems)])


def verify_folder(folder: Path, store: Connection | None = None) -> Verification:
    """Recompute every file's SHA-256 against the manifest; with ``store``, check the manifest itself."""
    path = folder / MANIFEST
    if not path.is_file():
        return Verification(folder, None, problems=[msg("{file}: missing; this folder is not a hopnhat report",
                                                        file=MANIFEST)])
    result = Verification(folder, sha256_file(path))
    try:
        manifest = json.loads(path.read_text("utf-8"))
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(msg("{file}: unreadable ({problem})", file=MANIFEST, problem=str(exc)))
        return result
    for name, expected in sorted(files.items()):
        target = folder / name
        if not target.is_file():
            result.problems.append(msg("{file}: missing (listed in the manifest)", file=name))
            continue
        result.checked += 1
        actual = sha256_file(target)
        if actual != expected:
            result.problems.append(msg("{file}: content changed (sha256 {actual}, the manifest says {expected})",
                                       file=name, actual=actual, expected=expected))
    for extra in sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST and p.name not in files):
        result.problems.append(msg("{file}: not in the manifest (added after the report was written)", file=extra))
    if store is not None:
        _check_recorded(result, manifest, store)
    return result


def _check_recorded(result: Verification, manifest: dict, store: Connection) -> None:
    run_id = manifest.get("reconciliation_run")
    if run_id is None:
        result.problems.append(msg("{file}: names no reconciliation run; it cannot be checked against the store",
                                   file=MANIFEST))
        return
    summary = store.execute(select(reconciliation_run.c.summary).where(reconciliation_run.c.id == run_id)).scalar()
    recorded = (summary or {}).get("manifest_sha256") if isinstance(summary, dict) else None
    if recorded is None:
        result.problems.append(msg("{file}: the store has no manifest hash for reconciliation run {run}",
                                   file=MANIFEST, run=str(run_id)))
    elif recorded != result.manifest_sha256:
        result.problems.append(msg("{file}: content changed (sha256 {actual}, the store recorded {recorded} for "
                                   "reconciliation run {run})", file=MANIFEST, actual=result.manifest_sha256,
                                   recorded=recorded, run=str(run_id)))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
