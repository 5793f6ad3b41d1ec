"""Export files as clerks save them: title rows, several sheets, merged cells, totals and blank rows.

``ExportReader(path, layout, ...)`` reads one CSV or XLSX file as its profile's
``[export.TABLE]`` describes it (:class:`migrate.core.records.SheetLayout`):

- the header is row ``header_row``; the rows above it are titles, counted, never records;
- the sheets read are the workbook's only sheet holding data, every one holding data
  (``"all"``, hidden ones too) or the named ones, each with the same header; several sheets holding data and no
  ``sheets`` option is an error listing them, never the first one read silently;
- a merged block over data rows is filled with its value (``merged = "fill"``) or refused
  with an error naming the sheet and the block (the default);
- a row whose first non-empty cell is a totals label ("Tổng cộng", "Cộng", "Total"), and a
  blank row between data rows, come out as rows *skipped* with that reason: they are
  staged and read as records excluded with the reason, so the conservation equation
  counts them. Blank rows after the last data row are the end of the sheet, counted in
  :class:`Tally` alone.

Rows stream (``csv``, openpyxl read-only); merged ranges are read from the sheet's XML
in a streaming pass, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from migrate.core.errors import SourceError
from migrate.core.messages import N_, Message, msg
from migrate.core.records import SheetLayout, fold

# why a row of an export is no record: its exclusion reason, kept in English, said where shown (adapters/inspect.py)
BLANK = N_("blank row in the export")
TOTALS = N_("totals row '{label}' in the export")
EXCLUDED = (BLANK, TOTALS)


@dataclass(frozen=True)
class Row:
    sheet: str | None  # None for a CSV file
    line: int  # the row number a clerk sees (CSV: the file's line)
    values: list[object]
    skipped: str | None = None  # why this row is no record (blank, totals), or None


@dataclass
class Tally:
    """What reading one export set aside, for the log and ``source check``."""

    sheets: list[str] = field(default_factory=list)
    titles: int = 0  # rows above the header (per sheet)
    blank: int = 0
    totals: int = 0
    trailing: int = 0  # blank rows after the last data row of a sheet
    filled: int = 0  # merged blocks filled over data rows

    def summary(self) -> tuple[Message, ...]:
        """What was set aside, one message each (a message value says them one after the other)."""
        parts = [msg("sheets {names}", names=", ".join(self.sheets))] if self.sheets else []
        parts += [said for n, said in ((self.titles, msg("{n} title row(s) above the header", n=self.titles)),
                                       (self.blank, msg("{n} blank row(s) excluded", n=self.blank)),
                                       (self.totals, msg("{n} totals row(s) excluded", n=self.totals)),
                                       (self.filled, msg("{n} merged block(s) filled", n=self.filled)),
                                       (self.trailing, msg("{n} blank row(s) after the data", n=self.trailing))) if n]
        return tuple(parts) or (msg("no row set aside"),)


@dataclass(frozen=True)
class _Merge:
    min_col: int
    min_row: int
    max_col: int
    max_row: int
    ref: str


class ExportReader:
    """One export file read as its layout says; ``header()`` then ``rows()`` (each call reads again)."""

    def __init__(self, path: Path, layout: SheetLayout, *, source: str, table: str, encoding: str = "utf-8-sig",
                 delimiter: str = ",") -> None:
        self.path = path
        self.layout = layout
        self.source = source
        self.table = table
        self.encoding = encoding
        self.delimiter = delimiter
        self.xlsx = path.suffix.lower() == ".xlsx"
        self.tally = Tally()

    # --- what callers use ------------------------------------------------------------------------
    def header(self) -> list[str]:
        """The column names (of the first sheet read; every other sheet must have the same)."""
        for sheet, grid in self._grids():
            names = self._header_of(sheet, grid)
            return names
        raise self._error(msg("{file} is empty (no header row)", file=self.path.name))

    def rows(self) -> Iterator[Row]:
        """Every row below the header of every sheet read, in the first sheet's column order."""
        self.tally = Tally()
        first: list[str] | None = None
        for sheet, grid in self._grids():
            names = self._header_of(sheet, grid)
            if first is None:
                first = names
            order = self._order(sheet, first, names)
            if sheet is not None:
                self.tally.sheets.append(sheet)
            for row in self._body(sheet, grid):
                yield row if order is None else Row(row.sheet, row.line, [_at(row.values, i) for i in order],
                                                    row.skipped)

    def where(self, sheet: str | None, line: int) -> Message:
        """``HoSo.xlsx sheet 'Sheet1' row 5`` or ``HoSo.csv line 5`` (row and line numbers as plain digits)."""
        if sheet is not None:
            return msg("{file} sheet '{sheet}' row {row}", file=self.path.name, sheet=sheet, row=str(line))
        return msg("{file} line {line}", file=self.path.name, line=str(line))

    # --- sheets -----------------------------------------------------------------------------------
    def _grids(self) -> Iterator[tuple[str | None, "_Grid"]]:
        if not self.xlsx:
            yield None, _CsvGrid(self)
            return
        from openpyxl import load_workbook

        book = load_workbook(self.path, read_only=True, data_only=True)
        try:
            for sheet in self._sheets(book):
                yield sheet.title, _XlsxGrid(sheet)
        finally:
            book.close()

    def _sheets(self, book) -> list:
        wanted = self.layout.sheets
        by_name = {s.title: s for s in book.worksheets}
        if wanted and wanted != ("*",):
            missing = [n for n in wanted if n not in by_name]
            if missing:
                raise self._error(msg("{file} has no sheet {missing}; its sheets: {sheets}", file=self.path.name,
                                      missing=", ".join(map(repr, missing)), sheets=", ".join(map(repr, by_name))))
            return [by_name[n] for n in wanted]
        holding = [s for s in book.worksheets if _holds_data(s)]  # hidden sheets too: never dropped silently
        if wanted == ("*",) or len(holding) <= 1:
            return holding or book.worksheets[:1]
        titles = ", ".join(repr(s.title) for s in holding)
        raise self._error(msg("{file} has {n} sheets holding data ({sheets}); reading only the first would drop the "
                              "others: set sheets = \"all\" or sheets = [{sheets}] in [export.{table}] of the profile",
                              file=self.path.name, n=len(holding), sheets=titles, table=self.table))

    def _header_of(self, sheet: str | None, grid: "_Grid") -> list[str]:
        wanted = self.layout.header_row
        merges = [m for m in grid.merges() if m.min_row <= wanted <= m.max_row and m.max_col > m.min_col]
        seen: list[list[object]] = []
        for number, values in grid.rows():
            seen.append(values)
            if number == wanted:
                break
        else:
            raise self._error(msg("{file}{sheet} has no row {row} (header_row); it has {n}", file=self.path.name,
                                  sheet=_in(sheet), row=str(wanted), n=len(seen)))
        names = [str(v).strip() if v is not None else "" for v in seen[-1]]
        while names and not names[-1]:
            names.pop()
        bad: list[object] = [i + 1 for i, n in enumerate(names) if not n]
        bad = bad or list(sorted({n for n in names if names.count(n) > 1}))
        problem: Message | None = None
        if merges:
            problem = msg("the header has merged cells ({cells})", cells=", ".join(m.ref for m in merges))
        elif len(names) == 1 and len(seen[-1]) > 1:
            problem = msg("the header holds one value across the row ({value}): a title, not column names",
                          value=repr(names[0]))
        elif bad or not names:
            problem = msg("header has empty or repeated column names ({names})", names=str(bad) if bad else
                          msg("no names"))
        if problem is not None:
            raise self._error(msg("{where}: {problem}{hint}; a header needs one name per column",
                                  where=self.where(sheet, wanted), problem=problem,
                                  hint=self._header_hint(grid, wanted)))
        self.tally.titles += wanted - 1
        return names

    def _header_hint(self, grid: "_Grid", wanted: int) -> Message | str:
        """Where the header seems to be, when the row named is a title (one cell across the sheet)."""
        for number, values in grid.rows():
            if number > wanted + 20:
                break
            names = [str(v).strip() for v in values if v is not None and str(v).strip()]
            if number != wanted and len(names) >= 2 and len(set(names)) == len(names) and \
                    all(v is not None and str(v).strip() for v in values[:len(names)]):
                return msg("; row {row} looks like the header ({names}): set header_row = {row} in "
                           "[export.{table}] of the profile (rows above it are titles)", row=str(number),
                           names=", ".join(names[:4]) + (", ..." if len(names) > 4 else ""), table=self.table)
        return ""

    def _order(self, sheet: str | None, first: list[str], names: list[str]) -> list[int] | None:
        if names == first:
            return None
        if set(names) != set(first):
            missing, extra = sorted(set(first) - set(names)), sorted(set(names) - set(first))
            raise self._error(msg("{file}{sheet}: its header differs from the first sheet's (missing: {missing}; "
                                  "extra: {extra}); every sheet read must have the same columns", file=self.path.name,
                                  sheet=_in(sheet), missing=", ".join(missing) or "-", extra=", ".join(extra) or "-"))
        return [names.index(n) for n in first]

    # --- rows below the header -----------------------------------------------------------------
    def _body(self, sheet: str | None, grid: "_Grid") -> Iterator[Row]:
        layout = self.layout
        starting: dict[int, list[_Merge]] = {}
        for m in grid.merges():
            if m.max_row > layout.header_row:
                starting.setdefault(m.min_row, []).append(m)
        active: list[tuple[_Merge, object]] = []
        blanks: list[int] = []
        filled_blocks: set[str] = set()
        for number, values in grid.rows():
            active = [(m, v) for m, v in active if m.max_row >= number]
            active += [(m, _at(values, m.min_col - 1)) for m in starting.get(number, ())]
            if number <= layout.header_row:
                continue
            filled, blocks = _fill(values, number, active)
            if not any(_present(v) for v in filled):
                blanks.append(number)
                continue
            label = next((str(v).strip() for v in values if _present(v)), "")
            if fold(label.rstrip(":").strip()) in layout.totals:
                yield from self._blanks(sheet, blanks)
                self.tally.totals += 1
                yield Row(sheet, number, list(values), TOTALS.format(label=label))
                continue
            if blocks and layout.merged != "fill":
                named = ", ".join(f"{b.ref} (value {_at(filled, b.min_col - 1)!r})"
                                  for b in sorted(blocks, key=lambda b: b.min_col))
                raise self._error(msg(
                    "{where} lies in merged cells {cells}: read as they are, its cells there would be empty. "
                    "Set merged = \"fill\" in [export.{table}] of the profile to copy the value into "
                    "each row, or unmerge the cells in the file", where=self.where(sheet, number), cells=named,
                    table=self.table))
            filled_blocks.update(b.ref for b in blocks)
            yield from self._blanks(sheet, blanks)
            yield Row(sheet, number, filled)
        self.tally.trailing += len(blanks)
        self.tally.filled += len(filled_blocks)

    def _blanks(self, sheet: str | None, blanks: list[int]) -> Iterator[Row]:
        for number in blanks:
            self.tally.blank += 1
            yield Row(sheet, number, [], BLANK)
        blanks.clear()

    def _error(self, message: str) -> SourceError:
        return SourceError(message, source=self.source, table=self.table)


class _Grid(Protocol):
    def rows(self) -> Iterator[tuple[int, list[object]]]: ...

    def merges(self) -> list[_Merge]: ...


class _CsvGrid:
    def __init__(self, reader: ExportReader) -> None:
        self.reader = reader

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        r = self.reader
        try:
            with r.path.open(encoding=r.encoding, newline="") as fh:
                rows = csv.reader(fh, delimiter=r.delimiter)
                number = 0
                for values in rows:
                    number += 1
                    # rows are counted for header_row; a CSV row is named by the file line it ends on
                    yield (number if number <= r.layout.header_row else rows.line_num), list(values)
        except UnicodeDecodeError as exc:
            raise SourceError(msg("{file} is not {encoding}: {problem}; set ?encoding= in the URL", file=r.path.name,
                                  encoding=r.encoding, problem=str(exc)),
                              source=r.source, table=r.table) from exc

    def merges(self) -> list[_Merge]:
        return []


class _XlsxGrid:
    def __init__(self, sheet) -> None:
        self.sheet = sheet
        self._merges: list[_Merge] | None = None

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        for number, values in enumerate(self.sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)

    def merges(self) -> list[_Merge]:
        """The sheet's merged ranges, from its XML (read-only worksheets do not expose them)."""
        if self._merges is None:
            from openpyxl.utils.cell import range_boundaries
            from openpyxl.xml.functions import iterparse

            found = []
            source = self.sheet._get_source()
            try:
                for _, element in iterparse(source):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if tag == "mergeCell" and element.get("ref"):
                        min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                        found.append(_Merge(min_col, min_row, max_col, max_row, element.get("ref")))
                    elif tag == "row":
                        element.clear()
            finally:
                source.close()
            self._merges = found
        return self._merges


def _fill(values: list[object], number: int, active: list[tuple[_Merge, object]]) -> tuple[list[object], list[_Merge]]:
    """The row with each merged block's value in its empty cells, and the blocks that filled one."""
    if not active:
        return values, []
    filled, blocks = list(values), []
    for merge, value in active:
        if value is None:
            continue
        while len(filled) < merge.max_col:
            filled.append(None)
        touched = False
        for col in range(merge.min_col, merge.max_col + 1):
            if (number, col) != (merge.min_row, merge.min_col) and not _present(filled[col - 1]):
                filled[col - 1] = value
                touched = True
        if touched:
            blocks.append(merge)
    return filled, blocks


def _holds_data(sheet) -> bool:
    return any(_present(v) for row in sheet.iter_rows(values_only=True) for v in row)


def _present(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _at(values: list[object], index: int) -> object:
    return values[index] if 0 <= index < len(values) else None


def _in(sheet: str | None) -> Message | str:
    return msg(" sheet '{sheet}'", sheet=sheet) if sheet is not None else ""
