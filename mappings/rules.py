"""Resolve what a legacy record says about its place to a new commune, with the rule.

Rules, tried in this order; the first that decides wins and is recorded in the
:class:`Decision` (``rule``, ``score``, ``detail``):

``manual``
    a reviewer's decision imported from the review queue (``hopnhat map review import``).
``official:<change>``
    the record's old commune code is in the official table and goes to one new commune
    (``<change>`` is the table's classification: whole, kept, renamed, special).
``split:rule-list`` / ``split:address``
    the old commune was split; a province-supplied list of hamlets/villages/streets
    names the part, matched exactly (rule-list) or with rapidfuzz above the threshold
    (address).
``policy:default-part``
    the old commune was split and the province turned on the default-part policy:
    the record goes to the part the province chose. Never on by default.
``district:single`` / ``district:address``
    no commune code, a district code: the district's only unit (island districts), or
    the commune found by name in the record's address inside that district.
``names:address``
    no usable code (unknown, malformed, another province's): the commune found from the
    unit names and address text.
``already-new``
    no usable code, and the address is already in the two-level form written from 1 July
    2025 ("Phường Hoàn Kiếm, Thành phố Hà Nội"): a new province last, a commune of it right
    before, no district. The new commune itself. When the same text also reads as an old
    commune of that name (and type) in the old province of that name that went to another
    new commune, neither reading wins: ``review:old-or-new`` with both candidates. A district
    or an old province named makes the address old-form.
``review:<reason>``
    nothing above decides; the record goes to the review queue with the reason and the
    candidates. Never a silent guess.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

from mappings import explanations as explain
from mappings.address import ParsedAddress, parse_address, strip_type
from mappings.names import NameIndex, NewForm
from mappings.split_rules import SplitRules
from mappings.tail import TailReader
from mappings.text import fold_key, name_key
from mappings.units import OldUnit, Part, UnitTable
from migrate.core.errors import MappingError
from migrate.core.messages import msg

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 88.0
_CACHE_LIMIT = 200_000
_UNSEEN = object()
_DIGITS = re.compile(r"\d+")


class UnitRef(NamedTuple):
    """What one legacy record says about its place.

    Immutable like a frozen dataclass, but a named tuple: one is built for every record a
    batch remaps, and building a named tuple costs half as much (and hashing it a third).
    """

    province_code: str | None = None
    district_code: str | None = None
    commune_code: str | None = None
    address: str | None = None
    province_name: str | None = None
    district_name: str | None = None
    commune_name: str | None = None

    @property
    def key(self) -> str:
        """A stable fingerprint of the reference; review decisions are keyed by it."""
        text = "\x1f".join((v or "").strip() for v in (
            self.province_code, self.district_code, self.commune_code, self.address,
            self.province_name, self.district_name, self.commune_name))
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]

    def is_empty(self) -> bool:
        return not any((v or "").strip() for v in (
            self.province_code, self.district_code, self.commune_code, self.address,
            self.province_name, self.district_name, self.commune_name))


@dataclass(frozen=True)
class Decision:
    """The new commune chosen for one reference, and why."""

    new_commune: str | None       # None = unresolved -> review queue
    new_province: str | None
    rule: str
    score: float | None = None
    detail: str = ""
    candidates: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.new_commune is not None

    @property
    def reason(self) -> str:
        """For unresolved decisions: the review reason (``review:<reason>`` without prefix)."""
        return self.rule.removeprefix("review:") if not self.resolved else ""


@dataclass(frozen=True)
class ManualDecision:
    """A reviewer's decision for one reference (see :mod:`mappings.review`)."""

    ref_key: str
    new_commune: str
    decided_by: str = ""
    note: str = ""


def _last_three(text: str) -> str:
    """The last three comma-separated parts of an address, each as :func:`name_key` has it (so two
    spellings the parser takes for one name are one key here too)."""
    parts = text.rsplit(",", 3)
    return "|".join(name_key(p) for p in parts[-3:]) if len(parts) >= 3 else ""


def _official_names(table: UnitTable) -> dict[str, OldUnit]:
    """Commune, district and province names as the official table spells them (the province also
    without its type word) → the one old commune they name; endings shared by two are left out."""
    index: dict[str, OldUnit | None] = {}
    communes: dict[tuple[str, str], set[str]] = defaultdict(set)      # (district, folded name) → communes
    districts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in table.old_communes():
        for name in {o.commune_name, o.commune_name_gso} - {""}:
            communes[(o.district_code, fold_key(strip_type(name)))].add(o.commune_code)
        districts[(o.province_code, fold_key(strip_type(o.district_name)))].add(o.district_code)
    for o in table.old_communes():
        if not o.commune_code or len(districts[(o.province_code, fold_key(strip_type(o.district_name)))]) > 1:
            continue         # "Nga Thanh" may be Nga Thành written without marks: the parser weighs it
        if any(len(communes[(o.district_code, fold_key(strip_type(n)))]) > 1
               for n in {o.commune_name, o.commune_name_gso} - {""}):
            continue
        for commune in {o.commune_name, o.commune_name_gso} - {""}:
            for province in {o.province_name, strip_type(o.province_name)}:
                key = _last_three(f"{commune}, {o.district_name}, {province}")
                index[key] = o if index.get(key, o) == o else None
    return {k: v for k, v in index.items() if v is not None}


def normalize_code(value: str | None, width: int) -> tuple[str | None, str]:
    """``(code, problem)``: digits zero-padded to ``width``; ``None`` and a problem if malformed."""
    text = (value or "").strip()
    if not text:
        return None, ""
    if text.endswith(".0"):          # numbers read through a spreadsheet
        text = text[:-2]
    if not _DIGITS.fullmatch(text) or len(text) > width:
        return None, explain.MALFORMED.format(value=repr(text), width=width)
    return text.zfill(width), ""


@dataclass
class Resolver:
    """Applies the rules above. Build once (indexes are precomputed), call :meth:`resolve` often."""

    table: UnitTable
    split_rules: SplitRules | None = None
    manual: Iterable[ManualDecision] | Mapping[str, ManualDecision] | None = None
    default_part_policy: bool | Mapping[str, str] = False
    threshold: float = DEFAULT_THRESHOLD
    _manual: dict[str, ManualDecision] = field(init=False, repr=False)
    _defaults: dict[str, str] = field(init=False, repr=False)
    _cache: dict[UnitRef, Decision] = field(init=False, repr=False)
    _code_cache: dict[tuple, Decision | None] = field(init=False, repr=False)  # codes -> decision, see by_codes

    def __post_init__(self) -> None:
        items = self.manual.values() if isinstance(self.manual, Mapping) else (self.manual or ())
        self._manual = {m.ref_key: m for m in items}
        if isinstance(self.default_part_policy, Mapping):
            defaults = dict(self.default_part_policy)
        elif self.default_part_policy:
            defaults = self.split_rules.defaults if self.split_rules else {}
            if not defaults:
                log.warning(msg("default-part policy is on but no default parts were supplied"))
        else:
            defaults = {}
        bad = [f"{old}→{new}" for old, new in defaults.items()
               if new not in {p.new.code for p in self.table.parts(old)} or len(self.table.parts(old)) < 2]
        if bad:
            raise MappingError("Default parts must name a part of a split old commune: " + ", ".join(bad))
        self._defaults = defaults
        self._cache = {}
        self._code_cache = self._code_decisions()

    # The name indexes cost seconds to build and only records without usable codes need them:
    # built on first use, so a run (a cutover delta) whose records carry their codes never waits for them.
    @cached_property
    def _names(self) -> NameIndex:
        return NameIndex(self.table, threshold=self.threshold)

    @cached_property
    def _tail(self) -> TailReader:
        return TailReader(self.table)

    @cached_property
    def _official_names(self) -> dict[str, OldUnit]:
        return _official_names(self.table)

    def ready(self) -> Resolver:
        """Build every index now (a benchmark times resolving, not building); returns the resolver."""
        built = (self._names, self._tail, self._official_names)  # each built on first access
        log.debug("resolver ready: %d name indexes", len(built))
        return self

    def afresh(self) -> Resolver:
        """The same rules with no decision kept yet, sharing the name indexes this one has built (they are
        only read): what a benchmark measures each slice with, without building the indexes again."""
        fresh = replace(self)
        for name in ("_names", "_tail", "_official_names"):
            if name in self.__dict__:  # a cached_property once built
                fresh.__dict__[name] = self.__dict__[name]
        return fresh

    def _code_decisions(self) -> dict[tuple, Decision | None]:
        """Every code tuple an old commune that went whole is written with in the official form
        (province, district, commune; the province or the district or both left out) -> its decision.

        Precomputed, so the load's commonest question (the record carries its old codes) is one
        dict lookup on the codes as the record holds them; other spellings (``"4"`` for ``"00004"``,
        ``"35.0"``) are decided by the rules once and kept, up to ``_CACHE_LIMIT`` of them.
        """
        out: dict[tuple, Decision | None] = {}
        for old in self.table.old_communes():
            parts = self.table.parts(old.commune_code) if old.commune_code else []
            if len(parts) != 1:
                continue
            decision = self._settle(parts, None, via="official")  # type: ignore[arg-type]  # one part: no address
            for province in (old.province_code, None):
                for district in (old.district_code, None):
                    out[(province, district, old.commune_code)] = decision
        return out

    def resolve(self, ref: UnitRef) -> Decision:
        """The decision for one reference. Never raises on bad input."""
        hit = self._code_cache.get(ref[:3])  # the codes (province, district, commune): see by_codes
        if hit is not None and not self._manual:
            return hit
        fast = self._by_code_only(ref)  # before the cache: the codes alone are cheaper to hash than the ref
        if fast is not None:
            return fast
        hit = self._cache.get(ref)
        if hit is not None:
            return hit
        fast = self._by_official_names(ref)
        if fast is not None:
            return fast
        try:
            decision = self._resolve(ref)
        except Exception as exc:  # a bad record must never stop a batch
            log.exception(msg("resolver failed on {reference}", reference=repr(ref)))
            decision = Decision(None, None, "review:error", detail=explain.INTERNAL.format(error=exc))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[ref] = decision
        return decision

    def _by_code_only(self, ref: UnitRef) -> Decision | None:
        """An old commune code that went whole to one new commune decides without the address.

        The same decision :meth:`_resolve` reaches by its official rule, cached by the
        codes alone, so millions of distinct addresses do not each cost a parse and a
        cache entry. ``None``: the full rules are needed.
        """
        hit = self.by_codes(ref.province_code, ref.district_code, ref.commune_code)
        if hit is None or (self._manual and ref.key in self._manual):
            return None
        return hit

    def by_codes(self, province: str | None, district: str | None, commune: str | None) -> Decision | None:
        """The decision of the official rule for a record's old codes alone, or ``None`` when the codes
        do not decide (unknown, split, contradicting each other): then :meth:`resolve` applies every rule.

        One lookup in a dict keyed by the code tuple, no object built per call (see
        :meth:`_code_decisions`); a reviewer's decision keyed by the whole reference is
        :meth:`resolve`'s to apply.
        """
        codes = (province, district, commune)
        hit = self._code_cache.get(codes, _UNSEEN)
        if hit is _UNSEEN:
            hit = self._official_single(province, district, commune)
            if len(self._code_cache) >= _CACHE_LIMIT:
                self._code_cache = self._code_decisions()
            self._code_cache[codes] = hit
        return hit  # type: ignore[return-value]

    def _by_official_names(self, ref: UnitRef) -> Decision | None:
        """An address ending with an old commune's official names, commune, district, province
        ("…, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội"), decides by one lookup.

        The same decision :meth:`_resolve` reaches by name (``names:address``), without parsing
        the address; ``None`` when the record carries a code, a reviewer decided it, the ending
        is not exactly official names of one old commune, or a split rule would read the rest.
        """
        if ref.province_code or ref.district_code or ref.commune_code or not self._official_names:
            return None
        text = ", ".join(v for v in (ref.address, ref.commune_name, ref.district_name, ref.province_name)
                         if v and v.strip())
        unit = self._official_names.get(_last_three(text))
        if unit is None or (self._manual and ref.key in self._manual):
            return None
        parts = self.table.parts(unit.commune_code)
        if len(parts) > 1 and self.split_rules is not None:
            return None
        return self._settle(parts, None, via="names:address", why=explain.FOUND_BY_NAME)  # type: ignore[arg-type]

    def _official_single(self, province: str | None, district: str | None, commune: str | None) -> Decision | None:
        code, _ = normalize_code(commune, 5)
        parts = self.table.parts(code) if code else []
        if len(parts) != 1:
            return None
        prov, _ = normalize_code(province, 2)
        if prov and prov not in self._old_provinces:
            prov = None
        dist, _ = normalize_code(district, 3)
        if dist and dist not in self._names.district_by_code:
            dist = None
        old = parts[0].old
        if (prov and prov != old.province_code) or (dist and dist != old.district_code):
            return None
        return self._settle(parts, None, via="official")  # type: ignore[arg-type]  # one part: no address used

    def resolve_address(self, text: str) -> Decision:
        """Shorthand for a free-text address alone."""
        return self.resolve(UnitRef(address=text))

    # --- the rules, in order ------------------------------------------------------
    def _resolve(self, ref: UnitRef) -> Decision:
        if ref.is_empty():
            return Decision(None, None, "review:empty", detail=explain.EMPTY)
        manual = self._manual.get(ref.key)
        if manual is not None:
            return self._manual_decision(manual)
        prov, prov_problem = normalize_code(ref.province_code, 2)
        if prov and prov not in self._old_provinces:
            prov_problem, prov = explain.NOT_A_PROVINCE.format(code=prov), None
        dist, dist_problem = normalize_code(ref.district_code, 3)
        if dist and dist not in self._names.district_by_code:
            dist_problem, dist = explain.NOT_A_DISTRICT.format(code=dist), None
        code, code_problem = normalize_code(ref.commune_code, 5)
        parsed = parse_address(", ".join(v for v in (ref.address, ref.commune_name, ref.district_name,
                                                      ref.province_name) if v and v.strip()))
        if code:
            parts = self.table.parts(code)
            if parts:
                old = parts[0].old
                label = f"{old.commune_name}, {old.district_name}, {old.province_name}"
                if prov and prov != old.province_code:
                    why = explain.CODE_PROVINCE_CLASH.format(code=code, old=label, other=prov)
                elif dist and dist != old.district_code:
                    why = explain.CODE_DISTRICT_CLASH.format(code=code, old=label, other=dist)
                else:
                    return self._settle(parts, parsed, via="official")
                return self._by_names(parsed, prov, dist, "names:address", why, "code-mismatch")
            why, reason = explain.CODE_UNKNOWN.format(code=code), "unknown-code"
        elif code_problem:
            why, reason = explain.CODE_MALFORMED.format(problem=code_problem), "malformed-code"
        elif dist:
            keyed = self.table.district_keyed_parts(dist)
            if keyed and len(self.table.district_parts(dist)) == len(keyed):
                return self._settle(keyed, parsed, via="district:single",
                                    why=explain.DISTRICT_EMPTY.format(code=dist))
            why, reason = explain.DISTRICT_ONLY.format(code=dist), "district-only"
        else:
            why, reason = "", "unresolved"
        notes = "".join(explain.IGNORED.format(problem=p) for p in (prov_problem, dist_problem) if p)
        rule = "district:address" if dist and not code else "names:address"
        return self._by_names(parsed, prov, dist, rule, why + notes, reason)

    @property
    def _old_provinces(self) -> dict[str, str]:
        return self._names.old_province_names

    def _by_names(self, parsed: ParsedAddress, prov: str | None, dist: str | None, rule: str,
                  why: str, reason: str) -> Decision:
        if not parsed.units():
            return Decision(None, None, f"review:{reason}",
                            detail=why + (explain.NO_UNIT if parsed.raw else explain.NO_ADDRESS))
        located = self._names.locate(parsed, province_code=prov, district_code=dist)
        if not located.district_named:
            form = self._names.new_format(parsed)
            if form is not None:
                return self._already_new(form, parsed, why)
        if len(located.units) != 1:
            tail = self._tail.read(parsed.raw)
            if tail is not None and len(tail.units) == 1 and (not located.units or tail.units[0] in located.units):
                parts = self.table.parts(tail.units[0].commune_code)
                return self._settle(parts, parsed, via=rule, score=located.score,
                                    why=why + explain.FOUND_FROM_END.format(how=tail.how))
        if len(located.units) == 1:
            parts = self.table.parts(located.units[0].commune_code)
            return self._settle(parts, parsed, via=rule, score=located.score, why=why + explain.FOUND_BY_NAME)
        if located.units:
            targets = {p.new.code for u in located.units for p in self.table.parts(u.commune_code)}
            if len(targets) == 1:
                parts = self.table.parts(located.units[0].commune_code)
                return self._settle(parts, parsed, via=rule, score=located.score,
                                    why=why + explain.FOUND_SAME_TARGET.format(n=len(located.units)))
            return Decision(None, None, "review:ambiguous-name", located.score,
                            why + explain.SEVERAL.format(address=parsed.raw, how=located.how), tuple(sorted(targets)))
        if located.elsewhere:
            targets = {p.new.code for u in located.elsewhere for p in self.table.parts(u.commune_code)}
            where = "; ".join(f"{u.commune_name}, {u.district_name}" for u in located.elsewhere[:4])
            return Decision(None, None, "review:other-district", located.score,
                            why + explain.OTHER_DISTRICT.format(address=parsed.raw, district=located.districts[0].name,
                                                            where=where), tuple(sorted(targets)))
        if len(located.districts) == 1:
            keyed = self.table.district_keyed_parts(located.districts[0].code)
            if keyed and len(self.table.district_parts(located.districts[0].code)) == len(keyed):
                return self._settle(keyed, parsed, via=rule, score=located.score, why=why + explain.FOUND_BY_NAME)
        if located.doubted:
            return Decision(None, None, "review:ambiguous-name", located.score,
                            why + explain.DOUBTED.format(name=located.doubted, address=parsed.raw, how=located.how))
        return Decision(None, None, f"review:{reason}", located.score,
                        why + explain.NOT_FOUND.format(address=parsed.raw, how=located.how))

    def _already_new(self, form: NewForm, parsed: ParsedAddress, why: str) -> Decision:
        """A two-level address: its new commune, unless the same text also reads as an old commune
        (same name and type, in the old province of the same name) that went elsewhere."""
        new = form.commune
        label = f"{new.name}, {new.province_name}"
        targets = {p.new.code for u in form.namesakes for p in self.table.parts(u.commune_code)}
        olds = "; ".join(f"{u.commune_name}, {u.district_name}" for u in form.namesakes[:4])
        if targets <= {new.code}:
            also = explain.ALREADY_NEW_TOO.format(olds=olds) if targets else ""
            return Decision(new.code, new.province_code, "already-new", None,
                            why + explain.ALREADY_NEW.format(address=parsed.raw, new=label) + also)
        names = ", ".join(self.table.new_commune(c).name for c in sorted(targets))  # type: ignore[union-attr]
        return Decision(None, None, "review:old-or-new", None,
                        why + explain.OLD_OR_NEW.format(address=parsed.raw, new=label, olds=olds, names=names),
                        tuple(sorted(targets | {new.code})))

    def _manual_decision(self, manual: ManualDecision) -> Decision:
        new = self.table.new_commune(manual.new_commune)
        if new is None:
            return Decision(None, None, "review:manual-invalid",
                            detail=explain.MANUAL_INVALID.format(code=manual.new_commune))
        template = ((explain.MANUAL_BY_NOTE if manual.note else explain.MANUAL_BY) if manual.decided_by
                    else explain.MANUAL_NOTE if manual.note else explain.MANUAL)
        return Decision(new.code, new.province_code, "manual",
                        detail=template.format(who=manual.decided_by, new=f"{new.name}, {new.province_name}",
                                               note=manual.note))

    def _settle(self, parts: list[Part], parsed: ParsedAddress, *, via: str,
                score: float | None = None, why: str = "") -> Decision:
        old = parts[0].old
        place = f"{old.district_name}, {old.province_name}"
        label = f"{old.commune_name}, {place}" if old.commune_name else explain.NO_COMMUNE.format(district=place)
        if len(parts) == 1:
            new = parts[0].new
            rule = f"official:{parts[0].change}" if via == "official" else via
            return Decision(new.code, new.province_code, rule, score,
                            why + explain.WHOLE.format(old=label, new=f"{new.name}, {new.province_name}",
                                                   change=parts[0].note or parts[0].change))
        by_code = {p.new.code: p.new for p in parts}
        names = ", ".join(p.new.name for p in parts)
        if self.split_rules is not None:
            m = self.split_rules.match(old.commune_code, parsed.details(), threshold=self.threshold)
            if m is not None:
                new = by_code[m.new_commune_code]
                kind = "rule-list" if m.score is None else "address"
                template = explain.SPLIT_LISTED if m.score is None else explain.SPLIT_MATCHED
                text = template.format(old=label, names=names, matched=m.matched, score=f"{m.score or 0:.0f}",
                                       kind=m.rule.kind, value=m.rule.value, new=new.name, row=m.rule.row)
                return Decision(new.code, new.province_code, f"split:{kind}", m.score, why + text, tuple(by_code))
        default = self._defaults.get(old.commune_code)
        if default is not None:
            new = by_code[default]
            return Decision(new.code, new.province_code, "policy:default-part", score,
                            why + explain.SPLIT_DEFAULT.format(old=label, names=names, new=new.name), tuple(by_code))
        return Decision(None, None, "review:split-ambiguous", score,
                        why + explain.SPLIT_AMBIGUOUS.format(old=label, names=names), tuple(by_code))
