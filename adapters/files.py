"""Folders of CSV or XLSX exports: one file per legacy table (``HoSo.csv``, ``HoSo.xlsx``).

``files:///srv/exports/hanam?encoding=cp1258&staging=/var/tmp/hopnhat``

Exports are neither sorted nor indexed, and keyset pages need both. So the
first time a table is used, its file is streamed (``csv`` module, openpyxl in
read-only mode) into an on-disk SQLite staging database, in chunks, with
every value as text ("" becomes NULL), and a unique index is built on the
entity's key. From then on the folder is read like any SQL source: keyset
pages, counts, digests and joins, in constant memory whatever the file size.
The source's own count is the number of data rows in the file; a key that
appears twice, or a row with more fields than the header, is an error naming
the file and line, never a silent drop.

Query options: ``encoding`` of CSV files (``utf-8``, the default, accepts a
BOM; ``cp1258``, ``cp1252``...), ``delimiter`` (``,``), ``staging`` (a folder
kept between runs; the default is a temporary folder removed on close).
A column whose every value is a whole number without leading zeros is staged
as an integer (a first streaming pass decides), so numeric keys order as
numbers; everything else, codes such as "00123" included, stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from adapters.base import RangeDigest
from migrate.core.records import EntitySpec, Key, RawRecord
from adapters.sqlsource import SqlSource
from migrate.core.errors import ConfigError, SourceError

TYPE_MAP = {"text": "text"}
SUFFIXES = (".csv", ".xlsx")
CHUNK = 5000
_STAGED = "_hopnhat_staged"


def parse_files_url(url: str) -> tuple[Path, dict[str, str]]:
    parts = urlsplit(url)
    path = unquote(parts.netloc + parts.path) if parts.netloc not in ("", "localhost") else unquote(parts.path)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return Path(path), options


def open_source(name: str, url: str) -> FilesSource:
    folder, options = parse_files_url(url)
    if not folder.is_dir():
        raise SourceError(f"export folder not found: {folder}", source=name)
    unknown = sorted(set(options) - {"encoding", "delimiter", "staging"})
    if unknown:
        raise ConfigError(f"source {name}: unknown files:// option(s) {', '.join(unknown)}; "
                          "known: encoding, delimiter, staging")
    return FilesSource(name, folder, encoding=options.get("encoding", "utf-8"),
                       delimiter=options.get("delimiter", ","), staging=options.get("staging"))


class FilesSource:
    """A folder of exports, staged table by table into SQLite and read through :class:`SqlSource`."""

    engine = "files"

    def __init__(self, name: str, folder: Path, *, encoding: str = "utf-8", delimiter: str = ",",
                 staging: str | None = None) -> None:
        self.name = name
        self.folder = folder
        self.encoding = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        self.delimiter = delimiter
        self._own_dir = staging is None
        self._dir = Path(tempfile.mkdtemp(prefix="hopnhat-staging-")) if staging is None else Path(staging)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._db = create_engine(f"sqlite:///{self._dir / (_safe(name) + '.sqlite')}")
        self._sql = SqlSource(name, self._db, engine_name="files", type_map=TYPE_MAP)
        self._meta = MetaData()
        self._staged_table = Table(_STAGED, self._meta, Column("name", Text, primary_key=True),
                                   Column("fingerprint", Text), Column("rows", Text))
        self._staged_table.create(self._db, checkfirst=True)

    # --- what the folder holds --------------------------------------------------------------
    def files(self) -> dict[str, Path]:
        """Table name -> export file (CSV preferred when both exist)."""
        out: dict[str, Path] = {}
        for path in sorted(self.folder.iterdir(), key=lambda p: (p.suffix.lower() != ".csv", p.name)):
            if path.is_file() and path.suffix.lower() in SUFFIXES:
                out.setdefault(path.stem, path)
        return out

    def table_names(self) -> list[str]:
        return sorted(self.files())

    def columns(self, table: str) -> dict[str, str]:
        self.stage(table)
        return {c: t for c, t in self._sql.columns(table).items() if c != "_line"}

    def candidate_keys(self, table: str) -> list[tuple[str, ...]]:
        return []  # exports carry no constraints; inspect() proposes columns with unique values instead

    def row_count(self, table: str) -> int:
        self.stage(table)
        return self._sql.row_count(table)

    def distinct_values(self, table: str, column: str, *, limit: int = 200) -> list[object]:
        self.stage(table)
        return self._sql.distinct_values(table, column, limit=limit)

    # --- protocol ------------------------------------------------------------------------------
    def count(self, entity: EntitySpec, *, since: object | None = None) -> int:
        self._ready(entity)
        return self._sql.count(entity, since=since)

    def read(self, entity: EntitySpec, *, after: Key | None, batch_size: int,
             since: object | None = None) -> Iterator[list[RawRecord]]:
        self._ready(entity)
        yield from self._sql.read(entity, after=after, batch_size=batch_size, since=since)

    def read_range(self, entity: EntitySpec, lo: Key, hi: Key, *, batch_size: int,
                   since: object | None = None) -> Iterator[list[RawRecord]]:
        self._ready(entity)
        yield from self._sql.read_range(entity, lo, hi, batch_size=batch_size, since=since)

    def digest(self, entity: EntitySpec, lo: Key, hi: Key) -> RangeDigest:
        self._ready(entity)
        return self._sql.digest(entity, lo, hi)

    def watermark(self, entity: EntitySpec) -> object | None:
        self._ready(entity)
        return self._sql.watermark(entity)

    def text_report(self) -> dict[str, dict[str, int]]:
        return self._sql.text_report()

    def close(self) -> None:
        self._sql.close()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    # --- staging -----------------------------------------------------------------------------------
    def _ready(self, entity: EntitySpec) -> None:
        """Stage the entity's tables and index the key (unique) and the join columns."""
        self.stage(entity.table)
        table = self._sql.table(entity.table)
        missing = [k for k in entity.key if k not in table.c]
        if missing:
            raise SourceError(f"key column(s) {', '.join(missing)} not in {self.files()[entity.table].name}",
                              source=self.name, table=entity.table)
        self._index(table, entity.key, unique=True)
        if entity.modified and entity.modified in table.c:
            self._index(table, (entity.modified,), unique=False)
        for join in entity.joins:
            self.stage(join.table)
            other = self._sql.table(join.table)
            self._index(other, tuple(right for _, right in join.on if right in other.c), unique=False)

    def _index(self, table: Table, columns: tuple[str, ...], *, unique: bool) -> None:
        if not columns:
            return
        digest = hashlib.sha1("\0".join((table.name, *columns)).encode()).hexdigest()[:12]
        index = Index(f"ix_{'u' if unique else 'n'}_{digest}", *[table.c[c] for c in columns], unique=unique)
        try:
            index.create(self._db, checkfirst=True)
        except IntegrityError as exc:
            raise SourceError(f"key {', '.join(columns)} is not unique in {self.files()[table.name].name}; "
                              f"{_first_duplicate(self._db, table, columns)}", source=self.name,
                              table=table.name) from exc

    def stage(self, table: str) -> None:
        """Copy one export file into the staging database unless the same file is staged already."""
        files = self.files()
        if table not in files:
            raise SourceError(f"no export file {table}.csv or {table}.xlsx in {self.folder} "
                              f"(files: {', '.join(sorted(files)) or 'none'})", source=self.name, table=table)
        path = files[table]
        stat = path.stat()
        fingerprint = f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}:{self.encoding}:{self.delimiter}"
        with self._db.connect() as conn:
            staged = conn.execute(select(self._staged_table.c.fingerprint)
                                  .where(self._staged_table.c.name == table)).scalar()
        if staged == fingerprint:
            return
        rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else self._csv_rows(path)
        header = next(rows, None)
        if header is None:
            raise SourceError(f"{path.name} is empty (no header row)", source=self.name, table=table)
        names = [str(h).strip() if h is not None else "" for h in header]
        bad = [i + 1 for i, n in enumerate(names) if not n] or [n for n in names if names.count(n) > 1]
        if bad:
            raise SourceError(f"{path.name}: header has empty or repeated column names ({bad})",
                              source=self.name, table=table)
        integers = self._integer_columns(path, names)
        meta = MetaData()
        target = Table(table, meta, Column("_line", Integer),
                       *[Column(n, Integer if n in integers else Text) for n in names])
        with self._db.begin() as conn:
            target.drop(conn, checkfirst=True)
            target.create(conn)
            chunk, count = [], 0
            for line, row in rows:
                if len(row) > len(names) and any(v not in (None, "") for v in row[len(names):]):
                    raise SourceError(f"{path.name} line {line}: {len(row)} fields, the header has {len(names)}",
                                      source=self.name, table=table)
                values = {"_line": line}
                values.update({n: _cell(v, n in integers) for n, v in zip(names, row)})
                chunk.append(values)
                count += 1
                if len(chunk) >= CHUNK:
                    conn.execute(insert(target), chunk)
                    chunk = []
            if chunk:
                conn.execute(insert(target), chunk)
            conn.execute(self._staged_table.delete().where(self._staged_table.c.name == table))
            conn.execute(insert(self._staged_table).values(name=table, fingerprint=fingerprint, rows=str(count)))
        self._sql.forget()

    def _integer_columns(self, path: Path, names: list[str]) -> set[str]:
        """Columns whose every value is a whole number without leading zeros (a first streaming pass),
        so their keys order as numbers; codes such as "00123" stay text."""
        candidates = set(names)
        rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else self._csv_rows(path)
        next(rows, None)
        for _, row in rows:
            for name, value in zip(names, row):
                if name in candidates and _cell(value, False) is not None and not _is_integer(value):
                    candidates.discard(name)
            if not candidates:
                break
        return candidates

    def _csv_rows(self, path: Path) -> Iterator:
        def gen():
            with path.open(encoding=self.encoding, newline="") as fh:
                reader = csv.reader(fh, delimiter=self.delimiter)
                header = next(reader, None)
                if header is None:
                    return
                yield header
                for row in reader:
                    if row:
                        yield reader.line_num, row
        try:
            yield from gen()
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path.name} is not {self.encoding}: {exc}; set ?encoding= in the URL",
                              source=self.name, table=path.stem) from exc


def _xlsx_rows(path: Path) -> Iterator:
    """The first worksheet, streamed (openpyxl read-only): header, then (line, values)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number == 1:
                yield list(row)
            elif any(v is not None and v != "" for v in row):
                yield number, list(row)
    finally:
        book.close()


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return True
    text = str(value).strip()
    return text.lstrip("-").isdigit() and str(int(text)) == text and len(text) < 19


def _cell(value: object, integer: bool) -> object:
    if value is None or value == "":
        return None
    if integer:
        return int(float(value)) if isinstance(value, float) else int(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _first_duplicate(engine, table: Table, columns: tuple[str, ...]) -> str:
    from sqlalchemy import func

    cols = [table.c[c] for c in columns]
    stmt = select(*cols, func.min(table.c._line), func.max(table.c._line)).group_by(*cols)
    stmt = stmt.having(func.count() > 1).limit(1)
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return "duplicate keys"
    *key, first, last = row
    return f"key {', '.join(map(str, key))} appears on lines {first} and {last}"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "source"
