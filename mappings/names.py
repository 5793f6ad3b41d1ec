"""Find old units (and new communes) by name in a parsed address.

Indexes are built once from the :class:`~mappings.units.UnitTable`. Matching order
for one address part: the spelt name (diacritics kept, tone placement and spacing
normalised) → the folded name (diacritics removed; trusted only when it points to one
unit, because pairs such as Văn Lang / Văn Lăng exist) → rapidfuzz within a narrow
scope (one district, or one province) above the threshold.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mappings import explanations as explain
from mappings import fuzzy
from mappings.address import PROVINCE_ALIASES, Component, ParsedAddress, unit_keys, unit_kind
from mappings.text import fold_key, name_key, strip_marks
from mappings.units import NewCommune, OldDistrict, OldUnit, UnitTable

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Names(Generic[T]):
    """key → items and fold → items for one scope."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[T]] = defaultdict(list)
        self.by_fold: dict[str, list[T]] = defaultdict(list)
        self.keys: dict[str, set[str]] = defaultdict(set)      # fold → the spelt keys behind it

    def add(self, key: str, fold: str, item: T) -> None:
        self.keys[fold].add(key)
        if item not in self.by_key[key]:
            self.by_key[key].append(item)
        if item not in self.by_fold[fold]:
            self.by_fold[fold].append(item)

    def find(self, comp: Component, threshold: float | None = None) -> tuple[list[T], float, str]:
        """``(items, score, how)``; ``how`` is spelt, folded or fuzzy (empty list when none).

        A name written without any diacritics is trusted as folded, even beside marked names and
        with another name of the scope one slip away ("Xã Ea Ba, Huyện Sông Hinh" is Ea Bá, not
        Ea Bia short of a letter): people leave marks out far more often than they drop letters
        (refusing it would send 5 right answers of the real corpus to review for 1 generated slip).
        """
        if comp.marked:
            hits = self.by_key.get(comp.key)
            if hits:
                return hits, 100.0, "spelt"
        hits = self.by_fold.get(comp.fold)
        if hits:
            if comp.marked and len(hits) > 1:
                return [], 0.0, ""      # spelt differently from every one of them
            if comp.marked and not self._closest_spelt(comp):
                return [], 99.0, ""     # "Sơn Hả": Sơn Hà with a wrong mark, or Sơn Hải with a letter dropped
            return hits, (99.0 if comp.marked else 100.0), "folded"
        if threshold is None or len(comp.fold) < 3:
            return [], 0.0, ""
        match = fuzzy.best(comp.fold, self._typo_choices(comp.fold), threshold=threshold)
        if match.value is not None:
            return self.by_fold[match.value], match.score, "fuzzy"
        return [], match.score, ""

    def _typo_choices(self, fold: str) -> list[tuple[str, str]]:
        """Typos only: same first letter, nearly the same length ("Tân Thạnh" is not "An Thạnh")."""
        return [(f, f) for f in self.by_fold if f[:1] == fold[:1] and abs(len(f) - len(fold)) <= 2]

    def _rivals(self, fold: str) -> list[str]:
        """The other names of this scope one slip away from ``fold``."""
        return [f for f, _ in self._typo_choices(fold) if f != fold and fuzzy.one_slip(fold, f)]

    def _closest_spelt(self, comp: Component) -> bool:
        """The name the text's letters fold to is, marks counted, closer to the text than every other
        name of this scope one slip away ("Lộc Hóa" is Lộc Hòa, not Lộc Hạ; "Sơn Hả" is as near
        Sơn Hải as Sơn Hà)."""
        rivals = self._rivals(comp.fold)
        if not rivals:
            return True
        best = fuzzy.spelt_distance(comp.key, self.keys[comp.fold])
        return all(fuzzy.spelt_distance(comp.key, self.keys[f]) > best for f in rivals)


@dataclass(frozen=True)
class Located:
    """What a parsed address names."""

    units: tuple[OldUnit, ...]             # old communes found (several: ambiguous)
    districts: tuple[OldDistrict, ...]     # the district(s) in scope
    provinces: tuple[str, ...]             # old province codes in scope
    score: float | None                    # the weakest match used (None: all exact)
    how: str                               # a short account for the decision detail
    used: frozenset[int] = frozenset()     # indexes of the components that named units
    district_named: bool = False           # a district was given (code or text): old format
    elsewhere: tuple[OldUnit, ...] = ()    # no such commune in the named district; these of the province are
    doubted: str = ""                      # a commune name left to review: as near one unit's name as another's


@dataclass(frozen=True)
class NewForm:
    """An address read in the two-level form: the new commune it names, and the old communes of
    the same name and type in the old province of the same name (what the same text says when
    read as an old address written without its district)."""

    commune: NewCommune
    namesakes: tuple[OldUnit, ...]


class NameIndex:
    """Name lookups over the old units and the new communes."""

    def __init__(self, table: UnitTable, *, threshold: float) -> None:
        self.threshold = threshold
        self.provinces: _Names[str] = _Names()
        self.new_provinces: _Names[str] = _Names()
        self.districts: dict[str | None, _Names[OldDistrict]] = defaultdict(_Names)
        self.communes: dict[str | None, _Names[OldUnit]] = defaultdict(_Names)
        self.new_communes: dict[str, _Names[NewCommune]] = defaultdict(_Names)
        self.district_by_code = {d.code: d for d in table.old_districts()}
        self.old_province_names = table.old_provinces()
        for code, name in table.old_provinces().items():
            self.provinces.add(*unit_keys(name), code)
        self.new_province_names = table.new_provinces()
        for code, name in self.new_province_names.items():
            self.new_provinces.add(*unit_keys(name), code)
        old_by_key: dict[str, list[str]] = defaultdict(list)
        for code, name in table.old_provinces().items():
            old_by_key[unit_keys(name)[0]].append(code)
        # new province → the old province of the same name (Hà Nội → Hà Nội; Lào Cai → Lào Cai, not Yên Bái)
        self.same_named_old = {code: old_by_key.get(unit_keys(name)[0], [])
                               for code, name in table.new_provinces().items()}
        for alias, target in PROVINCE_ALIASES.items():
            for names in (self.provinces, self.new_provinces):
                for code in names.by_key.get(name_key(target), []):
                    names.add(alias, alias, code)
        self.provinces.add(name_key("Thừa Thiên Huế"), fold_key("Thừa Thiên Huế"), "46")
        for d in self.district_by_code.values():
            keys = unit_keys(d.name)
            self.districts[d.province_code].add(*keys, d)
            self.districts[None].add(*keys, d)
        for o in table.old_communes():
            if not o.commune_code:
                continue
            for name in {o.commune_name, o.commune_name_gso} - {""}:
                keys = unit_keys(name)
                for scope in (o.district_code, f"p{o.province_code}", None):
                    self.communes[scope].add(*keys, o)
        for n in table.new_communes():
            self.new_communes[n.province_code].add(*unit_keys(n.name), n)

    # --- steps ----------------------------------------------------------------------
    def _province(self, comps: list[tuple[int, Component]]) -> tuple[list[str], int | None, float]:
        """The province named last, or right before the last part; a slip in the last part
        ("Thanhh Hóa", "Nghệ Aan") is read by rapidfuzz among the 63 names before the part before
        it is taken for the province ("Thành phố Thanh Hóa, Thanhh Hóa")."""
        for n, (idx, comp) in enumerate(reversed(comps[-2:])):
            if comp.level in ("commune", "district"):
                return [], None, 100.0
            hits, score, _ = self.provinces.find(comp, self.threshold if n == 0 else None)
            if hits:
                return hits, idx, score
        return [], None, 100.0

    def locate(self, parsed: ParsedAddress, *, province_code: str | None = None,
               district_code: str | None = None) -> Located:
        comps = [(i, c) for i, c in enumerate(parsed.components)
                 if c.level not in ("hamlet", "street", "country")]
        scores: list[float] = []
        used: set[int] = set()
        # province
        provinces, p_idx, p_score = self._province(comps)
        if province_code:
            if provinces and province_code not in provinces:
                p_idx = None           # the text names another province; keep the record's
            provinces = [province_code]
        elif provinces:
            scores.append(p_score)
        if p_idx is not None:
            used.add(p_idx)
            comps = [(i, c) for i, c in comps if i != p_idx]
        # district
        districts: list[OldDistrict] = []
        d_idx = None
        if district_code and district_code in self.district_by_code:
            districts = [self.district_by_code[district_code]]
        else:
            scopes: list[str | None] = [*provinces] or [None]
            for idx, comp in list(reversed(comps))[:3]:
                if comp.level in ("commune", "province"):     # "Tỉnh Hà Giang" is not Thành phố Hà Giang
                    continue
                found: list[OldDistrict] = []
                best_score = 0.0
                for scope in scopes:
                    near, score, _ = self.districts[scope].find(
                        comp, self.threshold if comp.level and scope else None)
                    if near:
                        found += [h for h in near if h not in found]
                        best_score = max(best_score, score)
                if found:
                    districts, d_idx = found, idx
                    scores.append(best_score)
                    break
        if d_idx is not None:
            used.add(d_idx)
            comps = [(i, c) for i, c in comps if i < d_idx]
        if districts and not provinces:
            provinces = sorted({d.province_code for d in districts})
        # commune
        units: list[OldUnit] = []
        scope_keys: list[str | None] = ([d.code for d in districts] if districts
                                        else [f"p{p}" for p in provinces] or [None])
        narrow = bool(districts or provinces)
        elsewhere: list[OldUnit] = []
        doubted = ""
        for idx, comp in list(reversed(comps))[:3]:
            if comp.level in ("district", "province", "city"):
                continue
            best_score, exact = 0.0, False
            for scope in scope_keys:
                hits, score, how = self.communes[scope].find(
                    comp, self.threshold if narrow and comp.level == "commune" else None)
                if hits:
                    units += [h for h in hits if h not in units]
                    best_score = max(best_score, score)
                    exact = exact or how != "fuzzy"
                elif score == 99.0 and not doubted:
                    doubted = comp.name          # near two names of the scope, spelt as neither
            if districts and provinces and not exact and comp.level == "commune":
                elsewhere = self._elsewhere(comp, provinces, districts)
                if units and elsewhere:       # a slip in this district, or the name itself in another one
                    units += [u for u in elsewhere if u not in units]
            if len(units) > 1 and comp.kind:      # "Phường Quang Trung" is not "Xã Quang Trung"
                same = [u for u in units if comp.kind in {unit_kind(u.commune_name), unit_kind(u.commune_name_gso)}]
                units = same or units
            if units:
                used.add(idx)
                scores.append(best_score)
                elsewhere = []
                break
            if elsewhere:
                break
        worst = min(scores) if scores else None
        how = self._account(units, districts, provinces)
        return Located(tuple(units), tuple(districts), tuple(provinces),
                       None if worst is None or worst >= 100.0 else worst, how, frozenset(used),
                       bool(district_code) or d_idx is not None, tuple(elsewhere), "" if units else doubted)

    def _elsewhere(self, comp: Component, provinces: Sequence[str], districts: Sequence[OldDistrict]) -> list[OldUnit]:
        """Communes of the province spelt as ``comp`` (no slip allowed) outside the named district(s):
        a unit moved to another district (Xã Nghi Phong of Huyện Nghi Lộc is in Thành phố Vinh in the
        official list)."""
        inside = {d.code for d in districts}
        found: list[OldUnit] = []
        for p in provinces:
            hits, _, _ = self.communes[f"p{p}"].find(comp, None)
            found += [u for u in hits if u.district_code not in inside and u not in found]
        return found

    def new_format(self, parsed: ParsedAddress) -> NewForm | None:
        """The address read in the two-level form: a new province last, right before it a commune
        of that new province (its type word, when written, the commune's), no district anywhere.
        ``None`` when the text does not read so; the caller weighs :attr:`NewForm.namesakes`."""
        comps = [c for c in parsed.components if c.level not in ("hamlet", "street", "country")]
        if len(comps) < 2 or any(c.level == "district" for c in comps):
            return None
        last, named = comps[-1], comps[-2]
        if named.level not in ("commune", None) or "thua thien" in strip_marks(last.text):
            return None          # "Thừa Thiên Huế" is the old province's name
        provinces, _, _ = self.new_provinces.find(last)
        if last.kind == "thanh pho":      # "Thành phố Hà Tĩnh" is the old city of Tỉnh Hà Tĩnh, a district
            provinces = [c for c in provinces if unit_kind(self.new_province_names[c]) == "thanh pho"]
        for code in provinces:
            hits = [n for n in self.new_communes[code].find(named)[0]
                    if not named.kind or unit_kind(n.name) == named.kind]
            if len(hits) == 1:
                return NewForm(hits[0], self._namesakes(named, code))
        return None

    def _namesakes(self, named: Component, new_province: str) -> tuple[OldUnit, ...]:
        found: list[OldUnit] = []
        for old in self.same_named_old.get(new_province, []):
            for u in self.communes[f"p{old}"].find(named)[0]:
                kinds = {unit_kind(u.commune_name), unit_kind(u.commune_name_gso)}
                if (not named.kind or named.kind in kinds) and u not in found:
                    found.append(u)
        return tuple(found)

    @staticmethod
    def _account(units: list[OldUnit], districts: list[OldDistrict], provinces: list[str]) -> str:
        if units:
            return "; ".join(f"{u.commune_name}, {u.district_name}, {u.province_name}" for u in units[:4])
        if districts:
            named = "; ".join(f"{d.name}, {d.province_name}" for d in districts[:4])
            return explain.NAMED_DISTRICTS.format(names=named)
        return explain.NAMED_PROVINCES.format(codes=", ".join(provinces)) if provinces else explain.NAMED_NOTHING
