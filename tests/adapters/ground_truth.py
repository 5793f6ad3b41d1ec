"""Compare what the store holds, record by record, with a generated portal's ground truth."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from migrate.store import schema
from migrate.core.entities import ENTITY_TABLES
from migrate.store.models import account, lineage, quarantine


def outcomes(store_url: str, profile) -> dict[tuple[str, str], dict]:
    """(part label, source key) -> what the store holds for it."""
    table_part = {spec.table: label for label, spec in profile.entities.items()}
    engine = schema.connect(store_url)
    out = {}
    with engine.connect() as conn:
        owners = {r.id: (r.kind, r.full_name) for r in conn.execute(select(account.c.id, account.c.kind,
                                                                           account.c.full_name))}
        reasons = {(r.source_table, r.source_key): r.field for r in conn.execute(
            select(quarantine.c.source_table, quarantine.c.source_key, quarantine.c.field)
            .where(quarantine.c.released_at.is_(None)))}
        for r in conn.execute(select(lineage.c.source_table, lineage.c.source_key, lineage.c.entity,
                                     lineage.c.outcome, lineage.c.rule)):
            label = table_part[r.source_table]
            row = {}
            if r.outcome == "loaded":
                target = ENTITY_TABLES[r.entity]
                stored = conn.execute(select(target).where(target.c.source_table == r.source_table,
                                                           target.c.source_key == r.source_key)).one()._mapping
                row = dict(stored)
                if "account_id" in row:
                    row["owner"] = owners.get(row["account_id"])
            field = reasons.get((r.source_table, r.source_key)) if r.outcome == "quarantined" else r.rule
            out[(label, r.source_key)] = {"outcome": r.outcome, "field": field, "row": row}
    engine.dispose()
    return out


def compare(found: dict, expected: dict) -> list[str]:
    wrong = []
    for key, (outcome, field, values) in expected.items():
        got = found.get(key)
        if got is None:
            wrong.append(f"{key}: not in the store's lineage")
            continue
        if got["outcome"] != outcome:
            wrong.append(f"{key}: {got['outcome']} ({got['field']}), expected {outcome}")
            continue
        if field is not None and got["field"] != field:
            wrong.append(f"{key}: field/rule {got['field']}, expected {field}")
        for name, value in values.items():
            have = got["row"].get(name)
            if isinstance(have, (dt.date, dt.datetime)):
                have = have.isoformat()[:len(value)] if value else have.isoformat()
            if have != value:
                wrong.append(f"{key}: {name} = {have!r}, expected {value!r}")
    wrong += [f"{key}: in the store, not in the ground truth" for key in sorted(set(found) - set(expected))]
    return wrong


def migrate_matches_truth(profile, source_url: str, url_env: str, store_url: str, tmp_path, expected: dict,
                          batch_size: int):
    """Run ``profile`` over ``source_url`` into ``store_url``, assert every record matches ``expected`` and
    the reconciliation (source re-read, files) passes; the reconciliation, for the caller's own checks."""
    from migrate import pipeline
    from migrate.config import Settings
    from reconciliation.runner import reconcile

    settings = Settings.load([profile], store=store_url, files_dir=tmp_path / "store-files", batch_size=batch_size,
                             environ={url_env: source_url})
    report = pipeline.run(settings)
    assert report.ok, report.summary()
    assert compare(outcomes(store_url, settings.sources[0].profile), expected) == []
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()
    return result
