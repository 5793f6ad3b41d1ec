"""Canonical records: the fields of each entity, conversions, validation, content hash.

A legacy row becomes a canonical record through its profile (column names,
lookups, conversions). A value that cannot be converted or validated is a
:class:`Rejection` naming the field and the reason; the record then goes to
quarantine with its raw payload.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from migrate.core.entities import REGISTRY, Field
from migrate.core.messages import N_
from migrate.core.records import SEVERAL, SKIPPED, EntitySpec, RawRecord, fold, link_value

FIELDS: dict[str, dict[str, Field]] = {e.name: {f.name: f for f in e.fields} for e in REGISTRY.values()}
"""entity -> canonical field name -> field (from the entity registry)."""

KNOWN_CONVERSIONS = ("text", "int", "date", "datetime", "epoch_ms", "digits", "upper", "bytes")

# field kind -> the conversions that give a value of that kind (a date conversion on a datetime
# field would load a date the content check then reads back as a different timestamp)
ACCEPTS: dict[str, tuple[str, ...]] = {
    "text": ("text", "digits", "upper"),
    "code": ("text", "digits", "upper"),
    "enum": ("text", "upper"),
    "id_number": ("text", "digits"),
    "legacy_id_number": ("text", "digits"),
    "tax_code": ("text", "digits"),
    "date": ("date",),
    "datetime": ("datetime", "epoch_ms"),
    "int": ("int", "bytes"),
}
SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}

_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
)
_DIGITS = re.compile(r"\D")
_WHOLE_DECIMAL = re.compile(r"\s*([+-]?\d+)\.0*\s*")  # 2048.00: a DECIMAL column's whole number, with its scale


@dataclass(frozen=True)
class Rejection:
    """Why one record cannot be loaded: the field and the reason."""

    record_key: str
    field: str
    reason: str
    raw_payload: Mapping[str, object]


class _Invalid(ValueError):
    pass


# why a record is quarantined by its conversion (catalogue messages, said where shown); FIELD_PROBLEM's
# problem is one of PROBLEMS, or a store limit's (migrate.store.limits)
FIELD_PROBLEM = N_("{column}={value}: {problem}")
SEVERAL_ROWS = N_("join {several} for this record; the profile picks one with several = \"latest:COLUMN\" on the join")
NO_PART = N_("{by}={chosen} names no account part for {column}={value}; the profile's links.{name}.parts know: "
             "{parts}")
REQUIRED = N_("{column} is empty; {name} is required")
CANNOT_CONVERT = N_("cannot convert ({kind}: {error})")
BINARY = N_("{column} holds {n} bytes of binary data, not text (rule blob:not-text)")
NO_LOOKUP = N_("no lookup for value '{value}'; known: {known}")
NOT_MILLISECONDS = N_("not milliseconds since 1970")
NOT_ONE_OF = N_("must be one of {choices}")
NOT_CCCD = N_("CCCD must have 12 digits (or a 9-digit CMND)")
NOT_CMND = N_("CMND must have 9 digits (or a 12-digit CCCD)")
NOT_TAX_CODE = N_("tax code must have 10 or 13 digits")
NOT_SIZE = N_("not a size in {unit} (a number, optionally followed by B, KB, MB or GB)")
NOT_WHOLE = N_("not a whole number")
NOT_FINITE = N_("not a finite number")
NOT_DATE = N_("not a date")
NOT_DATE_IN = N_("not a date in format {format}")
REASONS = (FIELD_PROBLEM, SEVERAL_ROWS, NO_PART, REQUIRED)
PROBLEMS = (CANNOT_CONVERT, BINARY, NO_LOOKUP, NOT_MILLISECONDS, NOT_ONE_OF, NOT_CCCD, NOT_CMND, NOT_TAX_CODE,
            NOT_SIZE, NOT_WHOLE, NOT_FINITE, NOT_DATE, NOT_DATE_IN)


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for reasons (a 1 MB value stays out of messages)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


BLOB = "base64:"  # how records.jsonable writes binary values


def blob_text(value: str, column: str) -> str:
    """A binary value (BLOB) holding UTF-8 text becomes that text (rule blob:utf-8); any other
    binary value is not text (rule blob:not-text)."""
    import base64
    import binascii

    try:
        data = base64.b64decode(value[len(BLOB):], validate=True)
    except (binascii.Error, ValueError):
        return value  # text that merely starts like a binary value
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid(BINARY.format(column=column, n=len(data))) from None


def nfc(value: object) -> str | None:
    """Stripped NFC text; empty becomes None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def to_canonical(spec: EntitySpec, raw: RawRecord) -> tuple[dict[str, object], Rejection | None]:
    """Turn one legacy row into a canonical record, or say why not (first problem found).

    Converting many rows of one entity: build the converter once with :func:`converter`.
    """
    return converter(spec)(raw)


Converter = Callable[[RawRecord], "tuple[dict[str, object], Rejection | None]"]


def converter(spec: EntitySpec) -> Converter:
    """``to_canonical`` for one entity spec, with the per-field decisions (column, lookup,
    conversion, type) taken once instead of for every value."""
    fields = FIELDS[spec.name]
    star = spec.nulls.get("*", ())
    steps = [(name, spec.columns.get(name), fn, fn is _plain_text,
              frozenset((*spec.nulls.get(name, ()), *star, *spec.null_columns.get(spec.columns.get(name) or "", ()))))
             for name, field in fields.items() for fn in (_field_converter(spec, name, field),)]
    required = [(name, spec.columns.get(name)) for name, field in fields.items() if field.required]
    swap = "legacy_id_number" in fields and "id_number" in fields
    links = [(name, link, spec.columns.get(name)) for name, link in spec.links.items()]

    def convert(raw: RawRecord) -> tuple[dict[str, object], Rejection | None]:
        payload = raw.payload
        record: dict[str, object] = {}
        if SEVERAL in payload:
            several = str(payload[SEVERAL])
            return record, Rejection(raw.source_key, several.split(" ", 1)[0], SEVERAL_ROWS.format(several=several),
                                     raw.payload)
        for name, column, fn, plain, nulls in steps:
            value = payload.get(column) if column else None
            if value is None or (nulls and fold(value) in nulls):
                record[name] = None
                continue
            try:
                if value.__class__ is str:
                    if value.startswith(BLOB):
                        value = blob_text(value, column or name)
                    elif plain:  # _plain_text inline: most fields of most records are text
                        record[name] = (value.strip() if value.isascii() else _normalize("NFC", value).strip()) or None
                        continue
                record[name] = fn(value)
            except _Invalid as exc:
                return record, Rejection(raw.source_key, name, FIELD_PROBLEM.format(
                    column=column, value=shown(value), problem=exc), raw.payload)
            except (ValueError, TypeError, ArithmeticError, OSError) as exc:  # a conversion the value breaks
                problem = CANNOT_CONVERT.format(kind=type(exc).__name__, error=exc)
                return record, Rejection(raw.source_key, name, FIELD_PROBLEM.format(
                    column=column, value=shown(value), problem=problem), raw.payload)
        for name, link, column in links:
            if record.get(name) is None:
                continue
            part = link.part
            if part is None:
                chosen = payload.get(link.by) if link.by else None
                part = link.parts.get(fold(chosen)) if chosen is not None else None
                if part is None:
                    return record, Rejection(raw.source_key, name, NO_PART.format(
                        by=link.by, chosen=repr(chosen), column=column,
                        value=repr(payload.get(column) if column else None), name=name, parts=", ".join(sorted(link.parts))), raw.payload)
            record[name] = link_value(part, record[name])
        if swap:
            _swap_id_numbers(record)
        for name, column in required:
            if record.get(name) in (None, ""):
                return record, Rejection(raw.source_key, name, REQUIRED.format(column=column, name=name), raw.payload)
        return record, None

    return convert


def _field_converter(spec: EntitySpec, name: str, field: Field) -> Callable[[object], object]:
    """One field's conversion of a non-None legacy value (see :func:`_convert`)."""
    lookup = spec.lookups.get(name)
    how, _, fmt = spec.convert.get(name, "").partition(":")
    kind = {"date": "date", "datetime": "datetime", "int": "int"}.get(how, field.kind)
    if lookup is None and how in ("", "text", "date", "datetime", "int") and kind in ("text", "code", "datetime",
                                                                                     "date"):
        if kind in ("text", "code"):
            return _plain_text
        parse = _datetime_parser(fmt)
        if kind == "date":
            return lambda value: _none_or(_text_or_value(value), lambda v: parse(v).date())
        return _timestamp_converter(parse, iso=not fmt)
    return lambda value: _convert(spec, name, field, value)


def _timestamp_converter(parse: Callable[[object], dt.datetime], *, iso: bool) -> Callable[[object], object]:
    """``_none_or(_text_or_value(value), parse)`` in one call a value (a record has several timestamps);
    ``iso``: ``parse`` reads ISO text with ``datetime.fromisoformat`` first, done here inline."""
    normalize, fromisoformat, utc = unicodedata.normalize, dt.datetime.fromisoformat, dt.timezone.utc

    def convert(value: object) -> object:
        if not isinstance(value, str):
            return parse(value)
        text = value.strip() if value.isascii() else normalize("NFC", value).strip()
        if not text:
            return None
        if iso:
            try:
                parsed = fromisoformat(text)
            except ValueError:
                return parse(text)
            return parsed if parsed.tzinfo is None else parsed.astimezone(utc).replace(tzinfo=None)
        return parse(text)

    return convert


def _plain_text(value: object) -> str | None:
    if isinstance(value, str):
        text = value.strip() if value.isascii() else unicodedata.normalize("NFC", value).strip()
        return text or None
    return str(value)


def _text_or_value(value: object) -> object:
    if isinstance(value, str):
        return (value.strip() if value.isascii() else unicodedata.normalize("NFC", value).strip()) or None
    return value


def _none_or(value: object, fn: Callable[[object], object]) -> object:
    return None if value is None else fn(value)


def _convert(spec: EntitySpec, name: str, field: Field, value: Any) -> object:
    if isinstance(value, str):
        value = nfc(value)
    if value is None:
        return None
    lookup = spec.lookups.get(name)
    if lookup is not None:
        key = str(value)
        if key not in lookup:
            folded = {fold(k): v for k, v in lookup.items()}  # case and surrounding spaces do not matter
            if fold(key) not in folded:
                raise _Invalid(NO_LOOKUP.format(value=key, known=", ".join(sorted(lookup))))
            value = folded[fold(key)]
        else:
            value = lookup[key]
    conversion = spec.convert.get(name, "")
    how, _, fmt = conversion.partition(":")
    if how == "bytes":
        return _bytes(value, fmt)
    if how == "epoch_ms":
        try:
            return dt.datetime.fromtimestamp(int(value) / 1000, dt.timezone.utc).replace(tzinfo=None)
        except (TypeError, ValueError, OverflowError, OSError):
            raise _Invalid(NOT_MILLISECONDS) from None
    if how == "digits":
        value = _DIGITS.sub("", str(value)) or None
    elif how == "upper":
        value = str(value).upper()
    kind = {"date": "date", "datetime": "datetime", "int": "int"}.get(how, field.kind)
    return _typed(kind, field, value, fmt)


def _typed(kind: str, field: Field, value: object, fmt: str) -> object:
    if value is None:
        return None
    if kind == "int":
        return _whole(value)
    if kind in ("date", "datetime"):
        parsed = _parse_datetime(value, fmt)
        return parsed.date() if kind == "date" else parsed
    text = str(value)
    if kind == "enum" and text not in field.choices:
        raise _Invalid(NOT_ONE_OF.format(choices=", ".join(field.choices)))
    if kind == "id_number":
        return _identifier(text, (12, 9), NOT_CCCD)
    if kind == "legacy_id_number":
        return _identifier(text, (9, 12), NOT_CMND)
    if kind == "tax_code":
        digits = _DIGITS.sub("", text)
        if len(digits) == 10:
            return digits
        if len(digits) == 13:
            return f"{digits[:10]}-{digits[10:]}"
        raise _Invalid(NOT_TAX_CODE)
    return text


def _bytes(value: object, unit: str) -> int:
    """A size in ``unit`` (B, KB, MB, GB; a unit written after the number wins) as a whole number of bytes."""
    import decimal

    text = str(value).strip().replace(",", ".")
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)", text)
    factor = SIZE_UNITS.get((match.group(2) if match and match.group(2) else unit or "b").lower())
    if match is None or factor is None:
        raise _Invalid(NOT_SIZE.format(unit=unit or "B"))
    return int((decimal.Decimal(match.group(1)) * factor).to_integral_value(decimal.ROUND_HALF_UP))


def excluder(spec: EntitySpec) -> Callable[[RawRecord], "str | None"]:
    """The reason of the first ``exclude`` rule a legacy row meets, or None (it is migrated).

    A spreadsheet row that is no record (``~skipped``: a blank row, a totals row) is excluded with its reason.
    """
    rules = spec.exclude

    def excluded(raw: RawRecord) -> str | None:
        if SKIPPED in raw.payload:  # a spreadsheet row that is no record: blank, totals
            return str(raw.payload[SKIPPED])
        for rule in rules:
            value = raw.payload.get(rule.column)
            folded = "" if value is None else fold(value)
            if (folded != "") if rule.present else (folded in rule.values):
                return rule.reason
        return None

    return excluded


def _whole(value: Any) -> int:
    """An integer, from an int, a whole finite float, integer text or decimal text whose fraction is zeros
    (``2048.00``: how a NUMERIC(12,2) or money column's value reaches a record); never a truncated value."""
    if isinstance(value, bool):
        raise _Invalid(NOT_WHOLE)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid(NOT_FINITE)
        if not value.is_integer():
            raise _Invalid(NOT_WHOLE)
        return int(value)
    if isinstance(value, str) and (whole := _WHOLE_DECIMAL.fullmatch(value)):
        value = whole.group(1)
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise _Invalid(NOT_WHOLE) from None


def _identifier(text: str, lengths: tuple[int, ...], message: str) -> str:
    compact = re.sub(r"[\s.\-]", "", text)
    if not compact.isdigit() or len(compact) not in lengths:
        raise _Invalid(message)
    return compact


def _swap_id_numbers(record: dict[str, object]) -> None:
    """A 9-digit number in the CCCD column is a CMND, and the reverse: put each where it belongs."""
    cccd, cmnd = record.get("id_number"), record.get("legacy_id_number")
    if isinstance(cccd, str) and len(cccd) == 9 and (cmnd is None or cmnd == cccd):
        record["id_number"], record["legacy_id_number"] = None, cccd
    elif isinstance(cmnd, str) and len(cmnd) == 12 and (cccd is None or cccd == cmnd):
        record["id_number"], record["legacy_id_number"] = cmnd, None


def _parse_datetime(value: object, fmt: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    formats = (fmt,) if fmt else _DATETIME_FORMATS
    for candidate in formats:
        try:
            return dt.datetime.strptime(text, candidate)
        except ValueError:
            continue
    if not fmt:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return _parse_datetime(parsed, "")
    raise _Invalid(NOT_DATE_IN.format(format=fmt) if fmt else NOT_DATE)


def _datetime_parser(fmt: str) -> Callable[[object], dt.datetime]:
    """``_parse_datetime(value, fmt)`` with fast paths that give the same result.

    Without a format, ISO text is read by ``datetime.fromisoformat`` first: every
    default format it also accepts means the same instant there. ``%d/%m/%Y`` is
    read by a regular expression; anything either fast path does not take goes
    the long way.
    """
    fast = _FAST_FORMATS.get(fmt)

    def parse(value: object) -> dt.datetime:
        if isinstance(value, str):
            if not fmt:
                try:
                    parsed = dt.datetime.fromisoformat(value)
                except ValueError:
                    pass
                else:
                    if parsed.tzinfo is not None:
                        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
                    return parsed
            elif fast is not None:
                match = fast.fullmatch(value)
                if match:
                    try:
                        return dt.datetime(int(match["y"]), int(match["m"]), int(match["d"]))
                    except ValueError:
                        pass
        return _parse_datetime(value, fmt)

    return parse


_FAST_FORMATS = {"%d/%m/%Y": re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})", re.ASCII)}


def hash_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") if not value.microsecond else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    return value


_SORTED_FIELDS = {entity: tuple(sorted(fields)) for entity, fields in FIELDS.items()}
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_STRING = json.encoder.encode_basestring  # how _ENCODE writes a str (ensure_ascii=False)
# Each field with what precedes its value in the canonical JSON object: '{"name":' for the first, ',"name":' after.
_PREFIXED = {entity: tuple((name, ("{" if i == 0 else ",") + _STRING(name) + ":") for i, name in enumerate(names))
             for entity, names in _SORTED_FIELDS.items()}


def content_hash(entity: str, record: Mapping[str, object]) -> str:
    """SHA-256 of a canonical record: sorted keys, NFC text, ISO timestamps.

    Recomputed from the store by reconciliation, so every engine hashes a
    record the same way. The bytes hashed are ``_ENCODE`` of the record's
    fields in sorted order (a JSON object), as :func:`canonical_json` writes
    them; :func:`_fast_json` writes the same bytes in one call for the usual
    record and declines any other.
    """
    data = _fast_json(entity, record)
    if data is None:
        data = canonical_json(entity, record).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def canonical_json(entity: str, record: Mapping[str, object]) -> str:
    """The text :func:`content_hash` hashes: ``_ENCODE`` of the record's fields in sorted order, each value
    as :func:`hash_value` gives it, written here part by part: the usual values (text, timestamps, None,
    whole numbers) directly, any other through ``_ENCODE`` itself, so the text is the same as encoding the
    object at once. A field the record lacks is null."""
    get = record.get
    parts: list[str] = []
    add = parts.append
    for name, prefix in _PREFIXED[entity]:
        add(prefix)
        value: Any = get(name)
        kind = type(value)
        if kind is str:
            add(_STRING(value if value.isascii() else _normalize("NFC", value)))
        elif kind is dt.datetime:
            add(f'"{value.isoformat()}"')  # whole seconds print without a fraction, as in hash_value
        elif value is None:
            add("null")
        elif kind is int:
            add(int.__repr__(value))
        else:
            add(_ENCODE(hash_value(value)))
    add("}" if parts else "{}")
    return "".join(parts)


# The record _fast_json writes: a dict holding exactly the entity's fields, each value of one of these
# types (exactly: a subclass may print otherwise), no timestamp with a time zone (orjson writes its
# offset to the minute, isoformat to the second).
_NAMES = {entity: frozenset(names) for entity, names in _SORTED_FIELDS.items()}
_PLAIN = frozenset({str, int, bool, type(None), dt.date, dt.datetime})
_SORTED = orjson.OPT_SORT_KEYS
_is_nfc = functools.partial(unicodedata.is_normalized, "NFC")


def _fast_json(entity: str, record: Mapping[str, object]) -> bytes | None:
    """:func:`canonical_json`'s text as UTF-8, written by orjson in one call, or None for a record it might
    write otherwise (a wide dossier: ~6 µs with the checks below, against ~14 µs the long way).

    For the records let through, orjson writes what ``_ENCODE`` writes of the sorted fields: the same
    escapes (control characters, quote and backslash, and nothing else), ISO timestamps with a fraction
    only when there is one, the same whole numbers; it refuses text that is not UTF-8 (a lone surrogate)
    and numbers beyond 64 bits. NFC is checked on the whole text instead of applied to each string: the
    quote and the characters JSON escapes are starters that compose with nothing, so a whole text that
    is NFC has every string NFC; a string next to an escape may make the whole text fail the check
    when the string alone would pass, and that record goes the long way, which normalizes each string.
    tests/migrate/test_content_hash.py holds the two writers to each other.
    """
    if type(record) is not dict or record.keys() != _NAMES[entity]:
        return None
    values = record.values()
    kinds = set(map(type, values))
    if not kinds <= _PLAIN:
        return None
    if dt.datetime in kinds:
        for value in values:
            if value.__class__ is dt.datetime and value.tzinfo is not None:
                return None
    try:
        data = orjson.dumps(record, option=_SORTED)
    except TypeError:
        return None
    return data if data.isascii() or _is_nfc(data.decode()) else None


_normalize = unicodedata.normalize
