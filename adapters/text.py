"""Legacy Vietnamese text: TCVN3 (ABC), VNI and Windows-1258 to Unicode NFC.

Old portals stored Vietnamese in 8-bit font encodings; read through a Latin
collation the values arrive as text such as ``"Hµ Néi"`` (TCVN3),
``"Haø Noäi"`` (VNI) or ``"Haì Nôòi"`` (Windows-1258) for ``"Hà Nội"``.

``TextRepair(mode)`` fixes one value at a time and counts what it converted:

- ``none``: values are passed through untouched;
- ``nfc``: Unicode normalised to NFC, nothing else;
- ``tcvn3``, ``vni``, ``cp1258``: every value holding non-ASCII text is
  converted from that encoding (use when a whole source is known to use it);
- ``auto``: a value is converted only when it holds words that are not
  Vietnamese syllables and one encoding turns them all into syllables.
  Correct Unicode text is never changed beyond NFC, because its words are
  already syllables.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from migrate.core.messages import Message, msg

MODES = ("none", "nfc", "auto", "tcvn3", "vni", "cp1258")
ENCODINGS = ("tcvn3", "vni", "cp1258")

# --- TCVN3 (TCVN 5712:1993, "ABC" fonts such as .VnTime): one byte per letter --------------
_TCVN3_VOWELS = {  # base letter -> bytes for grave, hook, tilde, acute, dot below
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9), "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB), "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6), "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4), "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE), "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9), "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # grave, hook, tilde, acute, dot below
_TCVN3 = {chr(b): unicodedata.normalize("NFC", base + tone)
          for base, codes in _TCVN3_VOWELS.items() for b, tone in zip(codes, _TONES)}
_TCVN3.update({"\xa8": "ă", "\xa9": "â", "\xaa": "ê", "\xab": "ô", "\xac": "ơ", "\xad": "ư", "\xae": "đ",
               "\xa1": "Ă", "\xa2": "Â", "\xa3": "Ê", "\xa4": "Ô", "\xa5": "Ơ", "\xa6": "Ư", "\xa7": "Đ"})
_TCVN3_TABLE = str.maketrans(_TCVN3)

# --- VNI (VNI-Windows fonts): a base letter followed by a mark byte ------------------------
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_G, _H, _T, _A, _D = _TONES
_VNI_MARKS = {  # mark byte after a vowel -> combining marks (lower and upper case forms)
    "â": _CIRC, "á": _CIRC + _A, "à": _CIRC + _G, "å": _CIRC + _H, "ã": _CIRC + _T, "ä": _CIRC + _D,
    "ê": _BREVE, "é": _BREVE + _A, "è": _BREVE + _G, "ú": _BREVE + _H, "ü": _BREVE + _T, "ë": _BREVE + _D,
    "ù": _A, "ø": _G, "û": _H, "õ": _T, "ï": _D,
}
_VNI_MARKS.update({k.upper(): v for k, v in list(_VNI_MARKS.items())})
_VNI_LETTERS = {  # bytes that are whole letters
    "ô": "o" + _HORN, "ö": "u" + _HORN, "Ô": "O" + _HORN, "Ö": "U" + _HORN, "ñ": "đ", "Ñ": "Đ",
    "í": "i" + _A, "ì": "i" + _G, "æ": "i" + _H, "ó": "i" + _T, "ò": "i" + _D, "î": "y" + _D,
    "Í": "I" + _A, "Ì": "I" + _G, "Æ": "I" + _H, "Ó": "I" + _T, "Ò": "I" + _D, "Î": "Y" + _D,
}
_VNI_VOWELS = set("aeiouyAEIOUY")
_VNI_BREVE_OK = set("aA")
_VNI_CIRC_OK = set("aeoAEO")

# --- Vietnamese syllables, to tell a garbled value from a correct one -------------------------
_NUCLEI = sorted("""a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê
    ui uô uơ uy ưa ưi ươ ưu yê iêu yêu oai oay oao oeo uây uôi ươi ươu uya uyê uyu""".split(), key=len,
                 reverse=True)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnpqrstvx])?"
    r"(?:" + "|".join(_NUCLEI) + r")"
    r"(?:ch|ng|nh|[cmnptk])?"  # k: place names such as Đắk Lắk
)
_WORD = re.compile(r"(?:[^\W\d_]|[\xa1-\xff]|[\u0300-\u036f])+")  # letters and 8-bit font bytes
_TONE_SET = set(_TONES)


def is_syllable(word: str) -> bool:
    """A plausible Vietnamese syllable: initial, vowel cluster, final, at most one tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for ch in decomposed if ch in _TONE_SET)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_SET))
    return _SYLLABLE.fullmatch(bare) is not None


def _score(text: str) -> tuple[int, int]:
    """(syllables, non-syllables) among the words that are not plain ASCII."""
    good = bad = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if is_syllable(word):
            good += 1
        else:
            bad += 1
    return good, bad


def from_tcvn3(text: str) -> str:
    return unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE))


def from_vni(text: str) -> str:
    out: list[str] = []
    for ch in text:
        mark = _VNI_MARKS.get(ch)
        prev = out[-1][-1:] if out else ""
        base = out[-1][:1] if out else ""
        if mark is not None and base in _VNI_VOWELS and prev not in _TONE_SET:
            if (mark.startswith(_BREVE) and base not in _VNI_BREVE_OK) or \
               (mark.startswith(_CIRC) and base not in _VNI_CIRC_OK):
                out.append(ch)
                continue
            out[-1] += mark
            continue
        out.append(_VNI_LETTERS.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def from_cp1258(text: str) -> str:
    """Text whose Windows-1258 bytes were read as Windows-1252 (or Latin-1)."""
    data = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            data.append(code)
        else:
            try:
                data += ch.encode("cp1252")
            except UnicodeEncodeError:
                return text
    try:
        return unicodedata.normalize("NFC", bytes(data).decode("cp1258"))
    except UnicodeDecodeError:
        return text


CONVERTERS = {"tcvn3": from_tcvn3, "vni": from_vni, "cp1258": from_cp1258}


def detect(text: str) -> str | None:
    """The legacy encoding ``text`` is written in, or None (plain or correct Unicode, or unsure)."""
    if text.isascii() or not any(0x80 <= ord(ch) <= 0xFF for ch in text):
        return None
    good, bad = _score(text)
    if bad == 0:
        return None
    best, best_margin = None, good - bad
    for name, convert in CONVERTERS.items():
        c_good, c_bad = _score(convert(text))
        if c_bad < bad and c_good > good and c_good - c_bad > best_margin:
            best, best_margin = name, c_good - c_bad
    return best


class TextRepair:
    """Fix text values in one mode, counting conversions per column and encoding."""

    def __init__(self, mode: str = "none") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown text mode {mode!r}; known: {', '.join(MODES)}")
        self.mode = mode
        self.converted: Counter[tuple[str, str]] = Counter()  # (column, encoding) -> values

    @property
    def active(self) -> bool:
        return self.mode != "none"

    def fix(self, value: str, column: str = "") -> str:
        if self.mode == "none" or value.isascii():
            return value
        encoding = None
        if self.mode == "auto":
            encoding = detect(value)
        elif self.mode in CONVERTERS and any(0x80 <= ord(ch) <= 0xFF for ch in value):
            encoding = self.mode
        if encoding is None:
            return unicodedata.normalize("NFC", value)
        fixed = CONVERTERS[encoding](value)
        if fixed != value:
            self.converted[(column, encoding)] += 1
        return fixed

    def summary(self) -> Message:
        if not self.converted:
            return msg("no legacy-encoded text converted")
        return msg("converted legacy text: {parts}", parts=tuple(
            msg("{column}: {n} from {encoding}", column=column or "?", n=n, encoding=encoding)
            for (column, encoding), n in sorted(self.converted.items())))
