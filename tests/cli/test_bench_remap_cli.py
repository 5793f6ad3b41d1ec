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


def test_bench_remap_in_vietnamese(shell):
    from tests.cli.test_no_english_in_vietnamese import _english

    out = shell.main("--lang", "vi", "bench", "remap", "--records", "2000", expect=EXIT_OK)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("chuyển đổi mã trên 2.000 bản ghi (mã xã cũ đã sáp nhập nguyên vẹn")
    assert lines[1].startswith("  thước đo: một vòng lặp Python cố định chạy ") and " triệu bước " in lines[1]
    for label in ("tra mã (Resolver.by_codes", "resolve(ref), tham chiếu", "bản ghi -> tham chiếu -> quyết định"):
        assert any(line.startswith("  " + label) and line.endswith("/giây") for line in lines), label
    assert lines[-1] == "  các quyết định khớp với bộ quy tắc đầy đủ: có"
    english = ("code remap", "yardstick", "lookups", "record ->", "decisions agree")
    assert not [line for line in lines if line.strip().startswith(english)] and not _english(out.output), out
