"""Legacy Vietnamese encodings to Unicode, without touching correct text."""

from __future__ import annotations

import unicodedata

import pytest

from adapters.text import TextRepair, detect, from_cp1258, from_tcvn3, from_vni


def to_cp1258_as_cp1252(text: str) -> str:
    """What a Windows-1258 value looks like when read as Windows-1252 (tone marks are combining)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        tones = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
        rest = "".join(m for m in marks if m not in tones)
        out += unicodedata.normalize("NFC", base + rest).encode("cp1258") + "".join(tones).encode("cp1258")
    return bytes(out).decode("cp1252", errors="replace")


@pytest.mark.parametrize("garbled, expected", [
    ("Hµ Néi", "Hà Nội"),
    ("ViÖt Nam", "Việt Nam"),
    ("Th¸i B×nh", "Thái Bình"),
    ("NguyÔn V¨n An", "Nguyễn Văn An"),
    ("Sè 1 Lª Lîi", "Số 1 Lê Lợi"),
    ("Tr\xadêng", "Trường"),
])
def test_tcvn3(garbled, expected):
    assert from_tcvn3(garbled) == expected
    assert detect(garbled) == "tcvn3"


@pytest.mark.parametrize("garbled, expected", [
    ("Vieät Nam", "Việt Nam"),
    ("Haø Noäi", "Hà Nội"),
    ("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
    ("ngöôøi", "người"),
    ("VIEÄT NAM", "VIỆT NAM"),
])
def test_vni(garbled, expected):
    assert from_vni(garbled) == expected
    assert detect(garbled) == "vni"


@pytest.mark.parametrize("text", ["Việt Nam, Hà Nội, người", "Đắk Lắk", "Nguyễn Thị Hường"])
def test_windows_1258(text):
    garbled = to_cp1258_as_cp1252(text)
    assert garbled != text
    assert detect(garbled) == "cp1258"
    assert from_cp1258(garbled) == text


@pytest.mark.parametrize("text", [
    "Hà Nội", "Hà Giang", "Bá", "Thành phố Hồ Chí Minh", "Nguyễn Văn Ánh", "ĐẮK LẮK", "Café", "naïve",
    "Hôm nay trời đẹp", "Số 12, ngõ 34 Lê Lợi", "000.00.35.H35-240301-0001", "Phường Hòa Mạc", "Hoà Bình",
])
def test_correct_text_is_never_converted(text):
    assert detect(text) is None
    assert TextRepair("auto").fix(text) == unicodedata.normalize("NFC", text)


def test_repair_normalises_and_counts():
    repair = TextRepair("auto")
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    assert repair.fix(decomposed, "HoTen") == "Nguyễn"
    assert repair.fix("Hµ Néi", "DiaChi") == "Hà Nội"
    assert repair.fix("Haø Noäi", "DiaChi") == "Hà Nội"
    assert dict(repair.converted) == {("DiaChi", "tcvn3"): 1, ("DiaChi", "vni"): 1}
    assert "DiaChi: 1 from tcvn3" in repair.summary()
    assert TextRepair("none").fix(decomposed) == decomposed
    assert TextRepair("tcvn3").fix("Hµ Néi") == "Hà Nội"
    with pytest.raises(ValueError):
        TextRepair("utf-7")
