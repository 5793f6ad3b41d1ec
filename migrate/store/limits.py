"""What a store column accepts, read from the models: the same limits on SQLite and PostgreSQL.

A value is checked against the strictest engine, so whether a record loads
never depends on the store: ``String(n)`` holds at most n characters (SQLite
would take more, PostgreSQL refuses them), text holds no NUL character and no
lone surrogate (PostgreSQL refuses both, and neither is text), integers fit the
column's size on PostgreSQL, floats are finite, dates fit both engines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Date, DateTime, Float, Integer, SmallInteger, String

from migrate.core.canonical import shown
from migrate.core.messages import N_
from migrate.core.records import jsonable

_INT_RANGES = ((SmallInteger, 15), (BigInteger, 63), (Integer, 31))  # subclasses first

# what a value the store cannot hold is quarantined for (catalogue messages, said where shown)
OUT_OF_RANGE = N_("{value} is out of range for store column {column} ({bits}-bit integer)")
NOT_FINITE = N_("{value} is not a finite number (store column {column})")
TOO_LONG = N_("{n} characters, longer than store column {column} (at most {length})")
NUL = N_("contains a NUL character at position {at} (rule text:nul)")
NOT_UTF8 = N_("contains {character} at position {at}, bytes that are not UTF-8 text (rule text:not-utf8)")
PROBLEMS = (OUT_OF_RANGE, NOT_FINITE, TOO_LONG, NUL, NOT_UTF8)


@dataclass(frozen=True)
class Limit:
    """One store column's limits; :meth:`problem` says why a value does not fit, or None."""

    column: str  # table.column, for messages
    kind: str  # text, int, float, date, datetime, other
    length: int | None = None
    bits: int | None = None

    def problem(self, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return text_problem(value) or self._length(value)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            if self.bits is not None and not -(1 << self.bits) <= value < (1 << self.bits):
                return OUT_OF_RANGE.format(value=shown(value), column=self.column, bits=self.bits + 1)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return NOT_FINITE.format(value=repr(value), column=self.column)
        return None

    def _length(self, value: str) -> str | None:
        if self.length is not None and len(value) > self.length:
            return TOO_LONG.format(n=len(value), column=self.column, length=self.length)
        return None


def column_limit(column: Column) -> Limit:
    """The limits of one model column."""
    name = f"{column.table.name}.{column.name}"
    kind = column.type
    if isinstance(kind, String):
        return Limit(name, "text", length=kind.length)
    for cls, bits in _INT_RANGES:
        if isinstance(kind, cls):
            return Limit(name, "int", bits=bits)
    if isinstance(kind, Float):
        return Limit(name, "float")
    if isinstance(kind, DateTime):
        return Limit(name, "datetime")
    if isinstance(kind, Date):
        return Limit(name, "date")
    return Limit(name, "other")


def text_problem(value: str) -> str | None:
    """A NUL character (rule text:nul) or a lone surrogate, i.e. bytes that were not UTF-8
    (rule text:not-utf8), named with its position; None for storable text."""
    if value.isascii():
        at = value.find("\x00")
        return None if at < 0 else NUL.format(at=at)
    at = value.find("\x00")
    if at >= 0:
        return NUL.format(at=at)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return NOT_UTF8.format(character=repr(value[exc.start]), at=exc.start)
    return None


def storable_payload(payload: Mapping[str, object]) -> dict[str, object]:
    """A raw payload as a quarantine row keeps it: JSON-safe values, lone surrogates escaped."""
    out: dict[str, object] = {}
    for key, value in payload.items():
        value = jsonable(value) if not isinstance(value, Mapping) else storable_payload(value)
        if isinstance(value, float) and not math.isfinite(value):
            value = repr(value)  # JSON has no inf or nan
        out[storable_text(str(key))] = storable_text(value) if isinstance(value, str) else value
    return out


def storable_reason(reason: str) -> str:
    """Free text quoting legacy values (a reason, a remap detail, an identifier read from a raw payload) as
    a store can hold it: NUL written ``\\x00``, lone surrogates escaped. Nothing else in it can be refused."""
    return storable_text(reason.replace("\x00", "\\x00"))


def storable_text(value: str) -> str:
    """``value`` with lone surrogates written as ``\\udcXX`` escapes: what a quarantine payload keeps."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


