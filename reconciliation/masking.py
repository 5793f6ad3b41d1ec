"""Personal identifiers masked in reports unless the operator asks otherwise.

``0012345674567`` -> ``0012*****4567``; ``Nguyễn Văn An`` -> ``N***** V** A*``;
``an.nguyen@example.vn`` -> ``a***@example.vn``; a birth date keeps its year.
Values are masked by the column (or, in a field-differences row, the field)
they belong to: see :data:`reconciliation.base.PERSONAL_COLUMNS`.
"""

from __future__ import annotations

import re

from reconciliation.base import PERSONAL_COLUMNS

VALUE_COLUMNS = ("source_value", "store_value")
_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")


def mask_value(value: object) -> object:
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    if not text:
        return text
    if _DATE.match(text):
        return _DATE.match(text).group(1) + "-**-**"
    compact = re.sub(r"[\s.\-]", "", text)
    if compact.isdigit():
        if len(compact) >= 9:
            return compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
        return "*" * (len(compact) - 2) + compact[-2:]
    if "@" in text:
        user, _, domain = text.partition("@")
        return (user[:1] + "***@" + domain) if user else "***@" + domain
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in text.split())


def mask_row(row: dict) -> dict:
    """One table row with its personal values masked."""
    out = {k: mask_value(v) if k in PERSONAL_COLUMNS else v for k, v in row.items()}
    if row.get("field") in PERSONAL_COLUMNS:
        for column in VALUE_COLUMNS:
            if column in out:
                out[column] = mask_value(out[column])
    return out


def mask_tree(value: object) -> object:
    """``as_dict()`` output with every dict masked as a row, recursively."""
    if isinstance(value, dict):
        return {k: mask_tree(v) for k, v in mask_row(value).items()}
    if isinstance(value, (list, tuple)):
        return [mask_tree(v) for v in value]
    return value
