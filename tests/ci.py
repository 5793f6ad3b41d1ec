"""Whether the suite runs in CI, decided in one place: there a missing PostgreSQL or Chromium fails, never skips."""

from __future__ import annotations

import os

import pytest

TRUE = {"1", "true", "yes", "on"}


def under_ci() -> bool:
    """``CI`` set to a true-ish value (1, true, yes, on; any case)."""
    return os.environ.get("CI", "").strip().lower() in TRUE


def needed(reason: str) -> None:
    """Skip with ``reason``; under CI, fail with it instead: CI must really run the test."""
    if under_ci():
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
