"""The real-address corpus: every expected answer is what the official table gives."""

from __future__ import annotations

from collections import Counter

from mappings import corpus


def test_every_row_matches_the_official_table(table):
    rows = corpus.load()
    assert len(rows) >= 5000
    assert corpus.check(table, rows) == []


def test_held_out_part_is_a_fixed_fifth():
    rows = corpus.load()
    parts = Counter(r["part"] for r in rows)
    assert 0.15 < parts["heldout"] / len(rows) < 0.25
    assert all(r["part"] == corpus.part_of(r["address"]) for r in rows)


def test_check_reports_an_expected_answer_the_table_does_not_give(table):
    row = dict(next(r for r in corpus.load() if r["old_commune_code"] and r["kind"] != "already-new"))
    row["expected_new_commune"] = "99999"
    problems = corpus.check(table, [row])
    assert len(problems) == 1 and "the table maps" in problems[0]


def test_literal_reader_drops_a_street_named_like_a_commune(table):
    reader = corpus.Reader(table)
    assert reader.read("SỐ 16, NGÕ 92, PHỐ TRƯƠNG ĐỊNH, Thành phố Hà Nội") is None
    found = reader.read("Số 10, ngõ 491, đường La Thành, Phường Thành Công, Quận Ba Đình, Hà Nội")
    assert found is not None and found.unit.commune_name == "Phường Thành Công"


def test_outdated_district_reads_into_its_successor(table):
    found = corpus.Reader(table).read("92/9 Quốc Hương, P. Thảo Điền, Q. 2, Tp. Hồ Chí Minh")
    assert found is not None and found.outdated and found.unit.district_name == "Thành phố Thủ Đức"


def test_two_level_rows_read_literally(table):
    reader = corpus.Reader(table)
    found = reader.read_new("Tầng 26, Bitexco, 02 Hải Triều, Phường Sài Gòn, Thành phố Hồ Chí Minh, Việt Nam")
    assert found is not None and found.commune.code == "26740" and not found.namesakes
    assert reader.read_new("Phường Tân Định, Quận 1, Thành phố Hồ Chí Minh") is None     # a district: old form
    both = reader.read_new("108 Trần Đình Xu, Phường Cầu Ông Lãnh, Thành phố Hồ Chí Minh")
    assert both is not None and [o.commune_code for o in both.namesakes] == ["26752"]
    r = corpus.row(table, "108 Trần Đình Xu, Phường Cầu Ông Lãnh, Thành phố Hồ Chí Minh", None, "test", new=both)
    assert r["expected_new_commune"] == "26743;26758" and r["kind"] == "already-new"
    assert corpus.check(table, [r]) == []


def test_corpus_has_two_level_rows_in_both_parts():
    rows = [r for r in corpus.load() if r["kind"] == "already-new"]
    assert len(rows) >= 80 and {r["part"] for r in rows} == {"dev", "heldout"}


def test_every_row_the_literal_reader_reads_carries_the_kind_it_tells(table):
    """The per-kind figures of the bench rest on these labels: a row read as its own old commune is
    labelled with the kind ``kind_of`` tells from the text and the reading (as the builder labels it)."""
    reader = corpus.Reader(table)
    told = Counter()
    for r in corpus.load():
        code = r["old_commune_code"]
        if not code or ";" in code or r["kind"] in ("already-new", "outdated-district", "tab-separated", "english"):
            continue
        reading = reader.read(r["address"])
        if reading is None or reading.unit.commune_code != code:
            continue
        assert corpus.kind_of(r["address"], reading) == r["kind"], r["address"]
        told[r["kind"]] += 1
    assert told["full"] > 1000 and told["abbreviated"] > 100 and told["no-commas"] > 50
    assert told["no-diacritics"] > 10 and told["noise"] > 10


def test_the_check_command_prints_the_row_count_and_no_problem(capsys):
    rows = len(corpus.load())
    assert corpus.main(["check"]) == 0
    assert capsys.readouterr().out == f"{rows} rows, 0 problems\n"
