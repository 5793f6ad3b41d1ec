"""A passing reconciliation marks verified the batches it checked, through the ledger, and no others."""

from __future__ import annotations

from sqlalchemy import func, select

from migrate.store import schema
from migrate.store.models import batch


def _states(url: str) -> dict[tuple[str, str], int]:
    engine = schema.connect(url)
    with engine.connect() as conn:
        rows = conn.execute(select(batch.c.source_system, batch.c.state, func.count())
                            .group_by(batch.c.source_system, batch.c.state)).all()
    engine.dispose()
    return {(s, state): int(n) for s, state, n in rows}


def test_reconcile_only_one_source_verifies_only_its_batches(migrated, tmp_path, shell):
    before = _states(migrated.store_url)
    names = sorted({s for s, _ in before})
    assert "hanam-portal" in names and len(names) == 3
    assert all(state == "loaded" for _, state in before)
    hanam = next(s for s in migrated.sources if s.name == "hanam-portal")
    shell.main("reconcile", "run", str(hanam.profile.path), "--only", "hanam-portal", "--store", migrated.store_url,
               "--out", str(tmp_path / "report"), "--files-dir", str(migrated.files_dir),
               env={hanam.profile.url_env: hanam.url})
    after = _states(migrated.store_url)
    assert after[("hanam-portal", "verified")] == before[("hanam-portal", "loaded")]
    assert ("hanam-portal", "loaded") not in after
    for name in names:
        if name != "hanam-portal":
            assert after[(name, "loaded")] == before[(name, "loaded")], name
            assert (name, "verified") not in after, name
