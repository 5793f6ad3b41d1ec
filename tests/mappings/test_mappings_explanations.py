"""Remap explanations: recorded in English, read back into their sentences, said in Vietnamese where shown."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mappings import explanations
from mappings.explanations import PHRASEBOOK
from mappings.rules import ManualDecision, Resolver, UnitRef
from mappings.split_rules import SplitRules, parse_rules
from migrate.core.i18n import language
from migrate.core.messages import Message

ROOT = Path(__file__).resolve().parents[2]
VI, EN = language("vi"), language("en")


def _sentences(message: object) -> set[str]:
    """The catalogue ids a read explanation is made of, nested values included."""
    if not isinstance(message, Message):
        return set()
    found = {message.text} if not message.text.startswith("{p0}") else set()
    for value in message.values.values():
        found |= _sentences(value)
    return found


@pytest.fixture(scope="module")
def details(table) -> dict[str, str]:
    """Explanation -> rule, for references of every kind the rules meet (codes, names, slips, splits, reviews)."""
    refs = [UnitRef(address=row["address"]) for i, row in enumerate(
        csv.DictReader((ROOT / "mappings/data/bench/real-addresses.csv").open(encoding="utf-8"))) if i % 3 == 0]
    for i, o in enumerate(table.old_communes()):
        if i % 29:
            continue
        refs += [UnitRef(commune_code=o.commune_code, province_code="99" if i % 2 else o.province_code),
                 UnitRef(commune_code=o.commune_code, district_code="999"),
                 UnitRef(commune_code=o.commune_code, province_code="01" if o.province_code != "01" else "02"),
                 UnitRef(province_code=o.province_code, district_code=o.district_code, address=o.commune_name),
                 UnitRef(district_code=o.district_code, address="Thôn 1"),
                 UnitRef(commune_code="12a", address=f"{o.commune_name}, {o.district_name}"),
                 UnitRef(commune_code="99999", address=f"{o.commune_name}, {o.province_name}"),
                 UnitRef(address=f"{o.commune_name[:-1]}, {o.district_name}, {o.province_name}")]
    refs += [UnitRef(), UnitRef(address="xyz"), UnitRef(district_code="755"), UnitRef(commune_code="12a", address="Thôn 1"), UnitRef(commune_code="00016"),
             UnitRef(commune_code="00016", address="Thôn Ngọc Khánh"),
             UnitRef(commune_code="00016", address="Thon Ngoc Khanhh")]
    split = parse_rules("old_commune_code,new_commune_code,kind,value,source\n"
                        "00016,00008,hamlet,Thôn Ngọc Khánh,test\n", table)
    manual = [ManualDecision(UnitRef(address="m1").key, "00008", "Nguyễn Văn A", "Theo biên bản. Số 12"),
              ManualDecision(UnitRef(address="m2").key, "00008"), ManualDecision(UnitRef(address="m3").key, "123")]
    refs += [UnitRef(address=f"m{i}") for i in (1, 2, 3)]
    out: dict[str, str] = {}
    for resolver in (Resolver(table, split_rules=SplitRules.of(split), manual=manual),
                     Resolver(table, default_part_policy={"00016": "00004"})):
        for ref in refs:
            d = resolver.resolve(ref)
            out.setdefault(d.detail, d.rule)
    return out


def test_every_explanation_reads_back_into_its_sentences(details):
    """Each explanation the rules write is read back whole, from the catalogue's sentences alone: said again in
    English it is the recorded text itself, so a store's text and the reading never disagree."""
    rules = {rule.split(":")[0] + ":" + rule.split(":")[-1] for rule in details.values()}
    assert {"official:whole", "split:rule-list", "split:address", "policy:default-part", "manual:manual",
            "district:single", "review:split-ambiguous", "review:unknown-code", "review:malformed-code",
            "review:manual-invalid", "review:empty", "already-new:already-new"} <= rules
    used: set[str] = set()
    for detail, rule in details.items():
        read = PHRASEBOOK.read(detail)
        assert isinstance(read, Message), (rule, detail)
        assert str(read) == detail and read.render(EN) == detail
        used |= _sentences(read)
    assert len(used) >= 30 and used <= set(explanations.SENTENCES + explanations.VALUES)


@pytest.mark.parametrize("recorded, vietnamese", [
    pytest.param("No commune code; district 349. Found by name: Phường Châu Giang, Thị xã Duy Tiên, Tỉnh Hà Nam "
                 "→ Phường Duy Tân, Tỉnh Ninh Bình (Nhập toàn bộ).",
                 "Không có mã xã; mã huyện 349. Tìm theo tên: Phường Châu Giang, Thị xã Duy Tiên, Tỉnh Hà Nam → "
                 "Phường Duy Tân, Tỉnh Ninh Bình (Nhập toàn bộ).", id="district:address"),
    pytest.param("Phường Hòa Mạc, Thị xã Duy Tiên, Tỉnh Hà Nam was split between Phường Duy Tiên, Phường Duy Tân; "
                 "'Thôn Ngoại' is listed as hamlet 'Thôn Ngoại' of Phường Duy Tiên (split rules row 30).",
                 "Phường Hòa Mạc, Thị xã Duy Tiên, Tỉnh Hà Nam được chia cho Phường Duy Tiên, Phường Duy Tân; "
                 "'Thôn Ngoại' có trong danh sách là thôn, xóm 'Thôn Ngoại' của Phường Duy Tiên (dòng 30 của bảng "
                 "quy tắc chia tách).", id="split:rule-list"),
    pytest.param("Commune malformed code '12a' (expected 5 digits). Ignored province code 99 is not one of the 63 "
                 "former provinces. No old commune found in 'Thôn 1' (no unit named).",
                 "Mã xã: mã sai định dạng '12a' (phải có 5 chữ số). Đã bỏ qua: mã tỉnh 99 không thuộc 63 tỉnh, "
                 "thành phố cũ. Không tìm thấy xã cũ nào trong 'Thôn 1' (không ghi đơn vị hành chính nào).",
                 id="review:malformed-code"),
    pytest.param("District 755 has no communes. (no commune), Huyện Côn Đảo, Tỉnh Bà Rịa - Vũng Tàu → Đặc khu Côn "
                 "Đảo, Thành phố Hồ Chí Minh (special).",
                 "Huyện có mã 755 không có xã nào. (không có xã), Huyện Côn Đảo, Tỉnh Bà Rịa - Vũng Tàu → Đặc khu "
                 "Côn Đảo, Thành phố Hồ Chí Minh (đặc biệt).", id="district:single"),
    pytest.param("a text no sentence reads: kept as it is", "a text no sentence reads: kept as it is", id="other"),
])
def test_recorded_explanations_are_said_in_vietnamese(recorded, vietnamese):
    """Texts as stores written before hold them are said in Vietnamese; a text no sentence reads stays as it is."""
    assert PHRASEBOOK.say(recorded, VI) == vietnamese
    assert PHRASEBOOK.say(recorded, EN) == recorded


def test_map_address_explains_in_the_chosen_language(shell):
    """``map address`` through main(): the explanation and the ERROR line's reason in Vietnamese with --lang vi."""
    address = "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội"
    vi = shell.main("--lang", "vi", "map", "address", "--explain", address).stdout.strip()
    assert vi == ("Phường Hồng Hà (00097)|Thành phố Hà Nội (01)|names:address|Tìm theo tên: Phường Phúc Xá, Quận Ba "
                  "Đình, Thành phố Hà Nội → Phường Hồng Hà, Thành phố Hà Nội (Nhập toàn bộ).")
    en = shell.main("map", "address", "--explain", address, "--lang", "en").stdout.strip()
    assert en.endswith("|names:address|Found by name: Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội → Phường Hồng "
                       "Hà, Thành phố Hà Nội (Nhập toàn bộ).")
    split = shell.main("--lang", "vi", "map", "address", "Phường Ngọc Khánh, Ba Đình, Hà Nội").stdout.strip()
    assert split.startswith("ERROR review:split-ambiguous: Tìm theo tên: Phường Ngọc Khánh, Quận Ba Đình, Thành phố "
                            "Hà Nội được chia cho ") and "; không có quy tắc nào chỉ ra thuộc phần nào." in split


def test_review_file_reasons_in_the_chosen_language(shell, tmp_path):
    """The reviewer file's reason column is said in the reviewer's language; its column names stay machine names."""
    queue = tmp_path / "queue.csv"
    queue.write_text("source,table,record_key,commune_code,address\nhanam,opencps_dossier,17,00016,\n", "utf-8")
    shell.main("--lang", "vi", "map", "review", "export", str(queue), str(tmp_path / "vi.csv"))
    shell.main("--lang", "en", "map", "review", "export", str(queue), str(tmp_path / "en.csv"))
    vi = next(csv.DictReader((tmp_path / "vi.csv").open(encoding="utf-8-sig")))
    en = next(csv.DictReader((tmp_path / "en.csv").open(encoding="utf-8-sig")))
    assert vi["reason"] == ("Phường Ngọc Hà, Quận Ba Đình, Thành phố Hà Nội được chia cho Phường Ba Đình, Phường "
                            "Ngọc Hà; không có quy tắc nào chỉ ra thuộc phần nào.")
    assert en["reason"] == ("Phường Ngọc Hà, Quận Ba Đình, Thành phố Hà Nội was split between Phường Ba Đình, Phường "
                            "Ngọc Hà; no rule names the part.")
    assert list(vi) == list(en) and vi["rule"] == en["rule"] == "review:split-ambiguous"
