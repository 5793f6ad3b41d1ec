"""Read an address from its end when its parts are not separated: "Đông Tân Đông Hưng Thái Bình",
"19 tổ 3 k2 Bãi Cháy Hạ Long, Quảng Ninh", "10 Đinh Bộ Lĩnh Phú Cường, Thủ Dầu Một, Bình Dương".

The words of the address (diacritics folded, separators ignored) are matched from the last one
back: the province, then a district of that province right before it, then a commune of that
district (or, with no district, of the province) right before that, each the longest name that
ends exactly there, an optional type word in front of each. Every unit is thus narrowed by the
one after it, and a street or hamlet in front of the commune is never read as the commune.
A reading that fits several old communes is returned as such; the caller decides.
Spelt names are checked against the text when it carries diacritics (Văn Lang is not Văn Lăng).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mappings import explanations as explain
from mappings.address import PROVINCE_ALIASES, number_key, strip_type
from mappings.text import drop_inner_digits, name_key, nfc, strip_marks
from mappings.units import OldUnit, UnitTable

_WORD = re.compile(r"[^\W_]+")
_LETTER_DIGIT = re.compile(r"^(p|f|q|kp)(\d{1,2})$")
_COUNTRY = ("viet nam", "vietnam", "vn")
# Type words, as spelt with diacritics; a word written with other marks ("Sơn Tịnh") is no type word.
_PROVINCE_TYPES = {("tỉnh",), ("thành", "phố"), ("tp",), ("t",)}
_DISTRICT_TYPES = {("quận",), ("huyện",), ("thị", "xã"), ("thành", "phố"), ("q",), ("h",), ("tx",), ("tp",)}
_COMMUNE_TYPES = {("phường",), ("xã",), ("thị", "trấn"), ("p",), ("f",), ("x",), ("tt",)}
_LONGEST = 6
_STREET = {"duong", "pho", "ngo", "hem", "so", "ngach", "kiet", "no", "street"}


def words(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folded words, words as written, NFC lower case) with "P5"/"Q1" split into two words."""
    folded_out: list[str] = []
    marked_out: list[str] = []
    for w in _WORD.findall(nfc(text).lower()):
        w = drop_inner_digits(w)
        f = strip_marks(w)
        m = _LETTER_DIGIT.match(f)
        if m:
            folded_out += [m.group(1), m.group(2)]
            marked_out += [m.group(1), m.group(2)]
        else:
            folded_out.append(f)
            marked_out.append(w)
    return tuple(folded_out), tuple(marked_out)


def _name_words(name: str) -> tuple[str, ...]:
    bare = strip_type(name)
    num = number_key(bare)
    return (num,) if num is not None else words(bare)[0]


@dataclass(frozen=True)
class TailReading:
    units: tuple[OldUnit, ...]       # the old communes that fit (several: ambiguous)
    how: str                         # which names were read, for the decision detail


class TailReader:
    """Indexes built once from the unit table; :meth:`read` is pure."""

    def __init__(self, table: UnitTable) -> None:
        self.provinces: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for code, name in table.old_provinces().items():
            self.provinces[_name_words(name)].add(code)
        for alias, target in PROVINCE_ALIASES.items():
            codes = [c for c, n in table.old_provinces().items() if name_key(strip_type(n)) == name_key(target)]
            self.provinces[(alias,)].update(codes)
        self.provinces[("thua", "thien", "hue")].add("46")
        self.provinces[("tp", "hcm")].add("79")
        self.districts: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = defaultdict(list)
        self.communes: dict[tuple[str, tuple[str, ...]], list[OldUnit]] = defaultdict(list)
        for o in table.old_communes():
            entry = (o.district_code, o.district_name)
            key = (o.province_code, _name_words(o.district_name))
            if entry not in self.districts[key]:
                self.districts[key].append(entry)
            if not o.commune_code:
                continue
            for name in {o.commune_name, o.commune_name_gso} - {""}:
                for scope in (o.district_code, "p" + o.province_code):
                    bucket = self.communes[(scope, _name_words(name))]
                    if o not in bucket:
                        bucket.append(o)

    @staticmethod
    def _type_ends(ws: tuple[str, ...], marked: tuple[str, ...], end: int,
                   types: set[tuple[str, ...]]) -> list[int]:
        """Where the name before ``end`` may end: ``end`` itself, and before a type word there.
        A type word spelt as such comes off first; one written without diacritics is tried
        after ``end`` ("tinh" may be "tỉnh" or the last word of "Sơn Tịnh")."""
        for t in types:
            n = len(t)
            if end < n or ws[end - n:end] != tuple(map(strip_marks, t)):
                continue
            spelt = marked[end - n:end]
            if spelt == t:
                return [end - n, end]
            if all(w == strip_marks(w) for w in spelt):
                return [end, end - n]
        return [end]

    def _longest(self, ws: tuple[str, ...], end: int, scope: str, index: Mapping[tuple[str, tuple[str, ...]], list[Any]]
                 ) -> list[tuple[int, list[Any]]]:
        """(start, hits) for names in ``scope`` ending at ``end``, longest first."""
        found = []
        for n in range(min(_LONGEST, end), 0, -1):
            hits = index.get((scope, ws[end - n:end]))
            if hits:
                found.append((end - n, hits))
        return found

    def read(self, text: str) -> TailReading | None:
        ws, marked = words(text)
        end = len(ws)
        for c in _COUNTRY:
            cw = tuple(c.split())
            if ws[end - len(cw):end] == cw:
                end -= len(cw)
                break
        provinces: set[str] = set()
        p_start = end
        for n in range(min(4, end), 0, -1):
            hit = self.provinces.get(ws[end - n:end])
            if hit:
                provinces, p_start = set(hit), end - n
                break
        if not provinces:
            return None
        for at in self._type_ends(ws, marked, p_start, _PROVINCE_TYPES):
            for prov in sorted(provinces):
                found = self._before_province(ws, marked, at, prov)
                if found is not None:
                    return found
        return None

    def _before_province(self, ws: tuple[str, ...], marked: tuple[str, ...], p_start: int,
                         prov: str) -> TailReading | None:
        named = self._longest(ws, p_start, prov, self.districts)
        for d_start, districts in named:
            for before in self._type_ends(ws, marked, d_start, _DISTRICT_TYPES):
                units: list[OldUnit] = []
                for d_code, d_name in districts:
                    units += [u for u in self._commune_before(ws, marked, before, d_code) if u not in units]
                if units:
                    return TailReading(tuple(units), explain.FROM_END_DISTRICT.format(district=districts[0][1]))
        # no district named; or one named like the commune, which then needs its type word ("TT Lộc Bình")
        units = self._commune_before(ws, marked, p_start, "p" + prov, typed_only=bool(named))
        return TailReading(tuple(units), explain.FROM_END_NO_DISTRICT) if units else None

    def _commune_before(self, ws: tuple[str, ...], marked: tuple[str, ...], end: int, scope: str,
                        typed_only: bool = False) -> list[OldUnit]:
        for start, hits in self._longest(ws, end, scope, self.communes):
            name = ws[start:end]
            typed = self._type_ends(ws, marked, start, _COMMUNE_TYPES)[0] != start and ws[start - 2:start] != ("thi", "xa")
            if typed_only and not typed:
                continue
            if not typed and (name[0].isdigit() or (start and (ws[start - 1][0].isdigit() or ws[start - 1] in _STREET))):
                continue     # "Phường 5" needs its type word; "12 Trần Phú", "đường Cao Xanh" are streets
            spelt = " ".join(marked[start:end])
            if spelt != strip_marks(spelt):          # written with diacritics: they must agree
                same = [u for u in hits if name_key(strip_type(u.commune_name)) == name_key(spelt)
                        or (u.commune_name_gso and name_key(strip_type(u.commune_name_gso)) == name_key(spelt))]
                return same
            return list(hits)
        return []
