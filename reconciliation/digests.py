"""Segment digests: compare two large sets of (key, hash) without bringing them together.

Each side streams its records once and folds them into segments. A record's
term is ``sha256(key, 0, hash)``; its segment is the first ``width`` hex digits
of the term, so both sides put a record in the same segment whatever order or
engine they read in (a PostgreSQL store computes it in its server,
:mod:`reconciliation.serverhash`).
A segment keeps a count and the XOR of its records' terms: two segments with
the same count and digest hold the same records with the same content (up to a
2^-256 chance). A record whose content differs has another term, so it falls
in a segment of its own on each side, and both differ. Only the segments that
differ are opened, on a second pass: their keys and hashes are listed on both
sides and compared key by key (a changed record is in both lists). Memory stays bounded by the number of segments plus
the records of the differing segments, not by the size of the tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

LEAF = 256  # aim for about this many records per segment
_sha256 = hashlib.sha256


def segment_width(expected: int) -> int:
    """Hex digits of the key hash naming a segment: about ``LEAF`` records per segment (1 to 5)."""
    width, segments = 1, 16
    while segments * LEAF < expected and width < 5:
        width, segments = width + 1, segments * 16
    return width


def term(key: str, value: str) -> int:
    """A record's term: ``sha256(key, 0, value)`` (UTF-8) as a 256-bit number."""
    return int.from_bytes(_sha256(key.encode("utf-8", "surrogatepass") + b"\x00"
                                  + value.encode("utf-8", "surrogatepass")).digest(), "big")


def segment_of(key: str, value: str, width: int) -> int:
    """The segment of a record: the first ``width`` hex digits of its term."""
    return term(key, value) >> (256 - 4 * width)


class Segments:
    """Count and XOR digest per segment of one side: a list slot per segment (``16 ** width`` of them), the
    cheapest thing to add a record to; :attr:`count` and :attr:`xor` are the segments that hold any."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._shift = 256 - 4 * width
        self._counts = [0] * (16 ** width)
        self._xors = [0] * (16 ** width)

    def add(self, key: str, value: str) -> None:
        t = int.from_bytes(_sha256(key.encode("utf-8", "surrogatepass") + b"\x00"
                                   + value.encode("utf-8", "surrogatepass")).digest(), "big")  # term(), inline
        seg = t >> self._shift
        self._counts[seg] += 1
        self._xors[seg] ^= t

    def absorb(self, count: dict[int, int], xor: dict[int, int]) -> None:
        """Add another fold's segments of the same width (records folded elsewhere: a worker's)."""
        counts, xors = self._counts, self._xors
        for seg, n in count.items():
            counts[seg] += n
            xors[seg] ^= xor[seg]

    @property
    def count(self) -> dict[int, int]:
        return {seg: n for seg, n in enumerate(self._counts) if n}

    @property
    def xor(self) -> dict[int, int]:
        return {seg: self._xors[seg] for seg, n in enumerate(self._counts) if n}

    @property
    def total(self) -> int:
        return sum(self._counts)

    def digest(self, seg: int) -> tuple[int, int]:
        return self._counts[seg], self._xors[seg]


def fold(items: Iterable[tuple[str, str]], width: int) -> Segments:
    segments = Segments(width)
    for key, value in items:
        segments.add(key, value)
    return segments


def differing(left: Segments, right: Segments) -> list[int]:
    """Segments whose count or digest differ, in order."""
    assert left.width == right.width, "both sides fold into segments of one width"
    return [seg for seg, (a, b, x, y) in enumerate(zip(left._counts, right._counts, left._xors, right._xors))
            if a != b or x != y]


@dataclass(frozen=True)
class KeyDifference:
    key: str
    kind: str  # changed, missing-in-store, not-in-source
    source_value: str | None
    store_value: str | None


def compare_keys(source: dict[str, str], store: dict[str, str]) -> Iterator[KeyDifference]:
    for key in sorted(set(source) | set(store), key=_natural):
        a, b = source.get(key), store.get(key)
        if a == b:
            continue
        kind = "missing-in-store" if b is None else "not-in-source" if a is None else "changed"
        yield KeyDifference(key, kind, a, b)


def _natural(key: str) -> tuple:
    return (0, int(key), "") if key.isdigit() else (1, 0, key)
