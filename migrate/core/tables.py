"""The one writer of CSV and XLSX tables: reports, quarantine and review exports, continuity files.

- CSV: UTF-8 with a byte-order mark (Excel then shows Vietnamese correctly;
  every reader in hopnhat and Python's ``utf-8-sig`` skip it), header of
  stable machine names, empty cell for None, ``\\r\\n`` line ends (RFC 4180).
- XLSX: one sheet per table; the header row bold, frozen and repeated on
  every printed page, an autofilter over every sheet, column widths from the
  first rows, landscape pages one sheet wide; ``title`` rows (label, value),
  when given, come before the table. Whole numbers in a column of counts carry the
  number format ``#,##0``: Excel shows them grouped in its own locale's way
  (``1.234.567`` in Vietnamese) and they stay numbers that sum; identifiers
  (``id``, ``*_id``, ``*_key``, ``*_code``, ``*_no``, ``line``, ``row``) keep plain digits.

``TableWriter`` writes rows one at a time (a CSV in constant memory); ``write_table``
and ``write_workbook`` write whole tables.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

CSV_ENCODING = "utf-8-sig"
COUNT_FORMAT = "#,##0"
_IDENTIFIER = re.compile(r"(^|_)(id|key|code|no|line|row|revision)$")
SHEET_NAME_LIMIT = 31
WIDTH_ROWS = 200
# control characters XML 1.0 cannot hold (tab, line feed and carriage return it can): a sheet cell says them
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell(value: object) -> object:
    """A value as a cell holds it: None empty, booleans as yes/no, nested values as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def sheet_cell(value: object) -> object:
    """A value as an XLSX cell holds it: :func:`cell`, with each control character an XLSX file cannot hold
    written visibly as ``\\xNN`` (a portal's text holding ``\\x01`` would otherwise make the whole workbook
    fail; the CSV beside it keeps the character as it is)."""
    value = cell(value)
    if isinstance(value, str) and _UNWRITABLE.search(value):
        return _UNWRITABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def count_column(name: str) -> bool:
    """Whether whole numbers in column ``name`` (a machine name) are counts, shown grouped: not identifiers."""
    return not _IDENTIFIER.search(name.lower())


def csv_cell(value: object) -> object:
    """A value as a CSV cell: None empty, booleans True/False (stable for scripts), nested values as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return cell(value)


class TableWriter:
    """``with TableWriter(path, columns) as table: table.write(row)``; .csv or .xlsx by the file's suffix."""

    def __init__(self, path: Path | str, columns: Sequence[str], *, sheet: str = "table",
                 headers: Sequence[str] | None = None) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.headers = list(headers or columns)
        self.sheet = sheet
        self.rows = 0
        self._csv: Any = None
        self._handle: Any = None
        self._book: Any = None
        self._sheet: Any = None

    def __enter__(self) -> TableWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix.lower() == ".xlsx":
            self._book = Workbook(self.path)
            self._sheet = self._book.add(self.sheet, self.headers, columns=self.columns)
        else:
            self._handle = self.path.open("w", encoding=CSV_ENCODING, newline="")
            self._csv = csv.writer(self._handle)
            self._csv.writerow(self.headers)
        return self

    def write(self, row: Mapping[str, object]) -> None:
        if self._book is not None:
            self._sheet.append([row.get(c) for c in self.columns])
        else:
            self._csv.writerow([csv_cell(row.get(c)) for c in self.columns])
        self.rows += 1

    def __exit__(self, *exc: object) -> None:
        if self._book is not None:
            self._book.close()
        if self._handle is not None:
            self._handle.close()


def write_table(path: Path | str, rows: Iterable[Mapping[str, object]], columns: Sequence[str] | None = None,
                *, sheet: str = "table", headers: Sequence[str] | None = None) -> int:
    """A whole table to .csv or .xlsx; columns default to the first row's keys. Returns the rows written."""
    rows = list(rows)
    columns = list(columns or (rows[0].keys() if rows else ["(no rows)"]))
    with TableWriter(path, columns, sheet=sheet, headers=headers) as table:
        for row in rows:
            table.write(row)
    return table.rows


class _Sheet:
    """One sheet being filled: optional title rows, a bold header, then the rows (counts grouped, ``#,##0``)."""

    def __init__(self, ws, headers: Sequence[str], title: Sequence[tuple[str, object]] = (),
                 columns: Sequence[str] | None = None) -> None:
        from openpyxl.styles import Font

        self.ws = ws
        self.counts = [count_column(c) for c in (columns if columns is not None else headers)]
        self.widths = [len(str(h)) for h in headers]
        self.header_row = len(title) + (2 if title else 1)
        self.ncols = max(len(headers), 1)
        self.count = 0
        for label, value in title:
            ws.append([sheet_cell(label), sheet_cell(value)])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
            self._measure([label, ""])
        if title:
            ws.append([])
        ws.append([sheet_cell(h) for h in headers])
        for c in ws[self.header_row]:
            c.font = Font(bold=True)

    def append(self, values: Sequence[object]) -> None:
        self.ws.append([sheet_cell(v) for v in values])
        row = self.header_row + self.count + 1  # the row just appended (max_row would scan every cell)
        for i, value in enumerate(values):
            if i < len(self.counts) and self.counts[i] and isinstance(value, int) and not isinstance(value, bool):
                self.ws.cell(row, i + 1).number_format = COUNT_FORMAT
        self.count += 1
        if self.count <= WIDTH_ROWS:
            self._measure(values)

    def _measure(self, values: Sequence[object]) -> None:
        for i, v in enumerate(values):
            if i >= len(self.widths):
                self.widths.append(0)
            self.widths[i] = max(self.widths[i], len(str(cell(v))) if v is not None else 0)

    def finish(self) -> None:
        from openpyxl.utils import get_column_letter

        last = get_column_letter(self.ncols)
        self.ws.freeze_panes = f"A{self.header_row + 1}"
        self.ws.auto_filter.ref = f"A{self.header_row}:{last}{self.header_row + max(self.count, 1)}"
        self.ws.print_title_rows = f"{self.header_row}:{self.header_row}"  # the header on every printed page
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        for i, width in enumerate(self.widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 80)


class Workbook:
    """``add(name, headers, title=())`` returns a sheet to ``append`` rows to; ``close()`` saves."""

    def __init__(self, path: Path | str) -> None:
        from openpyxl import Workbook as OpenpyxlWorkbook

        self.path = Path(path)
        self._book = OpenpyxlWorkbook()
        self._book.remove(self._book.active)
        self._used: set[str] = set()
        self._sheets: list[_Sheet] = []

    def add(self, name: str, headers: Sequence[str], title: Sequence[tuple[str, object]] = (),
            columns: Sequence[str] | None = None) -> _Sheet:
        """A new sheet; ``columns`` are the machine names behind ``headers`` (they say which columns are counts)."""
        sheet = _Sheet(self._book.create_sheet(sheet_name(name, self._used)), headers, title, columns)
        self._sheets.append(sheet)
        return sheet

    def close(self) -> None:
        for sheet in self._sheets:
            sheet.finish()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._book.save(self.path)


def write_workbook(path: Path | str, sheets: Mapping[str, tuple[Sequence[str], Iterable[Mapping[str, object]]]],
                   *, headers: Mapping[str, str] | None = None,
                   titles: Mapping[str, Sequence[tuple[str, object]]] | None = None) -> dict[str, str]:
    """Several tables, one sheet each: ``{sheet name: (columns, rows)}``; ``headers`` relabels columns.

    Returns each given name -> the sheet's real name (31 characters, unique)."""
    book = Workbook(path)
    used = {}
    for name, (columns, rows) in sheets.items():
        columns = list(columns) or ["(no rows)"]
        sheet = book.add(name, [(headers or {}).get(c, c) for c in columns], (titles or {}).get(name, ()),
                         columns=columns)
        used[name] = sheet.ws.title
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    book.close()
    return used


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:SHEET_NAME_LIMIT]
    sheet, n = base, 2
    while sheet.lower() in used:
        sheet = f"{base[:SHEET_NAME_LIMIT - 3]}-{n}"
        n += 1
    used.add(sheet.lower())
    return sheet
