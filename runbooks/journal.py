"""The journal of a runbook: one JSON line per step attempt, appended, never rewritten.

Each entry says who ran the step, when, the command as run (secrets in URLs
hidden), the exit code, what it printed and the verdict: go, no-go, or
skipped. The journal is what `hopnhat runbook status` and resume read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

Verdict = str  # go, no-go, confirmed, dry-run, rolled-back


@dataclass(frozen=True)
class Entry:
    runbook: str
    runbook_sha256: str
    step: str
    verdict: Verdict
    operator: str
    started_at: str
    finished_at: str
    command: str
    exit_code: int | None
    output: str
    reason: str = ""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def append(path: Path, entry: Entry) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
        fh.flush()


def read(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            entries.append(Entry(**json.loads(line)))
    return entries


def latest(entries: list[Entry], runbook: str) -> dict[str, Entry]:
    """The last real verdict of each step (dry runs do not count)."""
    out: dict[str, Entry] = {}
    for entry in entries:
        if entry.runbook == runbook and entry.verdict != "dry-run":
            out[entry.step] = entry
    return out
