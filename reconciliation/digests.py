"""Segment digests: compare two large sets of (key, hash) without bringing them together.

Each side streams its records once and folds them into segments: a segment
is the set of keys whose CRC-32 starts with the same bits (``width`` hex
digits), so both sides put a key in the same segment whatever order or engine
they read in.
A segment keeps a count and the XOR of ``sha256(key, hash)`` over its
records: two segments with the same count and digest hold the same records
with the same content (up to a 2^-256 chance). Only the segments that differ
are opened, on a second pass: their keys and hashes are listed on both sides
and compared key by key. Memory stays bounded by the number of segments plus
the records of the differing segments, not by the size of the tables.
"""

from __future__ import annotations

import hashlib
import zlib
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


def segment_of(key: str, width: int) -> int:
    """The segment of ``key``: the first ``width`` hex digits of its CRC-32."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) >> (32 - 4 * width)


class Segments:
    """Count and XOR digest per segment of one side: a list slot per segment (``16 ** width`` of them), the
    cheapest thing to add a record to; :attr:`count` and :attr:`xor` are the segments that hold any."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._counts = [0] * (16 ** width)
        self._xors = [0] * (16 ** width)

    def add(self, key: str, value: str) -> None:
        raw = key.encode("utf-8", "surrogatepass")
        seg = zlib.crc32(raw) >> (32 - 4 * self.width)
        self._counts[seg] += 1
        self._xors[seg] ^= int.from_bytes(_sha256(raw + b"\x00" + value.encode("utf-8", "surrogatepass")).digest(),
                                          "big")

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
