"""Segment digests find the differing keys among many without listing the equal ones."""

from __future__ import annotations

from reconciliation import digests


def test_only_differing_segments_are_opened_and_the_keys_listed():
    source = {str(k): f"h{k}" for k in range(50_000)}
    store = dict(source)
    store["4242"] = "forged"
    del store["777"]
    store["99999"] = "added"
    width = digests.segment_width(len(source))
    assert width == 2  # 256 segments of about 200 records
    left, right = digests.fold(source.items(), width), digests.fold(store.items(), width)
    bad = digests.differing(left, right)
    assert 1 <= len(bad) <= 4  # the forged record in a segment on each side
    wanted = set(bad)
    opened_source = {k: v for k, v in source.items() if digests.segment_of(k, v, width) in wanted}
    opened_store = {k: v for k, v in store.items() if digests.segment_of(k, v, width) in wanted}
    assert len(opened_source) < 4 * 400  # a few segments opened, not 50,000 records
    found = [(d.key, d.kind) for d in digests.compare_keys(opened_source, opened_store)]
    assert found == [("777", "missing-in-store"), ("4242", "changed"), ("99999", "not-in-source")]


def test_equal_sides_have_equal_digests_whatever_the_order():
    items = [(str(k), f"h{k}") for k in range(1000)]
    a = digests.fold(items, 2)
    b = digests.fold(reversed(items), 2)
    assert digests.differing(a, b) == [] and a.total == 1000
