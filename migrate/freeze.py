"""The freeze: a fingerprint of every source at the moment the old portals stop taking changes.

``take`` records, per source and profile part (every legacy table the profile
reads: ``dossier_event`` and ``dossier_event.log`` alike), the row count and an
order-independent digest of every row; ``compare`` recomputes both and names what changed. A
cutover gate runs ``compare`` before the final reconciliation: a source that
changed after the freeze stops the cutover.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from adapters import open_source
from migrate.core.records import rows_digest
from migrate.config import Settings
from migrate.core.errors import ConfigError
from migrate.core.messages import msg


@dataclass(frozen=True)
class Fingerprint:
    source: str
    entity: str
    table: str
    count: int
    digest: str


@dataclass(frozen=True)
class FreezeDiff:
    before: Fingerprint | None
    after: Fingerprint | None

    def describe(self) -> str:
        b, a = self.before, self.after
        name = f"{(b or a).source}/{(b or a).entity}"  # type: ignore[union-attr]
        if b is None:
            return msg("{part}: not in the freeze record", part=name)
        if a is None:
            return msg("{part}: no longer readable", part=name)
        if b.count != a.count:
            return msg("{part} ({table}): {before} rows at the freeze, {now} now", part=name, table=a.table,
                       before=b.count, now=a.count)
        return msg("{part} ({table}): same {n} rows but their content changed since the freeze", part=name,
                   table=a.table, n=a.count)


def fingerprints(settings: Settings, batch_size: int = 5000) -> list[Fingerprint]:
    out = []
    for source in settings.sources:
        adapter = open_source(source.name, source.url)
        try:
            for spec in source.profile.ordered():
                count, digest = rows_digest(adapter.read(spec, after=None, batch_size=batch_size))
                out.append(Fingerprint(source.name, spec.label, spec.table, count, digest))
        finally:
            adapter.close()
    return out


def take(settings: Settings, out: Path) -> list[Fingerprint]:
    prints = fingerprints(settings)
    record = {"taken_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
              "sources": [asdict(f) for f in prints]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False), "utf-8")
    return prints


def compare(settings: Settings, record_path: Path) -> list[FreezeDiff]:
    try:
        record = json.loads(record_path.read_text("utf-8"))
        before = {(f["source"], f["entity"]): Fingerprint(**f) for f in record["sources"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(msg("freeze record {path} is unreadable: {problem}", path=str(record_path),
                              problem=str(exc))) from exc
    now = {(f.source, f.entity): f for f in fingerprints(settings)}
    diffs = []
    for key in sorted(set(before) | set(now)):
        b, a = before.get(key), now.get(key)
        if b is None or a is None or (b.count, b.digest) != (a.count, a.digest):
            diffs.append(FreezeDiff(b, a))
    return diffs
