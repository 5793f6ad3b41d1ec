"""``hopnhat bench remap`` through main(): its figures are printed, never asserted as speeds."""

from __future__ import annotations

from tests.harness import EXIT_OK


def test_bench_remap_prints_its_three_rates_and_agrees_with_the_rules(shell):
    out = shell.main("bench", "remap", "--records", "5000", expect=EXIT_OK)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("code remap over 5,000 records")
    for label in ("yardstick:", "lookups (Resolver.by_codes", "resolve(ref)", "record -> reference -> decision"):
        assert any(label in line and ("/s" in line or "M steps" in line) for line in lines), label
    assert "decisions agree with the full rules: yes" in out.stdout
