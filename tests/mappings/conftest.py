from __future__ import annotations

import pytest

from mappings.units import UnitTable


@pytest.fixture(scope="session")
def table() -> UnitTable:
    return UnitTable.load()
