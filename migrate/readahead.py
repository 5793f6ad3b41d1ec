"""Reading ahead: the source's next page read and prepared in a thread while the worker waits on the store.

At most one page is read ahead at a time. It is taken only by the worker that
asked for it, for the same source part and the same "after" key; otherwise
(another worker planned that page meanwhile) it is dropped and nothing is
loaded twice. An adapter and the resolver serve one thread at a time: callers
``wait()`` before using them.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from mappings.rules import Resolver
from migrate.core.records import EntitySpec, Key, RawRecord
from migrate.prepare import DateRange, Prepared, prepare_page

log = logging.getLogger(__name__)

Page = tuple[list[RawRecord], list[Prepared]]


@dataclass(frozen=True)
class _Pending:
    source: str
    entity: str
    after: Key
    future: Future


class ReadAhead:
    def __init__(self) -> None:
        self._pending: _Pending | None = None
        self._thread: ThreadPoolExecutor | None = None

    def start(self, source: str, adapter, spec: EntitySpec, after: Key, batch_size: int, resolver: Resolver,
              province: str | None, dates: DateRange) -> None:
        """Read and prepare the page of ``spec`` after ``after`` in the background."""
        self.wait()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        future = self._thread.submit(_read_and_prepare, adapter, spec, after, batch_size, resolver, province,
                                     dates)
        self._pending = _Pending(source, spec.label, tuple(after), future)

    def take(self, source: str, spec: EntitySpec, after: Key | None) -> Page | None:
        """The page read ahead, when it is the one after ``after`` of this part (else it is dropped)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        try:
            page = pending.future.result()
        except Exception as exc:  # noqa: BLE001 - the page is read again the ordinary way, errors and all
            log.debug("read-ahead of %s/%s failed (%s); reading again", pending.source, pending.entity, exc)
            return None
        if (pending.source, pending.entity) != (source, spec.label) or after is None or pending.after != tuple(after):
            return None  # another worker planned that page meanwhile
        return page

    def wait(self) -> None:
        """Let the page being read finish (its adapter and the resolver are then free)."""
        if self._pending is not None:
            try:
                self._pending.future.result()
            except Exception:  # noqa: BLE001 - reported when the page is taken, or read again
                pass

    def drop(self, source: str | None = None) -> None:
        """Forget the page read ahead (of ``source`` only, when given)."""
        self.wait()
        if self._pending is not None and source in (None, self._pending.source):
            self._pending = None

    def close(self) -> None:
        self.drop()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None


def first_page(adapter, spec: EntitySpec, after: Key | None, batch_size: int) -> list[RawRecord]:
    """The page of ``spec`` after ``after`` (the first page without), its reader closed at once."""
    pages = adapter.read(spec, after=after, batch_size=batch_size)
    try:
        return next(iter(pages), [])
    finally:
        close = getattr(pages, "close", None)
        if close:
            close()


def _read_and_prepare(adapter, spec: EntitySpec, after: Key, batch_size: int, resolver: Resolver,
                      province: str | None, dates: DateRange) -> Page:
    page = first_page(adapter, spec, after, batch_size)
    return page, prepare_page(spec, page, resolver, province, dates)
