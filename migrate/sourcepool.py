"""The sources one worker reads: one open adapter per source, reopened after a failure.

An adapter that failed is closed and forgotten; the next use opens a new one,
so a source that went away and came back is read again. Reading is retried
``max_attempts`` times with back-off when the failure is transient. The page being read ahead uses an
adapter too: the pool waits for it before handing an adapter out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from adapters import open_source
from adapters.base import SourceAdapter
from migrate.config import SourceSettings
from migrate.core.errors import SourceError
from migrate.core.messages import msg
from migrate.core.retry import policy
from migrate.core.records import EntitySpec, Key, RawRecord
from migrate.readahead import ReadAhead, read_range

log = logging.getLogger(__name__)

T = TypeVar("T")


class SourcePool:
    def __init__(self, batch_size: int, max_attempts: int, ahead: ReadAhead) -> None:
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.ahead = ahead
        self._adapters: dict[str, SourceAdapter] = {}

    def adapter(self, source: SourceSettings) -> SourceAdapter:
        self.ahead.wait()  # an adapter serves one thread at a time
        if source.name not in self._adapters:
            self._adapters[source.name] = open_source(source.name, source.url)
        return self._adapters[source.name]

    def bounds(self, source: SourceSettings, spec: EntitySpec, after: Key | None) -> tuple[Key, Key] | None:
        """The key range of the part's next batch after ``after`` (None past its last): keys alone."""
        return self.adapter(source).bounds(spec, after=after, batch_size=self.batch_size)

    def read_range(self, source: SourceSettings, spec: EntitySpec, lo: Key, hi: Key) -> list[RawRecord]:
        return read_range(self.adapter(source), spec, lo, hi, self.batch_size)

    def retry(self, source: SourceSettings, spec: EntitySpec, fn: Callable[[], T]) -> T:
        """Run ``fn`` (which reads ``source``), reopening the source and retrying when reading fails transiently."""
        def once() -> T:
            try:
                return fn()
            except SourceError:
                self.forget(source)
                raise

        return policy(attempts=self.max_attempts, transient=source_failed, log=log,
                      what=msg("reading {source}/{part}", source=source.name, part=spec.label))(once)

    def forget(self, source: SourceSettings) -> None:
        """Close the source's adapter (it failed); the next use opens a new one."""
        self.ahead.drop(source.name)  # read through the adapter being dropped
        adapter = self._adapters.pop(source.name, None)
        if adapter is not None:
            adapter.close()

    def close(self) -> None:
        self.ahead.wait()
        for adapter in self._adapters.values():
            adapter.close()
        self._adapters.clear()


def source_failed(exc: BaseException) -> bool:
    """A source that fails mid-run is read again (reopened), up to the run's attempts: it was readable
    when the run began (the profile check refuses unknown tables and columns before the first batch),
    so a failure now is a source going away and coming back (a server restarting, an export file
    being replaced)."""
    return isinstance(exc, SourceError)
