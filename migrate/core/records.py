"""The records adapters hand to the pipeline: a profile part (Part), a legacy row (RawRecord), keys."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from migrate.core.entities import REGISTRY, Entity

Key = tuple[object, ...]

@dataclass(frozen=True)
class Join:
    """A table joined (left outer join) to an entity's main table: ``on`` pairs main -> joined column.

    The main side of a pair may name a column of an earlier join as ``"Table.column"``.
    Profile columns name the joined table's columns as ``"Table.column"``.
    """

    table: str
    on: tuple[tuple[str, str], ...]
    several: str = "quarantine"  # several matching rows: "quarantine", or "latest:column" (highest value kept)

    @property
    def latest(self) -> str | None:
        """The column whose highest value picks one of several matching rows, if the profile chose so."""
        how, _, column = self.several.partition(":")
        return column if how == "latest" and column else None


@dataclass(frozen=True)
class Choice:
    """A field taken from ``column`` only on rows where ``when`` column holds one of ``values``."""

    column: str
    when: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    """Rows set aside by a named rule (``exclude``): counted as *excluded* in conservation, never dropped.

    ``values`` are compared ignoring case and surrounding spaces; ``""`` also matches NULL.
    ``present``: every row whose column holds a value (not NULL, not blank) instead, such as the
    ``DeletedAt`` date that marks a soft-deleted row.
    """

    column: str
    values: tuple[str, ...]
    reason: str
    present: bool = False


@dataclass(frozen=True)
class Link:
    """Which account part a link field (``applicant_account_key``, ``owner_account_key``) points into.

    Either one ``part``, or the part named by the value of column ``by`` (``parts`` maps its values,
    compared ignoring case and surrounding spaces, to part labels).
    """

    part: str | None = None
    by: str | None = None
    parts: Mapping[str, str] = field(default_factory=dict)


TOTALS = ("tổng cộng", "tổng", "cộng", "total")  # first cell of a spreadsheet's totals row (folded)


@dataclass(frozen=True)
class SheetLayout:
    """How a clerk saved one export file (``[export.TABLE]`` in a profile).

    ``header_row`` is the 1-based row holding the column names (title rows above it are
    not records); ``sheets`` names the worksheets read, in order (``("*",)``: every visible
    sheet holding data; empty: the workbook's only sheet holding data); ``merged`` says what a
    merged block over data rows becomes ("fill": its value in every cell, "refuse": an error
    naming the block); a row whose first non-empty cell is one of ``totals`` is a totals row.
    Blank rows between data rows and totals rows are records *excluded* with their reason.
    """

    header_row: int = 1
    sheets: tuple[str, ...] = ()
    merged: str = "refuse"
    totals: tuple[str, ...] = TOTALS

    @property
    def fingerprint(self) -> str:
        return json.dumps([self.header_row, self.sheets, self.merged, self.totals], ensure_ascii=False)


MAIN_ACCOUNT = "account"
WALK_IN = "owner:id-number"  # lineage rule of a document owned by an id number (a walk-in applicant), no account key
SEVERAL = "~several"  # payload entry naming the joins that matched several rows
SKIPPED = "~skipped"  # payload entry of a spreadsheet row that is no record (blank, totals): why it is excluded
DERIVED = "="  # payload names of derived values (constants, composed text) start with this


@dataclass(frozen=True)
class Delta:
    """The records a delta run reads of one part (see :mod:`migrate.delta`).

    Those whose ``modified`` column is at or after ``since`` (the last snapshot's
    watermark minus the safety margin), and those whose key lies in one of
    ``ranges`` (lo, hi inclusive): records the store did not hold whose watermark had
    not moved past it (inserted with an old or empty ``modified``).

    ``pages``: the key ranges of its batches, in order, when the key comparison
    could tell them (the records it reads counted in the source's key order, a
    page every batch size): planning a batch then reads nothing from the source,
    and the records past the last page are planned from the source as usual.
    """

    since: object | None
    ranges: tuple[tuple[Key, Key], ...] = ()
    pages: tuple[tuple[Key, Key], ...] = ()


@dataclass(frozen=True)
class Part:
    """One legacy table of a profile feeding a canonical entity: its table, key and columns.

    ``name`` is the canonical entity (``migrate.core.entities``); ``part`` names this
    table's share of it when several legacy tables feed one entity (``dossier_event``
    and ``dossier_event.log``); it is empty for the main one. Each part keeps its own
    lineage (source table), snapshot count and batches (labelled ``label``).
    """

    name: str  # canonical entity: account, dossier, ...
    table: str
    key: tuple[str, ...]
    columns: Mapping[str, str]  # canonical field -> legacy column ("col", "Join.col" or "=field")
    lookups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    convert: Mapping[str, str] = field(default_factory=dict)
    modified: str | None = None  # watermark column for delta extraction
    joins: tuple[Join, ...] = ()
    constants: Mapping[str, str] = field(default_factory=dict)  # field -> fixed value
    compose: Mapping[str, str] = field(default_factory=dict)  # field -> "{col}/{Join.col}" template
    choose: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)  # field -> the first that applies
    text: str = "none"  # none, nfc, auto, tcvn3, vni, cp1258 (see adapters.text)
    part: str = ""
    fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field -> first non-empty column
    nulls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field (or "*") -> values meaning NULL
    null_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # legacy column -> values meaning NULL
    exclude: tuple[Exclusion, ...] = ()
    links: Mapping[str, Link] = field(default_factory=dict)  # link field -> the account part it points into
    attachment: str = "required"  # dossier_file: "optional" loads a record that names no file
    remap: bool = True  # False: this part's records get no new commune (staff)
    layouts: Mapping[str, SheetLayout] = field(default_factory=dict)  # export file (table) -> how it was saved
    delta: Delta | None = None  # set by a delta run: read only these records (never in a profile)

    @property
    def label(self) -> str:
        """The name of this part in the ledger and in messages: ``part`` or ``name``."""
        return self.part or self.name

    @property
    def entity(self) -> Entity:
        """The canonical entity this part feeds."""
        return REGISTRY[self.name]

    def legacy_columns(self) -> tuple[str, ...]:
        """Key columns first, then the mapped, composed and watermark columns, without repeats."""
        seen: dict[str, None] = dict.fromkeys(self.key)
        seen.update(dict.fromkeys(c for c in self.columns.values() if not c.startswith(DERIVED)))
        for template in self.compose.values():
            seen.update(dict.fromkeys(template_columns(template)))
        for choices in self.choose.values():
            for choice in choices:
                seen.update(dict.fromkeys((choice.column, choice.when)))
        for columns in self.fallbacks.values():
            seen.update(dict.fromkeys(columns))
        seen.update(dict.fromkeys(e.column for e in self.exclude))
        seen.update(dict.fromkeys(self.null_columns))
        seen.update(dict.fromkeys(link.by for link in self.links.values() if link.by))
        if self.modified:
            seen[self.modified] = None
        return tuple(seen)


def fold(value: object) -> str:
    """The form values are matched in (lookups, nulls, choose, exclude, links).

    NFC, stripped, case-folded; true/false as 1/0, 2.0 as 2, a DECIMAL in any scale
    as its number (``0.000`` matches ``0``, ``1.250`` matches ``1.25``), and a midnight
    timestamp as its date (``1970-01-01 00:00:00`` matches ``1970-01-01``).
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    text = unicodedata.normalize("NFC", str(value)).strip().casefold()
    midnight = _MIDNIGHT.fullmatch(text)
    if midnight:
        return midnight.group(1)
    scaled = _SCALED.fullmatch(text)  # a DECIMAL as the payload holds it: "0.000", "1.250"
    if scaled:
        return f"{scaled.group(1)}.{scaled.group(2)}" if scaled.group(2) else scaled.group(1)
    return text


_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[ t]00:00(?::00(?:\.0+)?)?(?:\+00(?::?00)?|z)?")
_SCALED = re.compile(r"(-?\d+)\.(\d*?)0+")


def link_value(part: str, key: object) -> str:
    """A link's canonical value: the key alone into the main account part, else ``"part:key"``."""
    return str(key) if part == MAIN_ACCOUNT else f"{part}:{key}"


def split_link(value: object, parts: Mapping[str, str]) -> tuple[str, str]:
    """(part label, source key) of a link value; ``parts`` are the source's account part labels."""
    text = str(value)
    label, sep, key = text.partition(":")
    if sep and label in parts and label != MAIN_ACCOUNT:
        return label, key
    return MAIN_ACCOUNT, text


EntitySpec = Part  # the name adapters and profiles knew it by


def template_columns(template: str) -> list[str]:
    """The column names a compose template refers to: ``"{companyId}/{DLFileEntry.name}"``."""
    from string import Formatter

    return [name for _, name, _, _ in Formatter().parse(template) if name]


class RawRecord(NamedTuple):
    """One legacy row as the source returned it, JSON-safe (a named tuple: one is made for every row read).

    A row whose key cannot name it (NULL, or shared by other rows of a table without a
    primary key) carries the reason as ``key_problem`` (it is quarantined) and a
    ``lineage_key`` of its own, used instead of the key.
    """

    table: str
    key: Key
    payload: Mapping[str, object]
    key_problem: str | None = None
    lineage_key: str | None = None

    @property
    def source_key(self) -> str:
        return self.lineage_key if self.lineage_key is not None else encode_key(self.key)


def encode_key(key: Key) -> str:
    """The text form of a source key stored in lineage: the value alone for one column."""
    if len(key) == 1:
        return str(key[0])
    return json.dumps([jsonable(k) for k in key], ensure_ascii=False)


def jsonable(value: object) -> object:
    """A JSON-safe, engine-independent form of one driver value."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def rows_digest(pages: Iterable[Iterable[RawRecord]]) -> tuple[int, str]:
    """Count and order-independent digest of legacy rows: SHA-256 of the XOR of their row digests.

    The same rows give the same digest whatever order and engine they were read in.
    """
    acc, count = 0, 0
    for page in pages:
        for record in page:
            acc ^= int(row_digest(record.payload), 16)
            count += 1
    return count, hashlib.sha256(acc.to_bytes(32, "big")).hexdigest()


def row_digest(payload: Mapping[str, object]) -> str:
    """SHA-256 of a raw payload: sorted keys, NFC text."""
    norm = {
        k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in payload.items()
    }
    text = json.dumps(norm, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # bytes read from invalid UTF-8
