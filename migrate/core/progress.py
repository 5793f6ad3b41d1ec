"""How far a long step has got: the one progress protocol every layer reports through.

A library function that takes a while accepts ``progress: Progress | None``
and calls it with running totals, ``progress(step, source, part, done, total)``:
``step`` says what is being done ("building", "migrating", "rehashing", ...),
``source`` and ``part`` what it is done to (a source system and one of its
parts), ``done`` how many records (or files) of it are finished so far and
``total`` how many there are (``None`` when unknown). Calls carry running
totals, not increments, so a report read back from the ledger (other worker
processes) and a count kept in memory say the same thing.

Library code reports; only the command line decides what a report looks
like (a terminal bar, a timestamped line, nothing). ``Tally`` and ``Tallies``
turn increments into running totals for code that counts as it goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    def __call__(self, step: str, source: str, part: str, done: int, total: int | None) -> None: ...


@dataclass
class Tally:
    """The running total of one part of one source under one step; reports each change."""

    progress: Progress | None
    step: str
    source: str
    part: str
    total: int | None = None
    done: int = 0

    def start(self) -> Tally:
        """Report the part as begun (``done`` so far, usually 0), so a display can time it from here."""
        self._report()
        return self

    def add(self, n: int) -> None:
        if n:
            self.done += n
            self._report()

    def set(self, done: int) -> None:
        if done != self.done:
            self.done = done
            self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.step, self.source, self.part, self.done, self.total)


Pair = tuple[str, str]


@dataclass
class Tallies:
    """One ``Tally`` per (source, part) of one step, made when a part is first counted."""

    progress: Progress | None
    step: str
    totals: Mapping[Pair, int] = field(default_factory=dict)
    done: Mapping[Pair, int] = field(default_factory=dict)
    _tallies: dict[Pair, Tally] = field(default_factory=dict)

    def tally(self, source: str, part: str) -> Tally:
        found = self._tallies.get((source, part))
        if found is None:
            found = Tally(self.progress, self.step, source, part, self.totals.get((source, part)),
                          self.done.get((source, part), 0)).start()
            self._tallies[(source, part)] = found
        return found

    def __contains__(self, pair: object) -> bool:
        return pair in self._tallies

    def add(self, source: str, part: str, n: int) -> None:
        self.tally(source, part).add(n)

    def set(self, source: str, part: str, done: int) -> None:
        self.tally(source, part).set(done)
