"""What the ``hopnhat map`` commands print: one-line decisions, code lookups, province counts."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mappings.explanations import PHRASEBOOK
from mappings.review import ReviewRow, review_row
from mappings.rules import Decision, Resolver, UnitRef
from mappings.units import UnitTable
from migrate.core.errors import MappingError
from migrate.core.messages import Message, msg

REF_COLUMNS = ("province_code", "district_code", "commune_code", "address",
               "province_name", "district_name", "commune_name")


def decision_line(decision: Decision, table: UnitTable, *, explain: bool = False) -> str:
    """``Phường Hồng Hà (00097)|Thành phố Hà Nội (01)``, or ``ERROR <rule>: <reason>``.

    ``ERROR`` and the rule stay as they are in every language (scripts read them); the rest of
    an ERROR line is a :class:`Message`, said in the user's language.
    """
    detail = PHRASEBOOK.recorded(decision.detail)
    if not decision.resolved:
        if decision.candidates:
            return msg("ERROR {rule}: {detail} Candidates: {candidates}.", rule=decision.rule,
                       detail=detail, candidates=", ".join(decision.candidates))
        return msg("ERROR {rule}: {detail}", rule=decision.rule, detail=detail)
    new = table.new_commune(decision.new_commune or "")
    assert new is not None
    line = f"{new.name} ({new.code})|{new.province_name} ({new.province_code})"
    if not explain:
        return line
    score = f" score={decision.score:.0f}" if decision.score is not None else ""
    return Message("{line}|{rule}{score}|{detail}", {"line": line, "rule": decision.rule, "score": score,
                                                     "detail": detail})  # a layout, no words: not in the catalogue


def map_addresses(resolver: Resolver, lines: Iterable[str], *, explain: bool = False) -> Iterator[str]:
    """One output line per input line, in order (blank input lines give an ERROR line too)."""
    for text in lines:
        decision = resolver.resolve(UnitRef(address=text.rstrip("\r\n")))
        yield decision_line(decision, resolver.table, explain=explain)


CHANGES = {  # the official table's classification of an old unit, as a person reads it
    "whole": msg("whole"), "split": msg("split"), "kept": msg("kept"), "renamed": msg("renamed"),
    "special": msg("special"),
}


def code_lines(table: UnitTable, code: str) -> list[str]:
    """The official rows for one old commune code (or district-keyed unit ``district:<code>``)."""
    parts = table.parts(code.strip().zfill(5)) if code.strip().isdigit() else []
    if not parts and code.startswith("district:"):
        parts = table.district_keyed_parts(code.removeprefix("district:"))
    if not parts:
        return [msg("ERROR unknown-code: {code} is not an old commune code in table {version}.", code=repr(code),
                    version=table.version)]
    old = parts[0].old
    change = parts[0].change
    head = msg("{code} {name}, {district}, {province} ({province_code}): {change}, {n} part(s)",
               code=old.commune_code or old.key, name=old.commune_name or msg("(no commune)"),
               district=old.district_name, province=old.province_name, province_code=old.province_code,
               change=CHANGES.get(change, change), n=len(parts))
    return [head] + [f"  → {p.new.name} ({p.new.code})|{p.new.province_name} ({p.new.province_code})"
                     f" [{p.note}]" for p in parts]


@dataclass(frozen=True)
class ProvinceStats:
    province_code: str
    province_name: str
    side: str                       # "old" or "new"
    old_units: int
    new_communes: int
    changes: dict[str, int]

    def lines(self) -> list[Message]:
        c = self.changes
        stay = c.get("kept", 0) + c.get("renamed", 0)
        values = dict(code=self.province_code, name=self.province_name, old=self.old_units, new=self.new_communes)
        return [
            msg("old province {code} {name}: {old} old units → {new} new communes", **values) if self.side == "old"
            else msg("new province {code} {name}: {old} old units → {new} new communes", **values),
            msg("  merge (whole into a new commune with others): {n}", n=c.get("whole", 0)),
            msg("  split (between several new communes):         {n}", n=c.get("split", 0)),
            msg("  stay (alone, same name {kept}, renamed {renamed}):         {n}", kept=c.get("kept", 0),
                renamed=c.get("renamed", 0), n=stay),
            msg("  special (island districts, special zones):    {n}", n=c.get("special", 0)),
        ]

    def as_dict(self) -> dict[str, object]:
        return {"province_code": self.province_code, "province_name": self.province_name, "side": self.side,
                "old_units": self.old_units, "new_communes": self.new_communes, "changes": dict(self.changes)}


def province_stats(table: UnitTable, code: str, *, new: bool = False) -> ProvinceStats:
    """Counts of old units by change, for an old province (default) or a new one."""
    code = code.strip().zfill(2)
    if new:
        parts = [p for p in table.rows if p.new.province_code == code]
        name = table.new_provinces().get(code)
    else:
        parts = [p for p in table.rows if p.old.province_code == code]
        name = table.old_provinces().get(code)
    if not parts or name is None:
        raise MappingError(msg("{code} is not a new province code in table {version}.", code=code,
                               version=table.version) if new else
                           msg("{code} is not an old province code in table {version}.", code=code,
                               version=table.version))
    units = {p.old.key: p.change for p in parts}
    return ProvinceStats(code, name, "new" if new else "old", len(units), len({p.new.code for p in parts}),
                         dict(sorted(Counter(units.values()).items())))


def review_rows_from_csv(path: Path | str, resolver: Resolver) -> list[ReviewRow]:
    """Unresolved references of a pipeline CSV (columns: any of the UnitRef fields, plus
    optional source, table, record_key), re-resolved so the reason and candidates are current."""
    rows: list[ReviewRow] = []
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not set(REF_COLUMNS) & set(reader.fieldnames or []):
            raise MappingError(msg("{file}: needs at least one of the columns {columns}.", file=Path(path).name,
                                   columns=", ".join(REF_COLUMNS)))
        for row in reader:
            ref = UnitRef(**{c: (row.get(c) or None) for c in REF_COLUMNS})
            decision = resolver.resolve(ref)
            if not decision.resolved:
                rows.append(review_row(ref, decision, resolver.table, source=row.get("source", ""),
                                       source_table=row.get("table", ""), record_key=row.get("record_key", "")))
    return rows
