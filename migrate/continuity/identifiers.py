"""Old identifiers: the kinds the store knows, their normalized form, masking.

Normalized form: NFC, case-folded, with spaces, dots, slashes, underscores and
every dash variant removed, so "000.00.35.H01 – 240115 – 0001" and
"00000.35.h01-240115-0001" meet in one index entry.
"""

from __future__ import annotations

import re
import unicodedata

from migrate.core.entities import REGISTRY
from migrate.core.masking import PERSONAL_FIELDS, mask_text, mask_value
from migrate.core.messages import msg

# kind -> what an operator reads (a Message: said in the user's language)
KINDS: dict[str, str] = {
    "dossier-no": msg("dossier number"),
    "dossier-id": msg("old dossier id"),
    "applicant-id-number": msg("applicant ID number"),
    "file-id": msg("old file id"),
    "document-id": msg("old document id"),
    "account-id": msg("old account id"),
    "username": msg("username"),
    "id-number": msg("CCCD"),
    "legacy-id-number": msg("CMND"),
    "tax-code": msg("tax code"),
}

# kinds meant to name one record across every former province (the registry's unique identifier fields): two
# records sharing such a value are an ambiguity to list. Old record ids (dossier-id, file-id, ...) only mean
# something within their source; an applicant's ID number names a person with many dossiers, not one record.
UNIQUE_KINDS = frozenset(f.identifier for e in REGISTRY.values() for f in e.identifier_fields() if f.unique)

# kinds whose values identify a person, masked unless asked otherwise: those of the fields the one masking
# policy calls personal (migrate.core.masking)
PERSONAL = frozenset(f.identifier for e in REGISTRY.values() for f in e.identifier_fields()
                     if f.name in PERSONAL_FIELDS)

MAX_LENGTH = 400
_SEPARATORS = re.compile(r"[\s.\-_/\\\u2010-\u2015\u2212\u00ad\ufe58\ufe63\uff0d]+")
# the ASCII characters _SEPARATORS matches, deleted by one translate (an ASCII value's usual case)
_ASCII_SEPARATORS = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if _SEPARATORS.fullmatch(c)))
_DIGITS = re.compile(r"\d+")
_DOSSIER_NO = re.compile(r"^[0-9a-z.]+-?\d{6}-?\d{3,6}$", re.IGNORECASE)


def normalize(value: object) -> str:
    """The form every identifier is indexed and looked up by; '' when nothing is left."""
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    if text.isascii():  # lower() is casefold() on ASCII, and only ASCII separators can be in it
        return text.lower().translate(_ASCII_SEPARATORS)[:MAX_LENGTH]
    return _SEPARATORS.sub("", unicodedata.normalize("NFC", text).casefold())[:MAX_LENGTH]


def upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (for index ranges)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def looks_like(value: str) -> str:
    """What a typed value looks like, for 'not found' messages."""
    compact = re.sub(r"[\s.\-]", "", value)
    if compact.isdigit():
        return {12: msg("a 12-digit CCCD"), 9: msg("a 9-digit CMND"), 10: msg("a 10-digit tax code or a phone number"),
                13: msg("a 13-digit branch tax code"), 11: msg("a phone number")}.get(
            len(compact), msg("a number of {n} digits (an old record id or file id?)", n=len(compact)))
    if _DOSSIER_NO.match(re.sub(r"[\s\u2010-\u2015\u2212]", "-", value.strip())):
        return msg("a dossier number (agency code-YYMMDD-sequence)")
    if "@" in value:
        return msg("an e-mail address used as a username")
    return msg("a username or a code")


def mask(kind: str, value: str | None) -> str | None:
    """'035055755433' -> '*********433' for personal kinds (the one policy of :mod:`migrate.core.masking`)."""
    if value is None or kind not in PERSONAL:
        return value
    return str(mask_value(value))


def mask_typed(value: str) -> str:
    """A value someone typed, for echoing: the identifiers and e-mail addresses in it masked."""
    return str(mask_text(value))
