"""``hopnhat run`` refuses to start on the errors ``hopnhat source check`` reports.

A profile naming a table or a column the source lacks would start a run that quarantines
every child record as an orphan; instead the run exits 1 with every problem and the check
command, and the store holds no run, no batch and no record.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from migrate.store import schema
from migrate.store.models import batch, lineage, migration_run
from oep_portal import build
from tests.harness import hopnhat


def _break(profile) -> None:
    text = profile.read_text(encoding="utf-8")
    text = text.replace('dossier_no = "receptionNo"', 'dossier_no = "receptionNumber"')
    text = text.replace('table = "oep_usermgt_employee"', 'table = "oep_usermgt_employe"')
    text = text.replace('on = { docFileId = "docFileId" }', 'on = { docFileId = "docFileID2" }')
    profile.write_text(text, encoding="utf-8")


def _store_rows(store_url: str) -> tuple[int, int, int]:
    engine = schema.connect(store_url)
    with engine.connect() as conn:
        counts = tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (migration_run, batch, lineage))
    engine.dispose()
    return counts


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_run_refuses_a_profile_the_source_does_not_match(engine, tmp_path, request):
    if engine == "sqlite":
        source_url, store_url = f"sqlite:///{tmp_path / 'oep.sqlite'}", request.getfixturevalue("sqlite_store")
    else:
        source_url, store_url = request.getfixturevalue("pg_url"), request.getfixturevalue("pg_store")
    profile = build(source_url, tmp_path)
    env = {"HOPNHAT_SOURCE_OEP_URL": source_url, "HOPNHAT_FILES_DIR": str(tmp_path / "files")}
    _break(profile)

    check = hopnhat("source", "check", str(profile), env=env)
    result = hopnhat("run", "--store", store_url, str(profile), env=env)

    assert check.code == 1
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert error.startswith("Error: ") and len(error.splitlines()) == 1
    assert "[dossier]: unknown column (field dossier_no) in oep_dossiermgt_dossier 'receptionnumber'; " \
           "closest: receptionno" in error.lower()  # PostgreSQL folds the DDL's names to lower case
    assert "[account.staff]: unknown table 'oep_usermgt_employe'; closest: oep_usermgt_employee" in error
    assert "[dossier_file]: unknown column (join oep_dossiermgt_docfileversion) in " \
           "oep_dossiermgt_docfileversion 'docFileID2'; closest: " in error
    assert f"the run did not start; every problem with the closest names: hopnhat source check {profile}" in error
    for line in check.stdout.splitlines():  # the check names the same problems
        if line.strip().startswith("error"):
            problem = line.split(":", 1)[1].strip()
            assert problem in error, problem
    assert _store_rows(store_url) == (0, 0, 0)

    fixed = build(source_url, tmp_path)  # the profile as it should be: the same command runs
    again = hopnhat("run", "--store", store_url, str(fixed), env=env)
    assert again.code == 0, again.stdout + again.stderr
    runs, batches, records = _store_rows(store_url)
    assert runs == 1 and batches > 0 and records > 0
