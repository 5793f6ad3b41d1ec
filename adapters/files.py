"""Folders of CSV or XLSX exports: one file per legacy table (``HoSo.csv``, ``HoSo.xlsx``).

``files:///srv/exports/hanam?encoding=cp1258&staging=/var/tmp/hopnhat``

Exports are neither sorted nor indexed, and keyset pages need both. So the
first time a table is used, its file is streamed (``csv`` module, openpyxl in
read-only mode) into an on-disk SQLite staging database, in chunks, with
every value as text ("" becomes NULL), and a unique index is built on the
entity's key. From then on the folder is read like any SQL source: keyset
pages, counts, digests and joins, in constant memory whatever the file size.
The source's own count is the number of rows below the header; a key that
appears twice, or a row with more fields than the header, is an error naming
the file and line, never a silent drop.

A profile's ``[export.TABLE]`` says how a clerk saved the file (see
:mod:`adapters.sheets`): the header row under title rows, the sheets read,
merged blocks filled or refused, totals-row labels. Blank rows between data rows
and totals rows are staged too, keyed ``~line 7`` (CSV) or ``~Sheet!7`` (XLSX),
and read as records marked ``~skipped`` with the reason: the run counts them
as excluded, so the conservation equation holds with every row of the file.

Query options: ``encoding`` of CSV files (``utf-8``, the default, accepts a
BOM; ``cp1258``, ``cp1252``...), ``delimiter`` (``,``), ``staging`` (a folder
kept between runs; the default is a temporary folder removed on close).
A column whose every value is a whole number without leading zeros is staged
as an integer (a first streaming pass decides), so numeric keys order as
numbers; everything else, codes such as "00123" included, stays text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, create_engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.base import RangeDigest
from adapters.sheets import ExportReader
from migrate.core.records import SKIPPED, EntitySpec, Key, RawRecord, SheetLayout, rows_digest
from adapters.sqlsource import SqlSource
from migrate.core.errors import ConfigError, SourceError
from migrate.core.messages import Message, msg

log = logging.getLogger(__name__)

TYPE_MAP = {"text": "text"}
SUFFIXES = (".csv", ".xlsx")
CHUNK = 5000
_STAGED = "_hopnhat_staged"
HIDDEN = ("_line", "_sheet", "_skipped", "_mark")  # staging columns, never a legacy column


def parse_files_url(url: str) -> tuple[Path, dict[str, str]]:
    parts = urlsplit(url)
    path = unquote(parts.netloc + parts.path) if parts.netloc not in ("", "localhost") else unquote(parts.path)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return Path(path), options


def open_source(name: str, url: str) -> FilesSource:
    folder, options = parse_files_url(url)
    if not folder.is_dir():
        raise SourceError(msg("export folder not found: {folder}", folder=str(folder)), source=name)
    unknown = sorted(set(options) - {"encoding", "delimiter", "staging"})
    if unknown:
        raise ConfigError(msg("source {source}: unknown files:// option(s) {options}; "
                              "known: encoding, delimiter, staging", source=name, options=", ".join(unknown)))
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
        self._layouts: dict[str, SheetLayout] = {}  # table -> layout, from the profile parts read so far
        self._skipped: dict[str, dict[object, str]] = {}  # table -> key of a skipped row -> reason
        self.reports: dict[str, str] = {}  # table -> what staging set aside (titles, blank, totals rows)

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

    def columns(self, table: str, *, entity: EntitySpec | None = None) -> dict[str, str]:
        """The export's columns, read as the layout of ``entity`` (a profile part) says, if given."""
        if entity is not None:
            self._layouts.update(entity.layouts)
        self.stage(table)
        return {c: t for c, t in self._sql.columns(table).items() if c not in HIDDEN}

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
        for page in self._sql.read(entity, after=after, batch_size=batch_size, since=since):
            yield self._marked(entity.table, page)

    def read_range(self, entity: EntitySpec, lo: Key, hi: Key, *, batch_size: int,
                   since: object | None = None) -> Iterator[list[RawRecord]]:
        self._ready(entity)
        for page in self._sql.read_range(entity, lo, hi, batch_size=batch_size, since=since):
            yield self._marked(entity.table, page)

    def bounds(self, entity: EntitySpec, *, after: Key | None, batch_size: int) -> tuple[Key, Key] | None:
        self._ready(entity)
        return self._sql.bounds(entity, after=after, batch_size=batch_size)

    def digest(self, entity: EntitySpec, lo: Key, hi: Key) -> RangeDigest:
        """Count and XOR of per-row digests over the records as :meth:`read` gives them."""
        count, digest = rows_digest(self.read_range(entity, lo, hi, batch_size=5000))
        return RangeDigest(lo, hi, count, digest)

    def keys(self, entity: EntitySpec, *, batch_size: int, since: object | None = None) -> Iterator[Sequence]:
        self._ready(entity)
        yield from self._sql.keys(entity, batch_size=batch_size, since=since)

    def watermark(self, entity: EntitySpec) -> object | None:
        self._ready(entity)
        return self._sql.watermark(entity)

    def census(self, entity: EntitySpec) -> tuple[int, object | None]:
        self._ready(entity)
        return self._sql.census(entity)

    def one_row_per_key(self, entity: EntitySpec) -> bool:
        self._ready(entity)
        return self._sql.one_row_per_key(entity)

    def text_report(self) -> dict[str, dict[str, int]]:
        return self._sql.text_report()

    def close(self) -> None:
        self._sql.close()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    # --- staging -----------------------------------------------------------------------------------
    def _ready(self, entity: EntitySpec) -> None:
        """Stage the entity's tables, key the skipped rows, index the key (unique) and the join columns."""
        self._layouts.update(entity.layouts)
        self.stage(entity.table)
        table = self._sql.table(entity.table)
        missing = [k for k in entity.key if k not in table.c]
        if missing:
            raise SourceError(msg("key column(s) {columns} not in {file}", columns=", ".join(missing),
                                  file=self.files()[entity.table].name), source=self.name, table=entity.table)
        self._key_skipped(table, entity.key[0])
        self._index(table, entity.key, unique=True)
        if entity.modified and entity.modified in table.c:
            self._index(table, (entity.modified,), unique=False)
        for join in entity.joins:
            self.stage(join.table)
            other = self._sql.table(join.table)
            self._index(other, tuple(right for _, right in join.on if right in other.c), unique=False)

    def _key_skipped(self, table: Table, column: str) -> None:
        """A blank or totals row carries no key: it takes its place in the file (``~line 7``, ``~Sheet!7``)."""
        if table.name in self._skipped:
            return
        key, mark = table.c[column], table.c._mark
        with self._db.begin() as conn:
            conn.execute(update(table).where(table.c._skipped.is_not(None), key.is_distinct_from(mark))
                         .values({column: mark}))
            rows = conn.execute(select(mark, table.c._skipped).where(table.c._skipped.is_not(None))).all()
        self._skipped[table.name] = {m: reason for m, reason in rows}

    def _marked(self, table: str, page: list[RawRecord]) -> list[RawRecord]:
        """Records of skipped rows carry ``~skipped``: the run excludes them with the reason."""
        skipped = self._skipped.get(table)
        if not skipped:
            return page
        return [RawRecord(r.table, r.key, {**r.payload, SKIPPED: skipped[r.key[0]]}) if r.key[0] in skipped else r
                for r in page]

    def _index(self, table: Table, columns: tuple[str, ...], *, unique: bool) -> None:
        if not columns:
            return
        digest = hashlib.sha1("\0".join((table.name, *columns)).encode()).hexdigest()[:12]
        index = Index(f"ix_{'u' if unique else 'n'}_{digest}", *[table.c[c] for c in columns], unique=unique)
        try:
            index.create(self._db, checkfirst=True)
        except IntegrityError as exc:
            raise SourceError(msg("key {columns} is not unique in {file}; {duplicate}", columns=", ".join(columns),
                                  file=self.files()[table.name].name,
                                  duplicate=_first_duplicate(self._db, table, columns)), source=self.name,
                              table=table.name) from exc

    def stage(self, table: str) -> None:
        """Copy one export file into the staging database unless the same file is staged already."""
        files = self.files()
        if table not in files:
            raise SourceError(msg("no export file {table}.csv or {table}.xlsx in {folder} (files: {files})",
                                  table=table, folder=str(self.folder), files=", ".join(sorted(files)) or msg("none")),
                              source=self.name, table=table)
        path = files[table]
        stat = path.stat()
        layout = self._layouts.get(table, SheetLayout())
        fingerprint = (f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}:{self.encoding}:{self.delimiter}:"
                       f"{layout.fingerprint}")
        with self._db.connect() as conn:
            staged = conn.execute(select(self._staged_table.c.fingerprint)
                                  .where(self._staged_table.c.name == table)).scalar()
        if staged == fingerprint:
            return
        reader = ExportReader(path, layout, source=self.name, table=table, encoding=self.encoding,
                              delimiter=self.delimiter)
        names = reader.header()
        integers = _integer_columns(reader, names)
        meta = MetaData()
        target = Table(table, meta, Column("_line", Integer), Column("_sheet", Text), Column("_skipped", Text),
                       Column("_mark", Text), *[Column(n, Integer if n in integers else Text) for n in names])
        with self._db.begin() as conn:
            target.drop(conn, checkfirst=True)
            target.create(conn)
            chunk, count = [], 0
            for row in reader.rows():
                if len(row.values) > len(names) and any(v not in (None, "") for v in row.values[len(names):]):
                    raise SourceError(msg("{where}: {n} fields, the header has {header}",
                                          where=reader.where(row.sheet, row.line), n=len(row.values),
                                          header=len(names)), source=self.name, table=table)
                record = row.skipped is None  # a skipped row keeps text: a totals row has words in number columns
                values: dict[str, object] = dict.fromkeys(names)
                values.update({"_line": row.line, "_sheet": row.sheet, "_skipped": row.skipped,
                               "_mark": None if record else _mark(row.sheet, row.line)})
                values.update({n: _cell(v, n in integers and record) for n, v in zip(names, row.values)})
                chunk.append(values)
                count += 1
                if len(chunk) >= CHUNK:
                    conn.execute(insert(target), chunk)
                    chunk = []
            if chunk:
                conn.execute(insert(target), chunk)
            conn.execute(self._staged_table.delete().where(self._staged_table.c.name == table))
            conn.execute(insert(self._staged_table).values(name=table, fingerprint=fingerprint, rows=str(count)))
        self.reports[table] = msg("{file}: {rows} rows; {found}", file=path.name, rows=count,
                                  found=reader.tally.summary())
        log.info(msg("{source}/{table} staged: {report}", source=self.name, table=table, report=self.reports[table]))
        self._skipped.pop(table, None)
        self._sql.forget()


def _integer_columns(reader: ExportReader, names: list[str]) -> set[str]:
    """Columns whose every value (in rows that are records) is a whole number without leading zeros (a first
    streaming pass), so their keys order as numbers; codes such as "00123" stay text."""
    candidates = set(names)
    for row in reader.rows():
        if row.skipped is not None:
            continue
        for name, value in zip(names, row.values):
            if name in candidates and _cell(value, False) is not None and not _is_integer(value):
                candidates.discard(name)
        if not candidates:
            break
    return candidates


def _mark(sheet: str | None, line: int) -> str:
    """The key of a row that is no record: where it is in the file."""
    return f"~{sheet}!{line}" if sheet is not None else f"~line {line}"


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
        return int(float(value)) if isinstance(value, float) else int(str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _first_duplicate(engine, table: Table, columns: tuple[str, ...]) -> Message:
    from sqlalchemy import func, tuple_

    cols = [table.c[c] for c in columns]
    stmt = select(*cols).group_by(*cols).having(func.count() > 1).limit(1)
    with engine.connect() as conn:
        key = conn.execute(stmt).first()
        if key is None:
            return msg("duplicate keys")
        places = conn.execute(select(table.c._sheet, table.c._line).where(tuple_(*cols) == tuple(key))
                              .order_by(table.c._sheet, table.c._line).limit(2)).all()
    shown = ", ".join(map(str, key))
    if all(sheet is None for sheet, _ in places):
        lines = [str(line) for _, line in places]
        if len(lines) == 1:
            return msg("key {key} appears on lines {first}", key=shown, first=lines[0])
        return msg("key {key} appears on lines {first} and {second}", key=shown, first=lines[0], second=lines[1])
    first, *others = [msg("sheet '{sheet}' row {row}", sheet=str(sheet), row=str(line)) for sheet, line in places]
    if not others:
        return msg("key {key} appears on {first}", key=shown, first=first)
    return msg("key {key} appears on {first} and {second}", key=shown, first=first, second=others[0])


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "source"
