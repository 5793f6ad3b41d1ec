from __future__ import annotations

import pytest

from migrate.demo.generate import PortalManifest, build_demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[PortalManifest]:
    """The three demo portals at the default scale and seed, built once for the session."""
    return build_demo(tmp_path_factory.mktemp("demo"))
