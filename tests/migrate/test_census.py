"""A part's count and watermark taken in a thread beside the key comparison, its error raised to the caller."""

from __future__ import annotations

import shutil

import pytest

from adapters import open_source
from adapters.profiles import load_profile
from migrate import delta
from migrate.core.errors import SourceError


def _part(portal, folder):
    copy = folder / portal.db_path.name
    shutil.copy(portal.db_path, copy)
    profile = load_profile(portal.profile_path)
    spec = next(s for s in profile.entities.values() if s.modified)
    return open_source(profile.name, f"sqlite:///{copy}"), spec, copy


def test_the_census_in_its_thread_gives_the_count_and_watermark(demo_portals, tmp_path):
    adapter, spec, _ = _part(demo_portals[0], tmp_path)
    taken = delta.Census(adapter, spec)
    assert taken._thread is not None  # a database source: beside the caller
    assert taken.result() == (adapter.count(spec), adapter.watermark(spec))
    assert adapter.count(spec) > 0 and adapter.watermark(spec) is not None
    adapter.close()


def test_the_census_error_is_raised_where_its_result_is_asked(demo_portals, tmp_path):
    adapter, spec, copy = _part(demo_portals[0], tmp_path)
    copy.unlink()  # the file gone before the census connects
    taken = delta.Census(adapter, spec)
    taken.wait()
    with pytest.raises(SourceError):
        taken.result()
    adapter.close()
