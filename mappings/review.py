"""The review queue's file formats: export unresolved records, import reviewers' decisions.

A reviewer gets a CSV or XLSX file (chosen by the file suffix) with one row per
unresolved reference: what the record said, the rule that sent it to review, the
reason in a sentence, the candidate new communes with their names, and an empty
``decision_new_commune`` column to fill in. Importing validates every filled row and
reports every problem at once, naming the row and the field; the decisions then apply
on the next run as rule ``manual`` (see :class:`mappings.rules.Resolver`).

Decisions are keyed by :attr:`mappings.rules.UnitRef.key`, so one decision settles every
record that says the same thing about its place.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from mappings.explanations import PHRASEBOOK
from mappings.rules import Decision, ManualDecision, UnitRef
from mappings.units import UnitTable
from migrate.core.errors import MappingError
from migrate.core.i18n import Language, language
from migrate.core.messages import msg
from migrate.core.tables import TableWriter

log = logging.getLogger(__name__)

DECISION_COLUMNS = ("ref_key", "new_commune", "decided_by", "note")


@dataclass(frozen=True)
class ReviewRow:
    """One unresolved reference as the reviewer sees it."""

    ref_key: str
    source: str
    table: str
    record_key: str
    province_code: str
    district_code: str
    commune_code: str
    address: str
    rule: str
    reason: str
    candidates: str               # "00004 Phường Ba Đình; 00008 Phường Ngọc Hà"
    decision_new_commune: str = ""
    decided_by: str = ""
    note: str = ""


REVIEW_COLUMNS = tuple(f.name for f in fields(ReviewRow))


def review_row(ref: UnitRef, decision: Decision, table: UnitTable, *, source: str = "",
               source_table: str = "", record_key: str = "") -> ReviewRow:
    """Build the reviewer's row for one unresolved decision."""
    names = []
    for code in decision.candidates:
        new = table.new_commune(code)
        names.append(f"{code} {new.name}, {new.province_name}" if new else code)
    address = ", ".join(v for v in (ref.address, ref.commune_name, ref.district_name, ref.province_name) if v)
    return ReviewRow(ref.key, source, source_table, record_key, ref.province_code or "",
                     ref.district_code or "", ref.commune_code or "", address, decision.rule,
                     decision.detail, "; ".join(names))


def export_review(rows: Iterable[ReviewRow], path: Path | str, lang: Language | None = None) -> int:
    """Write the rows to ``path`` (.csv or .xlsx); returns how many were written. The reason is said in
    ``lang`` (English by default); the column names stay as they are."""
    data = [asdict(r) | {"reason": PHRASEBOOK.say(r.reason, lang or language("en"))} for r in rows]
    write_table(data, REVIEW_COLUMNS, path)
    return len(data)


def write_table(data: list[dict[str, object]], columns: tuple[str, ...], path: Path | str) -> None:
    """A reviewer file: header plus one row per dict, CSV or XLSX by the file suffix (the one table writer)."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise MappingError(msg("Review file {file}: use a .csv or .xlsx file name.", file=path.name))
    with TableWriter(path, columns, sheet="review") as table:
        for row in data:
            table.write(row)
    log.info(msg("wrote {n} review rows to {file}", n=len(data), file=path.name))


def read_rows(path: Path | str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, row)`` from a CSV or XLSX file; row 1 is the header."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = wb.active.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        for n, values in enumerate(rows, start=2):
            yield n, {h: _cell(v) for h, v in zip(header, values)}
        wb.close()
    elif path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                yield n, {k.strip(): (v or "").strip() for k, v in row.items() if k}
    else:
        raise MappingError(msg("Review file {file}: use a .csv or .xlsx file name.", file=path.name))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def import_decisions(path: Path | str, table: UnitTable | None = None) -> list[ManualDecision]:
    """The filled-in decisions of a review file; :class:`MappingError` lists every bad row.

    Rows with an empty ``decision_new_commune`` are still open and skipped. A numeric
    cell that lost its zero padding in a spreadsheet ("4") is read as "00004".
    """
    problems: list[str] = []
    decisions: dict[str, ManualDecision] = {}
    name = Path(path).name
    seen_header = False
    for n, row in read_rows(path):
        seen_header = True
        if "ref_key" not in row or "decision_new_commune" not in row:
            raise MappingError(msg("{file}: not a review file (needs columns ref_key and decision_new_commune).",
                                   file=name))
        value = row["decision_new_commune"].split(" ")[0].strip()
        if not value:
            continue
        ref_key = row["ref_key"]
        if not ref_key:
            problems.append(msg("{file} row {row}, field ref_key: empty", file=name, row=str(n)))
            continue
        code = value.zfill(5) if value.isdigit() else value
        if not (code.isdigit() and len(code) == 5):
            problems.append(msg("{file} row {row}, field decision_new_commune: {value} is not a 5-digit commune code",
                                file=name, row=str(n), value=repr(value)))
            continue
        if table is not None and table.new_commune(code) is None:
            problems.append(msg("{file} row {row}, field decision_new_commune: {code} is not a new commune in table "
                                "{version}", file=name, row=str(n), code=code, version=table.version))
            continue
        earlier = decisions.get(ref_key)
        if earlier is not None and earlier.new_commune != code:
            problems.append(msg("{file} row {row}, field decision_new_commune: {code} contradicts {earlier} given "
                                "earlier for the same ref_key {key}", file=name, row=str(n), code=code,
                                earlier=earlier.new_commune, key=ref_key))
            continue
        decisions[ref_key] = ManualDecision(ref_key, code, row.get("decided_by", ""), row.get("note", ""))
    if not seen_header and Path(path).suffix.lower() == ".csv" and not Path(path).read_text("utf-8-sig").strip():
        raise MappingError(msg("{file}: the file is empty.", file=name))
    if problems:
        raise MappingError(msg("{n} problem(s) in {file}: {problems}", n=len(problems), file=name,
                               problems=tuple(problems)))
    return list(decisions.values())


def write_decisions(decisions: Iterable[ManualDecision], path: Path | str) -> int:
    """Store imported decisions (CSV: ref_key,new_commune,decided_by,note) for the next run."""
    items = list(decisions)
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(DECISION_COLUMNS)
        for d in items:
            writer.writerow((d.ref_key, d.new_commune, d.decided_by, d.note))
    return len(items)


def load_decisions(path: Path | str) -> list[ManualDecision]:
    """Read decisions written by :func:`write_decisions` (pass them to ``Resolver(manual=...)``)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return [ManualDecision(r["ref_key"], r["new_commune"], r.get("decided_by", ""), r.get("note", ""))
                for r in csv.DictReader(fh)]
