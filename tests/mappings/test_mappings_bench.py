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


def test_generated_slips_are_one_slip_and_never_another_unit(table):
    import random
    o = next(x for x in table.old_communes("36") if x.commune_name == "Xã Yên Khánh")
    texts = bench.slipped(table, o, random.Random(1))
    assert {k for k, _ in texts} == set(bench.SLIPS)
    assert all(t != f"{o.commune_name}, {o.district_name}, {o.province_name}" for _, t in texts)
    styles = {s.name for s in bench.generated(table, lambda: Resolver(table), sample=20, seed=3)}
    assert {"generated: tab-separated", "generated: slip: wrong tone mark"} <= styles
