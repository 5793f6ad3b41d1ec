"""Province-supplied split rules: which part of a split old commune a hamlet or street went to.

A CSV with one row per (old commune, list entry)::

    old_commune_code,new_commune_code,kind,value,source
    00016,00004,street,Đội Cấn,"Nghị quyết 1656/NQ-UBTVQH15, phụ lục"
    00016,00008,hamlet,Tổ dân phố 12,...
    00016,00008,default,,"Tỉnh chọn: phần đông dân nhất"

``kind`` is ``hamlet`` (thôn, xóm, ấp, bản, tổ dân phố, khu phố), ``street`` or
``default`` (the part used when the default-part policy is on; ``value`` empty).
Loading validates every row against the official table and reports every problem
at once, naming the row and the field.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz

from mappings import fuzzy
from mappings.address import Component, component
from mappings.units import UnitTable
from migrate.core.errors import MappingError
from migrate.core.messages import msg

log = logging.getLogger(__name__)

Kind = Literal["hamlet", "street", "default"]
KINDS = ("hamlet", "street", "default")
COLUMNS = ("old_commune_code", "new_commune_code", "kind", "value")


@dataclass(frozen=True)
class SplitRule:
    old_commune_code: str
    new_commune_code: str
    kind: Kind
    value: str
    source: str = ""
    row: int = 0


@dataclass(frozen=True)
class SplitMatch:
    new_commune_code: str
    rule: SplitRule
    score: float | None     # None: exact list match
    matched: str            # the address part that matched


@dataclass(frozen=True)
class SplitRules:
    rules: tuple[SplitRule, ...] = ()
    _entries: dict[str, tuple[tuple[str, SplitRule], ...]] = field(default_factory=dict, repr=False,
                                                                     compare=False)

    @classmethod
    def of(cls, rules: Iterable[SplitRule]) -> SplitRules:
        rules = tuple(rules)
        entries: dict[str, list[tuple[str, SplitRule]]] = defaultdict(list)
        for r in rules:
            if r.kind != "default":
                comp = component(r.value)
                if comp is not None:
                    entries[r.old_commune_code].append((comp.fold, r))
        return cls(rules, {k: tuple(v) for k, v in entries.items()})

    @classmethod
    def load(cls, path: Path | str, table: UnitTable) -> SplitRules:
        """Read and validate a province CSV; :class:`MappingError` lists every bad row."""
        text = Path(path).read_text("utf-8-sig")
        return cls.of(parse_rules(text, table, source=Path(path).name))

    @property
    def defaults(self) -> dict[str, str]:
        """Old commune code → the part the province chose as default."""
        return {r.old_commune_code: r.new_commune_code for r in self.rules if r.kind == "default"}

    def covers(self, old_commune_code: str) -> bool:
        return old_commune_code in self._entries

    def match(self, old_commune_code: str, details: Iterable[Component], *,
              threshold: float) -> SplitMatch | None:
        """Exact list match first (score None), then rapidfuzz above ``threshold``."""
        entries = self._entries.get(old_commune_code, ())
        if not entries:
            return None
        details = [d for d in details if d.fold]
        exact = {r.new_commune_code: (r, d) for d in details for key, r in entries if key == d.fold}
        if len(exact) == 1:
            new, (rule, comp) = next(iter(exact.items()))
            return SplitMatch(new, rule, None, comp.text)
        if len(exact) > 1:
            return None              # the address names places in two parts
        scored = sorted(((fuzz.partial_ratio(key, comp.fold), r.new_commune_code, r, comp)
                         for comp in details for key, r in entries if len(key) >= 4 and len(comp.fold) >= 4),
                        key=lambda t: -t[0])
        if not scored or scored[0][0] < threshold:
            return None
        score, new, rule, comp = scored[0]
        rival = next((s for s, n, _, _ in scored if n != new), 0.0)
        if score - rival < fuzzy.DEFAULT_MARGIN:
            return None
        return SplitMatch(new, rule, float(score), comp.text)


def parse_rules(text: str, table: UnitTable, *, source: str = "") -> list[SplitRule]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MappingError(msg("{file}: missing columns {missing} (expected {expected}, source)",
                               file=source or msg("split rules"), missing=", ".join(missing),
                               expected=", ".join(COLUMNS)))
    problems: list[str] = []
    rules: list[SplitRule] = []
    for row_no, row in enumerate(reader, start=2):
        old = (row.get("old_commune_code") or "").strip().zfill(5)
        new = (row.get("new_commune_code") or "").strip().zfill(5)
        kind = (row.get("kind") or "").strip().lower()
        value = (row.get("value") or "").strip()
        where = dict(file=source or msg("split rules"), row=str(row_no))  # row numbers stay plain digits
        parts = {p.new.code for p in table.parts(old)}
        if not parts:
            problems.append(msg("{file} row {row}, field old_commune_code: {old} is not an old commune in the "
                                "official table", **where, old=old))
        elif len(parts) < 2:
            problems.append(msg("{file} row {row}, field old_commune_code: {old} was not split (it went whole to "
                                "{new}); split rules apply to split communes only", **where, old=old,
                                new=next(iter(parts))))
        elif new not in parts:
            problems.append(msg("{file} row {row}, field new_commune_code: {new} is not one of the parts of {old} "
                                "({parts})", **where, new=new, old=old, parts=", ".join(sorted(parts))))
        if kind not in KINDS:
            problems.append(msg("{file} row {row}, field kind: {value} is not one of {known}", **where,
                                value=repr(kind), known=", ".join(KINDS)))
        elif kind != "default" and not value:
            problems.append(msg("{file} row {row}, field value: empty; a {kind} rule needs the name", **where,
                                kind=kind))
        rules.append(SplitRule(old, new, kind if kind in KINDS else "hamlet", value,  # type: ignore[arg-type]
                               (row.get("source") or "").strip(), row_no))
    defaults: dict[str, set[str]] = defaultdict(set)
    for r in rules:
        if r.kind == "default":
            defaults[r.old_commune_code].add(r.new_commune_code)
    problems += [msg("{file}: old commune {old} has {n} default parts; choose one", file=source or msg("split rules"),
                     old=k, n=len(v)) for k, v in defaults.items() if len(v) > 1]
    if problems:
        raise MappingError(problems[0] if len(problems) == 1 else
                           msg("{n} problems in split rules: {problems}", n=len(problems), problems=tuple(problems)))
    log.info(msg("loaded {n} split rules for {communes} old communes", n=len(rules),
                 communes=len({r.old_commune_code for r in rules})))
    return rules
