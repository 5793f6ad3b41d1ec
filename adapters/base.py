"""The adapter protocol: what the pipeline needs from a legacy source."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Protocol

from migrate.core.records import EntitySpec, Key, RawRecord


@dataclass(frozen=True)
class RangeDigest:
    """Count and order-independent hash of the source rows with lo <= key <= hi."""

    lo: Key
    hi: Key
    count: int
    digest: str


class SourceAdapter(Protocol):
    """What the pipeline needs from a legacy source.

    ``since`` (optional everywhere) restricts to records whose ``entity.modified``
    column is at or after the watermark: the delta of a cutover window. Pages
    are still keyset pages on the entity key.
    """

    engine: ClassVar[str]
    name: str

    def count(self, entity: EntitySpec, *, since: object | None = None) -> int: ...

    def read(self, entity: EntitySpec, *, after: Key | None, batch_size: int,
             since: object | None = None) -> Iterator[list[RawRecord]]: ...

    def read_range(self, entity: EntitySpec, lo: Key, hi: Key, *, batch_size: int,
                   since: object | None = None) -> Iterator[list[RawRecord]]: ...

    def digest(self, entity: EntitySpec, lo: Key, hi: Key) -> RangeDigest: ...

    def watermark(self, entity: EntitySpec) -> object | None: ...

    def close(self) -> None: ...
