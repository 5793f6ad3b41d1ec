from __future__ import annotations

import pytest

from opencps_fixture import create_opencps


@pytest.fixture
def opencps_sqlite(tmp_path):
    """An OpenCPS v2 database (published DDL) in SQLite, with its document library folder."""
    url = f"sqlite:///{tmp_path / 'opencps.sqlite'}"
    counts = create_opencps(url, tmp_path / "document_library")
    return url, tmp_path / "document_library", counts
