"""The real-address benchmark corpus: how its expected answers are derived, and their check.

Each row of ``mappings/data/bench/real-addresses.csv`` is an address someone wrote, with its
public source, the old commune it names (``old_commune_code``) and the expected new commune(s)
taken from the official table for that old commune (several, ``;``-joined, for a split commune:
the right answer is then review with exactly those candidates). Rows already in the two-level
format name a new commune (``old_commune_code`` empty, kind ``already-new``).

The old commune is read from the text by a deliberately literal reader, independent of the
resolver under test: whole names (diacritics folded) that occur in the text in the order
commune, district, province, every one of them in the table under that parent; a name that fits
two old communes, or a text where two communes of the district are named, is dropped from the
corpus rather than guessed. Registry exports that append the units picked from their own lists
after the typed text give the old commune from those picked units; the typed text is kept as the
address only when it names that commune and no other of its district.

``python -m mappings.corpus check`` verifies every row against the official table: the expected
answer is exactly what the table maps the named old commune to. ``kind`` says how the address
is written (see :data:`KINDS`); ``part`` puts a fixed fifth of the rows (by a hash of the
address) in ``heldout``, which is measured but never used to tune the parser.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from mappings.address import number_key, strip_type, unit_kind
from mappings.text import has_marks, name_key, strip_marks
from mappings.units import NewCommune, OldUnit, UnitTable

CORPUS = Path(__file__).resolve().parent / "data" / "bench" / "real-addresses.csv"
COLUMNS = ("address", "expected_new_commune", "old_commune_code", "kind", "part", "source", "note")

# How an address is written; the first that applies is the row's kind.
KINDS = ("already-new", "no-commune", "outdated-district", "tab-separated", "english", "noise", "no-commas",
         "glued", "no-diacritics", "abbreviated", "full")
_ENGLISH = re.compile(r"(?i)\b(?:ward|district|city|street|commune|province)\b")

# Districts abolished before the 2025 table whose communes the table lists under their successor
# (Resolution 1111/NQ-UBTVQH14, 2020: Quận 2, Quận 9 and Quận Thủ Đức became Thành phố Thủ Đức).
ABOLISHED_DISTRICTS = {("79", "quan 2"): "769", ("79", "quan 9"): "769", ("79", "quan thu duc"): "769"}

_PROVINCE_ALIASES = {
    "79": ("ho chi minh", "tp hcm", "tphcm", "hcm", "sai gon", "hcmc"),
    "01": ("ha noi", "hn", "hanoi"), "46": ("hue", "thua thien hue"),
    "77": ("ba ria vung tau", "brvt"),
}
_COMMUNE_TYPES = r"(?:phuong|xa|thi tran|p|f|x|tt|ward|commune)"
_DISTRICT_TYPES = r"(?:quan|huyen|thi xa|thanh pho|q|h|tx|tp|district)"
_SEPARATORS = frozenset(",;|\t\n")
_HOUSE_NUMBER = re.compile(r"(?:^|[ ,])(?:so |no )?\d[0-9a-z/]*\s*$")
_NEW_TYPES = {"phuong": "phuong|p", "xa": "xa|x", "dac": "dac khu"}
_ROMAN = {1: "i", 2: "ii", 3: "iii", 4: "iv", 5: "v", 6: "vi", 7: "vii", 8: "viii", 9: "ix", 10: "x"}


def fold_text(text: str) -> str:
    """Lower case without diacritics, every non-alphanumeric character a space, same length as
    the NFC text (so spans found in it point into the text)."""
    return "".join(c if c.isalnum() else ("," if c in _SEPARATORS else " ")
                   for c in strip_marks(unicodedata.normalize("NFC", text)))


def _name_pattern(name: str, types: str) -> re.Pattern[str]:
    """A whole-word pattern for a unit's bare name; numbered names need their type word."""
    bare = strip_type(name)
    num = number_key(bare)
    if num is not None:
        roman = _ROMAN.get(int(num))
        alt = f"0*{num}" + (f"|{roman}" if roman else "")
        return re.compile(rf"(?<![a-z0-9]){types} *(?:{alt})(?![a-z0-9])")
    words = fold_text(bare).replace(",", " ").split()
    return re.compile(r"(?<![a-z0-9])" + r" +".join(map(re.escape, words)) + r"(?![a-z0-9])")


@dataclass(frozen=True)
class Reading:
    """The old commune a text names, and where."""

    unit: OldUnit
    commune: tuple[int, int]
    district: tuple[int, int] | None
    province: tuple[int, int] | None
    typed: bool                     # the commune name is preceded by a type word
    outdated: bool = False          # the district is named by its abolished name
    fuzzy: bool = False             # a name matched only approximately (typing noise)


class Reader:
    """The literal reader described in the module docstring."""

    def __init__(self, table: UnitTable) -> None:
        self.table = table
        self.communes: dict[str, list[OldUnit]] = defaultdict(list)      # by district code
        self.province_units: dict[str, list[OldUnit]] = defaultdict(list)
        self.districts: dict[str, dict[str, str]] = defaultdict(dict)    # province → code → name
        for o in table.old_communes():
            if o.commune_code:
                self.communes[o.district_code].append(o)
                self.province_units[o.province_code].append(o)
            self.districts[o.province_code][o.district_code] = o.district_name
        self.province_names = table.old_provinces()
        self._patterns: dict[tuple[str, str], re.Pattern[str]] = {}
        self.province_patterns = {
            code: [self._pattern(name, _DISTRICT_TYPES)]
            + [re.compile(r"(?<![a-z0-9])" + re.escape(a) + r"(?![a-z0-9])") for a in _PROVINCE_ALIASES.get(code, ())]
            for code, name in self.province_names.items()}
        self.new_by_province: dict[str, list[NewCommune]] = defaultdict(list)
        for n in table.new_communes():
            self.new_by_province[n.province_code].append(n)
        self.new_province_names = table.new_provinces()

    def _pattern(self, name: str, types: str) -> re.Pattern[str]:
        key = (name, types)
        if key not in self._patterns:
            self._patterns[key] = _name_pattern(name, types)
        return self._patterns[key]

    @staticmethod
    def _spans(pattern: re.Pattern[str], folded: str, end: int) -> list[tuple[int, int]]:
        return [m.span() for m in pattern.finditer(folded, 0, end)]

    def _province_spans(self, folded: str) -> dict[str, tuple[int, int]]:
        found = {}
        for code, patterns in self.province_patterns.items():
            spans = [s for p in patterns for s in self._spans(p, folded, len(folded))]
            if spans:
                found[code] = max(spans)             # the last mention
        return found

    def _district_spans(self, province: str, folded: str, end: int) -> dict[str, tuple[tuple[int, int], bool]]:
        found: dict[str, tuple[tuple[int, int], bool]] = {}
        for code, name in self.districts[province].items():
            spans = self._spans(self._pattern(name, _DISTRICT_TYPES), folded, end)
            if spans:
                found[code] = (max(spans), False)
        for (prov, old_name), code in ABOLISHED_DISTRICTS.items():
            if prov == province:
                m = [s for s in self._spans(re.compile(
                    r"(?<![a-z0-9])" + old_name.replace("quan ", r"(?:quan|q)\s*") + r"(?![a-z0-9])"), folded, end)]
                if m and code not in found:
                    found[code] = (max(m), True)
        return found

    def _commune_hits(self, units: Iterable[OldUnit], folded: str, end: int,
                      district_at: int | None = None) -> list[tuple[OldUnit, tuple[int, int], bool]]:
        """Communes named before ``end``: after a type word, or (``district_at`` given) right
        before the district and not right after a house number ("45 Lê Lợi Thạch Thang, Hải Châu")."""
        hits = []
        for o in units:
            spans = self._spans(self._pattern(o.commune_name, _COMMUNE_TYPES), folded, end)
            if o.commune_name_gso:
                spans += self._spans(self._pattern(o.commune_name_gso, _COMMUNE_TYPES), folded, end)
            for span in sorted(spans, reverse=True):
                before = folded[:span[0]].rstrip(" ")
                typed = bool(re.search(rf"(?<![a-z0-9]){_COMMUNE_TYPES}$", before)) or number_key(
                    strip_type(o.commune_name)) is not None
                piece = before[before.rfind(",") + 1:]
                adjacent = (district_at is not None and not folded[span[1]:district_at].strip(" ,")
                            and not _HOUSE_NUMBER.search(piece))
                if typed or adjacent:
                    hits.append((o, span, typed))
                    break
        return hits

    def readings(self, text: str, *, province: str | None = None) -> list[Reading]:
        """Every old commune the text may be read as naming (see the module docstring)."""
        folded = fold_text(text)
        if len(folded) != len(unicodedata.normalize("NFC", text)):
            return []
        provinces = self._province_spans(folded)
        if province is not None:
            provinces = {province: provinces[province]} if province in provinces else {}
        readings: list[Reading] = []
        for prov, p_span in provinces.items():
            districts = self._district_spans(prov, folded, p_span[0])
            for dist, (d_span, outdated) in districts.items():
                hits = self._commune_hits(self.communes[dist], folded, d_span[0], d_span[0])
                readings += [Reading(o, span, d_span, p_span, typed, outdated) for o, span, typed in hits]
            if not readings:   # no district named, or a commune named like its district
                hits = self._commune_hits(self.province_units[prov], folded, p_span[0])
                named = [s for s, _ in districts.values()]
                readings += [Reading(o, span, None, p_span, typed) for o, span, typed in hits
                             if typed and (not named or any(span[0] < e and s < span[1] for s, e in named))]
        return readings

    def read(self, text: str, *, province: str | None = None) -> Reading | None:
        """The one old commune the text names, or ``None`` (none, or more than one)."""
        return self._one(self.readings(text, province=province))

    @staticmethod
    def _one(readings: list[Reading]) -> Reading | None:
        if len({r.unit.commune_code for r in readings}) > 1:
            typed = [r for r in readings if r.typed]
            if len({r.unit.commune_code for r in typed}) != 1:
                return None
            readings = typed
        return readings[0] if readings else None

    def picked(self, commune: str, district: str, province: str) -> OldUnit | None:
        """The old commune a registry's own lists picked (exact names, diacritics kept)."""
        prov = [c for c, n in self.province_names.items() if name_key(strip_type(n)) == name_key(strip_type(province))]
        if province and not prov:
            prov = [c for c, aliases in _PROVINCE_ALIASES.items() if fold_text(strip_type(province)).strip() in aliases]
        hits = [o for p in prov for o in self.province_units[p]
                if name_key(o.district_name) == name_key(district) and name_key(o.commune_name) == name_key(commune)]
        return hits[0] if len(hits) == 1 else None

    def names_picked(self, text: str, typed: str, unit: OldUnit) -> Reading | None:
        """A reading of ``text`` that agrees with the picked ``unit``: literal, or, when the text
        can be read as no commune at all, with the commune name after its type word in ``typed``
        spelt approximately (rapidfuzz ratio >= 88, 8 points clear of every other commune of the
        province)."""
        found = self.readings(text, province=unit.province_code)
        if found:
            one = self._one(found)
            return one if one is not None and one.unit.commune_code == unit.commune_code else None
        if number_key(strip_type(unit.commune_name)) is not None:
            return None
        folded = fold_text(typed)
        name = " ".join(fold_text(strip_type(unit.commune_name)).split())
        n = len(name.split())
        for m in re.finditer(rf"(?<![a-z0-9]){_COMMUNE_TYPES} +", folded):
            window = " ".join(folded[m.end():].replace(",", " , ").split()[:n])
            if "," in window or len(window) < 5:
                continue
            scores = sorted(((fuzz.ratio(" ".join(fold_text(strip_type(o.commune_name)).split()), window), o)
                             for o in self.province_units[unit.province_code]), key=lambda t: -t[0])
            if scores and scores[0][1] == unit and scores[0][0] >= 88 and (
                    len(scores) < 2 or scores[0][0] - scores[1][0] >= 8):
                return Reading(unit, (0, 0), None, None, True, fuzzy=True)
        return None

    def read_new(self, text: str) -> NewReading | None:
        """The new commune a two-level address names, read literally: a new province's name last
        (a country may follow), right before it a commune type word and the name of a commune of
        that new province (the longest; its type word the commune's), and no old district named
        with its type word, nor another old province, anywhere before. ``namesakes``: the old
        communes of the same name and type in the old province of the same name."""
        folded = fold_text(text).replace(",", " , ")
        body = re.sub(r"(?:[ ,.]+(?:viet nam|vietnam|vn))?[ ,.]*$", "", folded)
        for prov, name in self.new_province_names.items():
            words = r" +".join(fold_text(strip_type(name)).split())
            m = re.search(rf"(?:^|[ ,])(?:(?:tinh|thanh pho|tp) +)?{words}$", body)
            if m is None:
                continue
            before = body[:m.start()].rstrip(" ,")
            hits: dict[int, list[NewCommune]] = defaultdict(list)
            for n in self.new_by_province[prov]:
                bare = r" +".join(fold_text(strip_type(n.name)).split())
                kind = _NEW_TYPES.get(strip_marks(n.name.split(" ")[0]).lower(), "")
                if kind and re.search(rf"(?:^|[ ,])(?:{kind}) +{bare}$", before):
                    hits[len(bare)].append(n)
            if not hits:
                return None
            found = hits[max(hits)]
            if len(found) != 1 or self._old_form(before, prov):
                return None
            new = found[0]
            same = [c for c, n in self.province_names.items() if name_key(strip_type(n)) == name_key(strip_type(name))]
            kind_word = unit_kind(new.name)
            namesakes = tuple(o for c in same for o in self.province_units[c]
                              if name_key(strip_type(o.commune_name)) == name_key(strip_type(new.name))
                              and unit_kind(o.commune_name) == kind_word)
            return NewReading(new, namesakes)
        return None

    def _old_form(self, before: str, new_province: str) -> bool:
        """An old district named with its type word, or an old province not of this new one."""
        olds = {p.old.province_code for p in self.table.rows if p.new.province_code == new_province}
        for old in olds:
            for name in self.districts[old].values():
                bare = r" +".join(fold_text(strip_type(name)).split())
                if re.search(rf"(?<![a-z0-9]){_DISTRICT_TYPES} *{bare}(?![a-z0-9])", before):
                    return True
        return any(code not in olds for code in self._province_spans(before))


@dataclass(frozen=True)
class NewReading:
    """A two-level address read by :meth:`Reader.read_new`."""

    commune: NewCommune
    namesakes: tuple[OldUnit, ...]      # old communes the same text names when read as old-form


def kind_of(text: str, reading: Reading | None, *, new: bool = False) -> str:
    """How the address is written (the first of :data:`KINDS` that applies). Without a
    reading (a row labelled by hand) the kind is told from the text alone."""
    if new:
        return "already-new"
    if reading is not None and reading.outdated:
        return "outdated-district"
    if "\t" in text:
        return "tab-separated"
    if _ENGLISH.search(text):
        return "english"
    if reading is None:
        return "noise"
    text = unicodedata.normalize("NFC", text)        # the spans point into the NFC text
    if reading.fuzzy or _misspelt(text, reading):
        return "noise"
    sep = re.compile(r"[,;|\n\t]|\s[-–]\s?")
    c0, c1 = reading.commune
    spans = [s for s in (reading.commune, reading.district, reading.province) if s is not None]
    if any(not sep.search(text[a[1]:b[0]]) for a, b in zip(spans, spans[1:])):
        return "no-commas"
    piece_start = max((m.end() for m in sep.finditer(text, 0, c0)), default=0)
    lead = fold_text(text[piece_start:c0]).strip()
    if lead and not re.search(rf"(?:^|\s){_COMMUNE_TYPES}$", lead):
        return "glued"
    if strip_marks(text) == text.lower():
        return "no-diacritics"
    if re.search(r"(?i)(?<![^\W\d_])(?:p|q|tp|tx|tt|h|x)\.|(?<![^\W\d_])[pqf]\d", text):
        return "abbreviated"
    return "full"


def _misspelt(text: str, reading: Reading) -> bool:
    """A unit written with diacritics other than its official name's ("Đà Nẳng", "Quãng Nam")."""
    o = reading.unit
    for span, name in ((reading.commune, o.commune_name), (reading.district, o.district_name),
                       (reading.province, o.province_name)):
        if span is None or span == (0, 0) or (span is reading.district and reading.outdated):
            continue
        written = strip_type(text[span[0]:span[1]])
        if has_marks(written) and name_key(written) != name_key(strip_type(name)):
            return True
    return False


def part_of(address: str) -> str:
    """``heldout`` for a fixed fifth of the addresses (by hash), else ``dev``."""
    return "heldout" if hashlib.sha256(address.encode("utf-8")).digest()[0] < 52 else "dev"


def expected_for(table: UnitTable, old_code: str) -> str:
    return ";".join(sorted({p.new.code for p in table.parts(old_code)}))


def row(table: UnitTable, address: str, reading: Reading | None, source: str, note: str = "",
        new: NewReading | None = None, old: OldUnit | None = None) -> dict[str, str]:
    """One corpus row. ``old`` (hand-labelled rows): the old commune when the literal reader
    does not read the text; neither ``reading``, ``new`` nor ``old``: review is expected.
    A two-level address that also reads as an old commune going elsewhere expects review with
    both readings' communes as the candidates."""
    address = address.strip()
    kind = kind_of(address, reading, new=new is not None)
    if reading is None and old is not None:
        reading = Reading(old, (0, 0), None, None, False)
    if reading is None and new is None:
        return {"address": address, "expected_new_commune": "review", "old_commune_code": "",
                "kind": "no-commune", "part": part_of(address), "source": source, "note": note}
    if new is not None:
        n = new.commune
        targets = {c for o in new.namesakes for c in expected_for(table, o.commune_code).split(";")}
        if targets <= {n.code}:
            expected, code = n.code, ""
            note = note or f"new {n.name}, {n.province_name}"
        else:
            expected = ";".join(sorted(targets | {n.code}))
            code = ";".join(o.commune_code for o in new.namesakes)
            note = note or (f"new {n.name}, {n.province_name}; also reads as old "
                            + "; ".join(f"{o.commune_code} {o.commune_name}, {o.district_name}" for o in new.namesakes)
                            + " without its district: review with both")
    else:
        assert reading is not None
        o = reading.unit
        expected, code = expected_for(table, o.commune_code), o.commune_code
        note = note or f"old {o.commune_name}, {o.district_name}, {o.province_name}"
    return {"address": address, "expected_new_commune": expected, "old_commune_code": code,
            "kind": kind, "part": part_of(address), "source": source, "note": note}


def load(path: Path = CORPUS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def check(table: UnitTable, rows: Iterable[dict[str, str]]) -> list[str]:
    """Problems: rows whose expected answer is not what the official table gives."""
    problems = []
    seen: set[str] = set()
    for i, r in enumerate(rows, start=2):
        where = f"line {i} ({r['address'][:40]!r})"
        if not r["source"]:
            problems.append(f"{where}: no source")
        if r["address"] in seen:
            problems.append(f"{where}: duplicate address")
        seen.add(r["address"])
        if r["kind"] not in KINDS or r["part"] not in ("dev", "heldout"):
            problems.append(f"{where}: kind {r['kind']!r} / part {r['part']!r} unknown")
        if r["kind"] == "already-new":
            problems += _check_new(table, where, r)
        elif r["old_commune_code"]:
            want = expected_for(table, r["old_commune_code"])
            if not want or r["expected_new_commune"] != want:
                problems.append(f"{where}: expects {r['expected_new_commune']}, the table maps "
                                f"{r['old_commune_code']} to {want or 'nothing'}")
        elif r["expected_new_commune"] == "review":
            if r["kind"] != "no-commune":
                problems.append(f"{where}: review expected but kind is {r['kind']}")
        elif table.new_commune(r["expected_new_commune"]) is None or r["kind"] != "already-new":
            problems.append(f"{where}: no old commune and {r['expected_new_commune']} is not a new commune")
    return problems


def _check_new(table: UnitTable, where: str, r: dict[str, str]) -> list[str]:
    """A two-level row expects its new commune; with old namesakes (same name, old province of the
    same name) going elsewhere, review with their communes and the new one as the candidates."""
    expected = set(r["expected_new_commune"].split(";"))
    olds = [table.old_commune(c) for c in r["old_commune_code"].split(";") if c]
    if not olds:
        if len(expected) != 1 or table.new_commune(next(iter(expected))) is None:
            return [f"{where}: two-level row expects {r['expected_new_commune']}, not a new commune"]
        return []
    if any(o is None for o in olds):
        return [f"{where}: {r['old_commune_code']} names an unknown old commune"]
    want = {c for o in olds for c in expected_for(table, o.commune_code).split(";")}  # type: ignore[union-attr]
    names = {name_key(strip_type(o.commune_name)) for o in olds}  # type: ignore[union-attr]
    same = [c for c in expected if (n := table.new_commune(c)) and name_key(strip_type(n.name)) in names]
    if len(names) != 1 or not same or expected != want | set(same[:1]) or want <= {same[0]}:
        return [f"{where}: two-level row expects {r['expected_new_commune']}, not the new commune named "
                f"like {r['old_commune_code']} plus where that old commune went"]
    return []


def write(rows: Iterable[dict[str, str]], path: Path = CORPUS) -> int:
    out = sorted({r["address"]: r for r in rows}.values(), key=lambda r: (r["source"], r["address"]))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(out)
    return len(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mappings.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["check"])
    args = parser.parse_args(argv)
    table = UnitTable.load()
    rows = load()
    problems = check(table, rows)
    for p in problems:
        print(p)
    print(f"{len(rows)} rows, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
