"""Parse legacy free-text Vietnamese addresses into typed parts.

"Xóm 3, xã Yên Khánh, huyện Ý Yên, tỉnh Nam Định" and
"123 Trần Hưng Đạo, P.5, Q.1, TP.HCM" both become a list of :class:`Component`:
the text of each part, its level when a type word says it (commune, district,
province, ambiguous "city"), and matching keys. Abbreviations (P., Q., TX., TP., H.,
X., TT., Tp), missing or decomposed diacritics and numbered wards ("P.5", "Phường 05",
"F5", "Phường IV") are handled here; finding the unit is :mod:`mappings.names`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from mappings.text import clean, drop_inner_digits, fold_key, has_marks, name_key, strip_marks

Level = Literal["commune", "district", "city", "province", "hamlet", "street", "country"]

# (folded prefix, level). Longest first; a prefix must be followed by a separator.
_PREFIXES: tuple[tuple[str, Level], ...] = (
    ("thanh pho truc thuoc trung uong", "province"),
    ("thi tran", "commune"), ("thi xa", "district"), ("thanh pho", "city"), ("tinh", "province"),
    ("phuong", "commune"), ("xa", "commune"), ("dac khu", "commune"),
    ("quan", "district"), ("huyen", "district"),
    ("tdp", "hamlet"), ("to dan pho", "hamlet"), ("khu pho", "hamlet"), ("thon", "hamlet"),
    ("xom", "hamlet"), ("ap", "hamlet"), ("ban", "hamlet"), ("to", "hamlet"), ("khom", "hamlet"),
    ("lang", "hamlet"), ("buon", "hamlet"), ("khu", "hamlet"), ("cum", "hamlet"), ("kp", "hamlet"),
    ("duong", "street"), ("pho", "street"), ("ngo", "street"), ("hem", "street"), ("ngach", "street"),
    ("so nha", "street"), ("so", "street"), ("no", "street"),
    ("ward", "commune"), ("commune", "commune"), ("district", "district"), ("province", "province"),
    ("tp", "city"), ("tx", "district"), ("tt", "commune"),
    ("p", "commune"), ("f", "commune"), ("x", "commune"),
    ("q", "district"), ("h", "district"), ("t", "province"),
)
_ABBREV_NEEDS_DOT = {"p", "f", "x", "q", "h", "t", "tt", "tx", "tp", "kp", "so", "no"}
_ABBREV_BEFORE_CAPITAL = {"p", "q"}             # "P Tân Tiến", "Q Bình Thạnh": a capital follows
# English renderings put the type word last: "Ben Nghe Ward", "Tan Binh District", "Thu Duc City".
_SUFFIXES: tuple[tuple[str, Level, str], ...] = (
    (" ward", "commune", "phuong"), (" commune", "commune", "xa"), (" district", "district", ""),
    (" city", "city", "thanh pho"), (" province", "province", "tinh"), (" street", "street", ""),
    (" town", "commune", "thi tran"),
)
_NUMBER_ABBREV = {"p", "f", "q", "kp"}          # "P5", "Q1", "KP3" without a dot
_COUNTRY = {"vietnam", "vn", "viet nam"}
_SPLIT = re.compile(r"\s*[,;|\n]\s*|\s+[-–_]\s*|(?<=[^\W\d])[-–_]\s+")
_KEYWORD = re.compile(
    r"(?<=\S)(?<!th[iị])\s+(?=(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh)\s|(?:tp|tx|tt|[pqhx])\.|[pqf]\d|tp\s?hcm"
    r"|(?:tt|tx|tp)\s|(?-i:[PQ]\s(?=[A-ZĐÀ-Ỹ])))",
    re.IGNORECASE)
_KEYWORD_FOLDED = re.compile(
    r"(?<=\S)(?<!thi)\s+(?=(?:xa|phuong|thi tran|huyen|quan|thi xa|thanh pho|tinh)\s|(?:tp|tx|tt|[pqhx])\.|[pqf]\d|tp\s?hcm"
    r"|(?:tt|tx|tp)\s)")
# "Đường quang trung-phường dữ lâu", "Xóm 2.xã nghỉ trung.huyện nghi lộc": a dash or dot glued to a type word
_GLUED_TYPE = re.compile(
    r"(?<=[^\W_])\s*[-–.]\s*(?=(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh|xa|phuong|thi tran|huyen|quan"
    r"|thi xa|thanh pho|tinh|tp|tt|tx)[\s.]|[pq]\.?\d)", re.IGNORECASE)
_BRVT = re.compile(r"b[àa] r[ịi]a\s*[-–]\s*v[ũu]ng t[àa]u", re.IGNORECASE)
_BARE_KEYWORDS = {"xa", "phuong", "thi tran", "huyen", "quan", "thi xa", "thanh pho", "tinh"}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
          "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15}
_NUMBER = re.compile(r"^(?:số\s*|so\s*|no\.?\s*)?0*(\d{1,3})$", re.IGNORECASE)
_HOUSE = re.compile(r"^\s*(?:số\s*)?\d+[\w/.\-]*\s+", re.IGNORECASE)
_UNIT_TYPES = re.compile(
    r"^(thành phố|thị xã|thị trấn|quận|huyện|phường|xã|tỉnh|đặc khu|thi trấn)\s+", re.IGNORECASE)

# Province-level shorthands legacy data uses (folded, spaces removed) → a province name.
PROVINCE_ALIASES = {
    "hcm": "Hồ Chí Minh", "tphcm": "Hồ Chí Minh", "hochiminh": "Hồ Chí Minh",
    "hochiminhcity": "Hồ Chí Minh", "saigon": "Hồ Chí Minh", "sg": "Hồ Chí Minh",
    "hn": "Hà Nội", "tphn": "Hà Nội", "hanoi": "Hà Nội",
    "brvt": "Bà Rịa - Vũng Tàu", "bariavungtau": "Bà Rịa - Vũng Tàu",
    "thuathienhue": "Huế", "tthue": "Huế", "tth": "Huế",
    "hp": "Hải Phòng", "dn": "Đà Nẵng", "ct": "Cần Thơ",
}


@dataclass(frozen=True)
class Component:
    """One comma-separated part of an address."""

    text: str               # as written (NFC, trimmed)
    name: str               # without its type word
    level: Level | None     # from the type word; None when the part has none
    key: str                # :func:`mappings.text.name_key` of ``name`` (numbers normalised)
    fold: str               # :func:`mappings.text.fold_key` of ``name``
    marked: bool            # the part carries diacritics (trusted as spelt)
    kind: str = ""          # the unit type word, folded: "phuong", "xa", "thi tran", "quan", ...


@dataclass(frozen=True)
class ParsedAddress:
    raw: str
    components: tuple[Component, ...]

    def units(self) -> tuple[Component, ...]:
        """The parts that may name an administrative unit (no hamlets, streets, country)."""
        return tuple(c for c in self.components if c.level not in ("hamlet", "street", "country"))

    def details(self) -> tuple[Component, ...]:
        """Hamlet, village and street parts (what split rules match)."""
        return tuple(c for c in self.components if c.level in ("hamlet", "street", None))


def number_key(name: str) -> str | None:
    """``"05"`` → ``"5"``, ``"IV"`` → ``"4"``; ``None`` when the name is not a number."""
    text = name.strip().strip(".")
    m = _NUMBER.match(text)
    if m:
        return str(int(m.group(1)))
    roman = _ROMAN.get(text.lower())
    return str(roman) if roman is not None else None


def unit_keys(name: str) -> tuple[str, str]:
    """``(key, fold)`` for an official unit name such as "Phường 05" or "Quận Ba Đình"."""
    bare = strip_type(name)
    num = number_key(bare)
    if num is not None:
        return num, num
    return name_key(bare), fold_key(bare)


def strip_type(name: str) -> str:
    """"Quận Ba Đình" → "Ba Đình"; "Thành phố Hồ Chí Minh" → "Hồ Chí Minh"."""
    return _UNIT_TYPES.sub("", clean(name), count=1)


_KIND = {"p": "phuong", "f": "phuong", "x": "xa", "tt": "thi tran", "q": "quan", "h": "huyen",
         "tx": "thi xa", "tp": "thanh pho", "t": "tinh"}


def unit_kind(name: str) -> str:
    """The folded type word an official name starts with ("Phường Phúc Xá" → "phuong")."""
    m = _UNIT_TYPES.match(clean(name))
    return strip_marks(m.group(1)) if m else ""


def _split_prefix(text: str) -> tuple[Level | None, str]:
    level, name, _ = _split_prefix_kind(text)
    return level, name


_PREFIXES_BY_LETTER: dict[str, tuple[tuple[str, Level], ...]] = {
    letter: tuple(p for p in _PREFIXES if p[0][0] == letter) for letter in {p[0][0] for p in _PREFIXES}}


def _split_prefix_kind(text: str) -> tuple[Level | None, str, str]:
    folded = strip_marks(text)
    for prefix, level in _PREFIXES_BY_LETTER.get(folded[:1], ()):
        if not folded.startswith(prefix):
            continue
        rest_folded = folded[len(prefix):]
        if not rest_folded:
            continue
        sep = rest_folded[0]
        if prefix in _ABBREV_NEEDS_DOT:
            if sep == ".":
                return level, text[len(prefix) + 1:].strip(), _KIND.get(prefix, prefix)
            if prefix in _NUMBER_ABBREV and sep.isdigit():
                return level, text[len(prefix):].strip(), _KIND.get(prefix, prefix)
            if prefix in ("tp", "tx", "tt") and sep == " ":
                return level, text[len(prefix) + 1:].strip(), _KIND.get(prefix, prefix)
            if prefix in _ABBREV_BEFORE_CAPITAL and sep == " " and text[len(prefix) + 1:][:1].isupper():
                return level, text[len(prefix) + 1:].strip(), _KIND.get(prefix, prefix)
            continue
        if sep in " .":
            return level, text[len(prefix) + 1:].strip(), _KIND.get(prefix, prefix)
    for suffix, level, kind in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return level, text[:-len(suffix)].strip(), kind
    return None, text, ""


def _split_keywords(text: str) -> list[str]:
    """Cut a comma-less address before each type word; a bare type word joins the next piece."""
    folded = strip_marks(text)
    marked = folded != text.lower()
    if marked or len(folded) != len(text):
        cuts = [m.end() for m in _KEYWORD.finditer(text)]
    else:
        cuts = [m.end() for m in _KEYWORD_FOLDED.finditer(folded)]
    pieces: list[str] = []
    start = 0
    for cut in cuts + [len(text)]:
        piece = text[start:cut].strip()
        start = cut
        if pieces and strip_marks(pieces[-1]) in _BARE_KEYWORDS:
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece:
            pieces.append(piece)
    return pieces


@lru_cache(maxsize=1 << 17)   # pure; unit parts ("Quận 1", "Hồ Chí Minh") repeat across addresses
def component(text: str) -> Component | None:
    """One address part, typed; ``None`` for an empty part."""
    text = clean(text).strip(".,;:- ")
    if not text:
        return None
    text = drop_inner_digits(text)
    level, name, kind = _split_prefix_kind(text)
    squashed = fold_key(text)
    if squashed in _COUNTRY or strip_marks(text) in _COUNTRY:
        return Component(text, text, "country", squashed, squashed, False)
    if level in (None, "city", "province") and squashed in PROVINCE_ALIASES:
        name, level = PROVINCE_ALIASES[squashed], level or "province"
    elif level in ("city", "province") and fold_key(name) in PROVINCE_ALIASES:
        name = PROVINCE_ALIASES[fold_key(name)]
    if level is None and _HOUSE.match(text):
        level, name = "street", _HOUSE.sub("", text)
        inner, inner_name, _ = _split_prefix_kind(name)     # "Số 5 phố Đội Cấn" → "Đội Cấn"
        if inner in ("street", "hamlet"):
            name = inner_name
    num = number_key(name)
    if num is not None and level in ("commune", "district", "city"):
        key = fold = num
    else:
        key, fold = name_key(name), fold_key(name)
    return Component(text, name, level, key, fold, has_marks(name), kind)


def parse_address(text: str | None) -> ParsedAddress:
    """Split an address into typed components (never raises; garbage gives few or no units)."""
    if text and "\t" in text:            # cells pasted from a spreadsheet
        text = text.replace("\t", ", ")
    raw = clean(text)
    if "-" in raw or "–" in raw or "." in raw:
        pieces = _SPLIT.split(_GLUED_TYPE.sub(", ", _BRVT.sub("Bà Rịa Vũng Tàu", raw)))
    else:
        pieces = _SPLIT.split(raw)
    return ParsedAddress(raw, tuple(c for p in pieces if p for c in _piece_components(p)))


@lru_cache(maxsize=1 << 17)   # pure; most pieces of an address repeat across records
def _piece_components(piece: str) -> tuple[Component, ...]:
    """The components of one separator-delimited piece. "xã Yên Khánh huyện Ý Yên tỉnh Nam Định",
    "Khóm 4 TT Trà Cú": cut before type words."""
    return tuple(c for c in map(component, _split_keywords(drop_inner_digits(piece))) if c is not None)
