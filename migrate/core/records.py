"""The records adapters hand to the pipeline: a profile part (EntitySpec), a legacy row (RawRecord), keys."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

Key = tuple[object, ...]

@dataclass(frozen=True)
class Join:
    """A table joined (left outer join) to an entity's main table: ``on`` pairs main -> joined column.

    The main side of a pair may name a column of an earlier join as ``"Table.column"``.
    Profile columns name the joined table's columns as ``"Table.column"``.
    """

    table: str
    on: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Choice:
    """A field taken from ``column`` only on rows where ``when`` column holds one of ``values``."""

    column: str
    when: str
    values: tuple[str, ...]


DERIVED = "="  # payload names of derived values (constants, composed text) start with this


@dataclass(frozen=True)
class EntitySpec:
    """Which legacy table and columns make up one canonical entity (from a profile).

    ``name`` is the canonical entity; ``part`` names this source table's share of it
    when several legacy tables feed one entity (``dossier_event`` and
    ``dossier_event.log``); it is ``name`` for the main one.
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
    choose: Mapping[str, Choice] = field(default_factory=dict)  # field -> a column taken only when...
    text: str = "none"  # none, nfc, auto, tcvn3, vni, cp1258 (see adapters.text)
    part: str = ""

    @property
    def label(self) -> str:
        """The name of this part in the ledger and in messages: ``part`` or ``name``."""
        return self.part or self.name

    def legacy_columns(self) -> tuple[str, ...]:
        """Key columns first, then the mapped, composed and watermark columns, without repeats."""
        seen: dict[str, None] = dict.fromkeys(self.key)
        seen.update(dict.fromkeys(c for c in self.columns.values() if not c.startswith(DERIVED)))
        for template in self.compose.values():
            seen.update(dict.fromkeys(template_columns(template)))
        for choice in self.choose.values():
            seen.update(dict.fromkeys((choice.column, choice.when)))
        if self.modified:
            seen[self.modified] = None
        return tuple(seen)


def template_columns(template: str) -> list[str]:
    """The column names a compose template refers to: ``"{companyId}/{DLFileEntry.name}"``."""
    from string import Formatter

    return [name for _, name, _, _ in Formatter().parse(template) if name]


@dataclass(frozen=True)
class RawRecord:
    """One legacy row as the source returned it, JSON-safe."""

    table: str
    key: Key
    payload: Mapping[str, object]

    @property
    def source_key(self) -> str:
        return encode_key(self.key)


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


def row_digest(payload: Mapping[str, object]) -> str:
    """SHA-256 of a raw payload: sorted keys, NFC text."""
    norm = {
        k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in payload.items()
    }
    text = json.dumps(norm, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
