"""The adapter protocol: what the pipeline needs from a legacy source."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


def side_by_side(adapter) -> bool:
    """Whether reads of ``adapter`` may run at the same time, each on a connection of its own (threads,
    processes): a database source; not a files source, which stages a sheet into its own scratch
    database on first use (two threads would stage it twice, each process again)."""
    return getattr(adapter, "engine", "") != "files"


class SourceAdapter(Protocol):
    """What the pipeline needs from a legacy source.

    ``since`` (optional everywhere) restricts to records whose ``entity.modified``
    column is at or after the watermark: the delta of a cutover window. Pages
    are still keyset pages on the entity key. A part read as a delta carries its
    filter itself (``entity.delta``: the watermark and key ranges), so every read of
    it (pages, key ranges, reruns) reads the same records. ``keys`` streams the
    main table's keys alone, for the key comparison that finds deleted records;
    ``bounds`` gives the key range of the page ``read`` would give next, from the
    keys alone, so a batch is planned without reading its records.
    """

    engine: ClassVar[str]
    name: str

    def count(self, entity: EntitySpec, *, since: object | None = None) -> int: ...

    def read(self, entity: EntitySpec, *, after: Key | None, batch_size: int,
             since: object | None = None) -> Iterator[list[RawRecord]]: ...

    def read_range(self, entity: EntitySpec, lo: Key, hi: Key, *, batch_size: int,
                   since: object | None = None) -> Iterator[list[RawRecord]]: ...

    def bounds(self, entity: EntitySpec, *, after: Key | None, batch_size: int
               ) -> tuple[Key, Key] | None: ...  # the next page's key range, keys alone (planning)

    def digest(self, entity: EntitySpec, lo: Key, hi: Key) -> RangeDigest: ...

    def keys(self, entity: EntitySpec, *, batch_size: int, since: object | None = None
             ) -> Iterator[Sequence[Sequence[object]]]: ...  # rows (key columns..., rows sharing, fresh)

    def watermark(self, entity: EntitySpec) -> object | None: ...

    def census(self, entity: EntitySpec) -> tuple[int, object | None]: ...  # count() and watermark() in one pass

    def close(self) -> None: ...
