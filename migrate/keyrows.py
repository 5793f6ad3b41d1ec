"""The source keys a key comparison streams, and the lineage keys it leaves out.

Shared by both places the comparison runs (:mod:`migrate.keyscratch`, a scratch
SQLite file; :mod:`migrate.keyserver`, the store's PostgreSQL): which lineage keys
name a set-apart record rather than a source key, and the form in which a key
comes back to name the ranges a delta reads.
"""

from __future__ import annotations

import json
import re

from migrate.core.records import Key, jsonable

PAGE = 20_000  # keys per source statement and per write
SET_APART = re.compile(r"~[0-9a-f]{12}(#\d+)?$")  # written by adapters.keyset: a key, "~" and a digest
PLAIN = (int, str)  # key values kept as they are


def set_apart(source_key: str) -> bool:
    """A lineage key that names a set-apart record (a NULL key, a key several rows share, a key too
    long for the lineage) rather than a source key: no source key matches it."""
    return source_key.startswith("~") or SET_APART.search(source_key) is not None


def stored(key: Key) -> object:
    """One key as the comparison keeps it to give it back (:func:`key_of`): one column's JSON-safe value
    (a list or mapping as JSON text), several columns as a JSON list."""
    if len(key) == 1:
        value = jsonable(key[0])
        return value if not isinstance(value, (list, dict)) else json.dumps(value)
    return json.dumps([jsonable(v) for v in key], ensure_ascii=False)


def key_of(kept: object, width: int) -> Key:
    """The key :func:`stored` kept."""
    return (kept,) if width == 1 else tuple(json.loads(kept))  # type: ignore[arg-type]
