"""Reading ahead: a planned batch's records read and prepared in a thread while the worker waits on the store.

At most one batch is read ahead at a time: the next one this worker holds the
lease of (:mod:`migrate.leases`), so no other worker reads or loads it
meanwhile. It is taken by batch id; a page read ahead for another batch (the
worker lost the lease of the one it read ahead) is dropped. An adapter and the
resolver serve one thread at a time: callers ``wait()`` before using them.
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
    batch_id: int
    source: str
    entity: str
    future: Future


class ReadAhead:
    def __init__(self) -> None:
        self._pending: _Pending | None = None
        self._thread: ThreadPoolExecutor | None = None

    def start(self, batch_id: int, source: str, adapter, spec: EntitySpec, lo: Key, hi: Key, batch_size: int,
              resolver: Resolver, province: str | None, dates: DateRange) -> None:
        """Read and prepare the records of batch ``batch_id`` (keys ``lo..hi`` of ``spec``) in the background."""
        self.wait()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        future = self._thread.submit(_read_and_prepare, adapter, spec, lo, hi, batch_size, resolver, province,
                                     dates)
        self._pending = _Pending(batch_id, source, spec.label, future)

    def take(self, batch_id: int) -> Page | None:
        """The records read ahead for batch ``batch_id``, if they are (whatever was read ahead is given up)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        try:
            page = pending.future.result()
        except Exception as exc:  # noqa: BLE001 - the batch is read again the ordinary way, errors and all
            log.debug("read-ahead of %s/%s failed (%s); reading again", pending.source, pending.entity, exc)
            return None
        return page if pending.batch_id == batch_id else None

    def wait(self) -> None:
        """Let the batch being read finish (its adapter and the resolver are then free)."""
        if self._pending is not None:
            try:
                self._pending.future.result()
            except Exception:  # noqa: BLE001 - reported when the page is taken, or read again
                pass

    def drop(self, source: str | None = None) -> None:
        """Forget the batch read ahead (of ``source`` only, when given)."""
        self.wait()
        if self._pending is not None and source in (None, self._pending.source):
            self._pending = None

    def close(self) -> None:
        self.drop()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None


def read_range(adapter, spec: EntitySpec, lo: Key, hi: Key, batch_size: int) -> list[RawRecord]:
    """Every record of ``spec`` with ``lo <= key <= hi`` (a batch's records), read in pages."""
    records: list[RawRecord] = []
    for page in adapter.read_range(spec, lo, hi, batch_size=batch_size):
        records += page
    return records


def _read_and_prepare(adapter, spec: EntitySpec, lo: Key, hi: Key, batch_size: int, resolver: Resolver,
                      province: str | None, dates: DateRange) -> Page:
    records = read_range(adapter, spec, lo, hi, batch_size)
    return records, prepare_page(spec, records, resolver, province, dates)
