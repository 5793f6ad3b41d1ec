"""Normalising Vietnamese unit names for matching.

Two keys per name: :func:`name_key` keeps the diacritics (lower case, NFC, tone marks
placed the same way: "Hoà" and "Hòa" are one key), :func:`fold_key` drops them too
("Văn Lang" and "Văn Lăng" are one key, so a folded match is only trusted when it
is unique).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Old-style tone placement (oà, oá, uý, ...) → the modern style the crosswalk mostly uses.
_TONE_STYLE = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_TONE_RE = re.compile("|".join(_TONE_STYLE))
_NON_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"\s+")
_FOLD = str.maketrans({"đ": "d", "Đ": "d"})
# Variants legacy systems use: quí/quy, sỹ/sĩ, the apostrophe forms in Central Highlands names.
_SPELLING = (("quí", "quý"), ("sỹ", "sĩ"))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean(text: str | None) -> str:
    """NFC, whitespace collapsed, trimmed."""
    return _SPACES.sub(" ", nfc(text or "")).strip()


@lru_cache(maxsize=1 << 17)   # pure; unit names repeat across records
def name_key(text: str | None) -> str:
    """Lower case, NFC, modern tone placement, punctuation and spaces removed."""
    s = nfc(text or "").lower()
    s = _TONE_RE.sub(lambda m: _TONE_STYLE[m.group(0)], s)
    for old, new in _SPELLING:
        s = s.replace(old, new)
    return _NON_WORD.sub("", s).replace("_", "")


def _marks_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "d"}
    for cp in range(0xC0, 0x1F00):
        base = unicodedata.normalize("NFD", chr(cp))[:1]
        if base != chr(cp) and base.isascii():
            table[cp] = base.lower()
    table.update({cp: None for cp in range(0x300, 0x370)})   # stray combining marks
    return table


_MARKS = _marks_table()   # constant, built once


def strip_marks(text: str) -> str:
    """Remove all diacritics, đ → d (lower case)."""
    return text.lower().translate(_MARKS)


@lru_cache(maxsize=1 << 17)
def fold_key(text: str | None) -> str:
    """:func:`name_key` without diacritics: "Yên Khánh" and "yen khanh" share it."""
    return strip_marks(name_key(text))


_INNER_DIGIT = re.compile(r"(?<=[^\W\d_])\d(?=[^\W\d_])")


def drop_inner_digits(text: str) -> str:
    """"Hải Dươ9ng" → "Hải Dương": a digit typed between two letters is a slip ("P5", "12A" stay)."""
    return _INNER_DIGIT.sub("", text) if _INNER_DIGIT.search(text) else text


def has_marks(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (then it is trusted as spelt)."""
    return strip_marks(text) != text.lower()
