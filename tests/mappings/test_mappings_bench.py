"""The benchmark runs and its generated addresses resolve without wrong answers."""

from __future__ import annotations

from mappings import bench
from mappings.rules import Resolver


def test_generated_sample_has_no_wrong_answers(table):
    scores = bench.generated(table, lambda: Resolver(table), sample=150, seed=3)
    total = scores[-1]
    assert total.wrong == 0 and total.right / total.total >= 0.95


def test_thi_xa_is_not_cut_before_xa(table):
    d = Resolver(table).resolve_address("phường nhà bàng thị xã tịnh biên tỉnh an giang")
    assert "Nhà Bàng" in d.detail
