"""The built-in OpenCPS v2 profile on the cases of real OpenCPS portals, record by record.

Mixed-case applicant types, an unnumbered online dossier, a walk-in applicant's dossier and
result, an e-form part without a file, a part removed from its dossier: migrated into SQLite
and PostgreSQL stores, every record compared with the ground truth, conservation and
reconciliation PASSED.
"""

from __future__ import annotations

from ground_truth import compare, outcomes
from migrate import pipeline
from migrate.config import Settings
from opencps_fixture import TRUTH
from reconciliation.runner import reconcile


def test_opencps_cases_migrate_as_the_ground_truth_says(opencps_sqlite, store_url, tmp_path):
    url, files_root, _ = opencps_sqlite
    settings = Settings.load(["opencps-v2"], store=store_url, source_urls={"opencps-v2": url},
                             files_dir=tmp_path / "files", batch_size=3,
                             environ={"HOPNHAT_SOURCE_OPENCPS_FILES": str(files_root)})
    report = pipeline.run(settings)
    assert not report.failed_batches, report.summary()
    assert compare(outcomes(store_url, settings.sources[0].profile), TRUTH) == []
    result = reconcile(store_url, tmp_path / "report", sources=settings.sources, files_dir=settings.files_dir)
    assert result.ok, result.summary()
    balances = {b.entity: b for b in result.conservation.balances}
    assert (balances["dossier_file"].source_count, balances["dossier_file"].excluded) == (5, 1)
    assert (balances["dossier"].source_count, balances["dossier"].quarantined) == (7, 1)
