"""The source read again: every record canonicalised and hashed as extraction did, folded into segment digests;
a large part read by worker processes side by side.

Reading a source again costs its client CPU per record (the record built,
canonicalised, hashed, folded), one core's worth in one process. A part of at
least ``PARALLEL_FROM`` records of a database source is read by worker
processes instead, started once per source and kept for its parts:

- The key pages are planned here from the keys alone (``adapter.bounds``, as a
  run plans its batches): every key page, then the NULL-key pass, exactly the
  records ``adapter.read`` gives, each in one page.
- Each page goes to one worker, which reads it (``read_range``) on its own
  connection, folds its records into its own segments, and sends them back
  when the part ends.
- A segment's count adds up and its digest XORs, whichever worker folded
  which record: the part's segments are the ones one process reading the part
  in one pass would fold.

A file export is read in this process: each worker would stage the files again.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
from collections.abc import Iterable, Iterator

from adapters import open_source
from adapters.base import side_by_side
from migrate.core.canonical import content_hash, converter
from migrate.core.errors import HopnhatError, SourceError
from migrate.core.messages import msg
from migrate.core.progress import Tally
from migrate.core.records import EntitySpec, RawRecord
from migrate.prepare import lineage_key
from reconciliation.digests import Segments, fold

PAGE = 5000            # records per page read
PARALLEL_FROM = 50_000  # records: a smaller part is read here (starting the workers costs a second or two)
MOST_WORKERS = 8
_WAIT = 1.0            # seconds between two looks at whether the workers are alive


def default_workers() -> int:
    """Worker processes for a source: one per core of the machine, up to ``MOST_WORKERS``."""
    return max(1, min(os.cpu_count() or 1, MOST_WORKERS))


def hashes(pages: Iterable[list[RawRecord]], spec: EntitySpec, tally: Tally | None = None
           ) -> Iterator[tuple[str, str, dict]]:
    """(the key the store knows, content hash, canonical record) of every record of ``pages``, as extraction
    computes them; ``tally`` hears each page."""
    canonical = converter(spec)  # the per-field decisions taken once for the part, as extraction does
    entity = spec.name
    for page in pages:
        for raw in page:
            record, _ = canonical(raw)
            yield lineage_key(spec, raw)[0], content_hash(entity, record), record
        if tally is not None:
            tally.add(len(page))


class Rereader:
    """One source read again, part by part; worker processes started at the first large part, for the rest."""

    def __init__(self, name: str, url: str, adapter, *, workers: int | None = None) -> None:
        self.name, self.url, self.adapter = name, url, adapter
        self.workers = default_workers() if workers is None else max(1, workers)
        self._pool: _Pool | None = None

    def records(self, spec: EntitySpec, tally: Tally | None = None) -> Iterator[tuple[str, str, dict]]:
        """(key, content hash, canonical record) of every record of ``spec`` in the source, read here."""
        return hashes(self.adapter.read(spec, after=None, batch_size=PAGE), spec, tally)

    def segments(self, spec: EntitySpec, width: int, expected: int, tally: Tally | None = None) -> Segments:
        """The segments of every record of ``spec`` in the source (``expected``: about how many)."""
        if self.workers < 2 or expected < PARALLEL_FROM or not side_by_side(self.adapter):
            return fold(((key, digest) for key, digest, _ in self.records(spec, tally)), width)
        if self._pool is None:
            self._pool = _Pool(self.name, self.url, self.workers)
        return self._pool.segments(self.adapter, spec, width, tally)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> Rereader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Pool:
    """Worker processes of one source, each with its own queue of pages and one queue for what they send."""

    def __init__(self, name: str, url: str, workers: int) -> None:
        ctx = multiprocessing.get_context("spawn")  # nothing of this process's connections is inherited
        self.results = ctx.Queue()
        self.inboxes = [ctx.Queue(maxsize=2) for _ in range(workers)]
        self.processes = [ctx.Process(target=_work, args=(name, url, inbox, self.results), daemon=True,
                                      name=f"reread-{i + 1}") for i, inbox in enumerate(self.inboxes)]
        self.source = name
        for process in self.processes:
            process.start()

    def segments(self, adapter, spec: EntitySpec, width: int, tally: Tally | None) -> Segments:
        for inbox in self.inboxes:
            self._put(inbox, ("part", spec, width), tally)
        after, turn = None, 0
        while (page := adapter.bounds(spec, after=after, batch_size=PAGE)) is not None:
            turn = self._hand(("page", *page), turn, tally)
            after = page[1]
        for inbox in self.inboxes:
            self._put(inbox, ("end",), tally)
        total, ended = Segments(width), 0
        while ended < len(self.inboxes):
            if self._heard(self._next(), tally, total):
                ended += 1
        return total

    def _hand(self, task: tuple, turn: int, tally: Tally | None) -> int:
        """Give ``task`` to the first worker from ``turn`` on with room for it; the next turn."""
        while True:
            for step in range(len(self.inboxes)):
                i = (turn + step) % len(self.inboxes)
                try:
                    self.inboxes[i].put_nowait(task)
                except queue.Full:
                    continue
                return i + 1
            self._heard(self._next(), tally, None)  # every worker busy: wait for one to tell its progress

    def _put(self, inbox, task: tuple, tally: Tally | None) -> None:
        while True:
            try:
                inbox.put(task, timeout=_WAIT)
                return
            except queue.Full:
                self._drain(tally)

    def _drain(self, tally: Tally | None) -> None:
        while True:
            try:
                said = self.results.get_nowait()
            except queue.Empty:
                self._alive()
                return
            self._heard(said, tally, None)

    def _next(self) -> tuple:
        while True:
            try:
                return self.results.get(timeout=_WAIT)
            except queue.Empty:
                self._alive()

    def _heard(self, said: tuple, tally: Tally | None, total: Segments | None) -> bool:
        """Take in what a worker said; True when it is a part's segments (added to ``total``)."""
        kind = said[0]
        if kind == "read":
            if tally is not None:
                tally.add(said[1])
            return False
        if kind == "failed":
            raise _revived(said[1], self.source)
        assert total is not None, "a worker ends its part after every page is handed out"
        total.absorb(said[1], said[2])
        return True

    def _alive(self) -> None:
        for process in self.processes:
            if not process.is_alive():
                raise SourceError(msg("a worker reading the source again stopped (exit code {code})",
                                      code=process.exitcode), source=self.source)

    def close(self) -> None:
        for inbox in self.inboxes:
            try:
                inbox.put(None, timeout=_WAIT)
            except queue.Full:  # busy with a part abandoned on an error: stopped below
                pass
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        for q in (self.results, *self.inboxes):
            q.close()
            q.cancel_join_thread()


def _work(name: str, url: str, inbox, results) -> None:  # pragma: no cover - runs in a worker process
    """A worker: read the pages handed in, fold them into the part's segments, send them when the part ends."""
    try:
        adapter = open_source(name, url)
    except BaseException as exc:
        results.put(("failed", _portable(exc)))
        return
    spec: EntitySpec | None = None
    segments = Segments(1)
    try:
        while (task := inbox.get()) is not None:
            kind = task[0]
            if kind == "part":
                spec, segments = task[1], Segments(task[2])
            elif kind == "page":
                assert spec is not None, "a part is named before its pages"
                n = 0
                for key, digest, _ in hashes(adapter.read_range(spec, task[1], task[2], batch_size=PAGE), spec):
                    segments.add(key, digest)
                    n += 1
                results.put(("read", n))
            else:
                results.put(("segments", segments.count, segments.xor))
    except BaseException as exc:
        results.put(("failed", _portable(exc)))
    finally:
        adapter.close()


def _portable(exc: BaseException) -> bytes | str:
    """The error pickled to cross to the parent process, or its message when it does not pickle."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:
        return str(exc) if isinstance(exc, HopnhatError) else f"{type(exc).__name__}: {exc}"


def _revived(sent: bytes | str, source: str) -> BaseException:
    if isinstance(sent, bytes):
        return pickle.loads(sent)
    return SourceError(sent, source=source)
