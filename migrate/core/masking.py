"""The one masking policy for personal data in every output: reports, exports, lookups, logs.

A personal value is masked by what it is:

- a number of 6 digits or more (CCCD, CMND, tax code, phone, written with or
  without spaces, dots, dashes, parentheses or ``+``): every digit but the last
  three hidden, ``+84 912 345 678`` -> ``********678``;
- an e-mail address: ``an.nguyen@example.vn`` -> ``a***@example.vn``;
- a date: its year kept, ``1990-05-17`` -> ``1990-**-**``;
- any other text (names, addresses, usernames): each word's first letter,
  ``Nguyễn Văn An`` -> ``N***** V** A*``.

Which values are personal: a canonical field named in :data:`PERSONAL_FIELDS`
(or a legacy column a profile maps to one), whole; and inside any other text
(a quarantine reason, a note, a payload column of unknown meaning), every
embedded identifier (9 digits or more, ``CCCD 035156600555``,
``MaSoThue='035156600999'``, ``(0912) 345-888``) and every e-mail address.
Dates, dossier numbers (``000.11.22.H35-210219-0001``), codes and hashes are
left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

PERSONAL_FIELDS = frozenset({
    "id_number", "legacy_id_number", "tax_code", "phone", "email", "full_name", "applicant_name",
    "applicant_id_number", "owner_id_number", "username", "password_hash", "birth_date", "address",
})
VALUE_COLUMNS = ("source_value", "store_value")  # a field-differences row: masked when its field is personal
KEEP_DIGITS = 3

_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")
_DAY_FIRST = re.compile(r"^\d{1,2}/\d{1,2}/(\d{4})")
_SEPARATORS = re.compile(r"[\s.\-()+/]")
# a run of digits with separators, not glued to letters, digits or other codes on either side
_EMBEDDED_NUMBER = re.compile(r"(?<![\w.\-/+])\+?\(?\d[\d\s.\-()]{7,}\d(?![\w\-/]|[.:]\d)")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
_QUOTED = re.compile(r"""(\b[\w.]+\s*=\s*)(['"])(.*?)\2""")
_LETTER = re.compile(r"\w")
_MIN_DIGITS = 6
_MIN_EMBEDDED = 9


def mask_value(value: object) -> object:
    """One personal value, masked by what it is (None and booleans unchanged)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    if not text:
        return text
    if (date := _DATE.match(text)) is not None:
        return date.group(1) + "-**-**"
    if (day_first := _DAY_FIRST.match(text)) is not None:
        return "**/**/" + day_first.group(1)
    compact = _SEPARATORS.sub("", text)
    if compact.isdigit() and len(compact) >= _MIN_DIGITS:
        return _digits(compact)
    if "@" in text and " " not in text.strip():
        user, _, domain = text.partition("@")
        return (user[:1] + "***@" + domain) if user else "***@" + domain
    return " ".join(word[:1] + _LETTER.sub("*", word[1:]) for word in text.split())


def mask_text(text: object) -> object:
    """Free text with the identifiers and e-mail addresses inside it masked; everything else kept."""
    if not isinstance(text, str):
        if isinstance(text, int) and not isinstance(text, bool) and len(str(abs(text))) >= _MIN_EMBEDDED:
            return _digits(str(abs(text)))
        return text
    if not text:
        return text
    out = _EMBEDDED_NUMBER.sub(_embedded, text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", out)


def mask_reason(reason: str, personal: Collection[str] = ()) -> str:
    """A quarantine reason: ``Column='value'`` masked whole when the column is personal, then :func:`mask_text`."""
    def quoted(match: re.Match) -> str:
        name = match.group(1).rstrip(" =").split(".")[-1]
        if name in personal or name in PERSONAL_FIELDS:
            return f"{match.group(1)}{match.group(2)}{mask_value(match.group(3))}{match.group(2)}"
        return match.group(0)

    return str(mask_text(_QUOTED.sub(quoted, reason)))


def mask_row(row: Mapping[str, object], personal: Collection[str] = PERSONAL_FIELDS) -> dict:
    """A flat row: personal columns masked whole, every other text through :func:`mask_text`."""
    out = {k: mask_value(v) if k in personal else mask_text(v) for k, v in row.items()}
    if row.get("field") in PERSONAL_FIELDS or row.get("field") in personal:
        for column in VALUE_COLUMNS:
            if column in out:
                out[column] = mask_value(row[column])
    return out


def mask_tree(value: object, personal: Collection[str] = PERSONAL_FIELDS) -> object:
    """Nested dicts and lists (``as_dict()`` output, JSON payloads) masked row by row."""
    if isinstance(value, Mapping):
        masked = mask_row({k: v for k, v in value.items() if not isinstance(v, (Mapping, list, tuple))}, personal)
        return {k: mask_tree(v, personal) if isinstance(v, (Mapping, list, tuple)) else masked[k]
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_tree(v, personal) for v in value]
    return mask_text(value)


def personal_columns(columns: Mapping[str, str]) -> frozenset[str]:
    """The legacy columns a profile part maps to personal fields (``{"full_name": "HoTen"}`` -> ``{"HoTen"}``)."""
    out = set()
    for canonical, legacy in columns.items():
        if canonical in PERSONAL_FIELDS and not legacy.startswith("="):
            out.add(legacy.split(".")[-1])
    return frozenset(out)


def _digits(compact: str) -> str:
    return "*" * max(0, len(compact) - KEEP_DIGITS) + compact[-KEEP_DIGITS:]


def _embedded(match: re.Match) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    return _digits(digits) if len(digits) >= _MIN_EMBEDDED else found
