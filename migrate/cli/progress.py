"""The progress display: the one place that decides how the library's progress reports look.

- stderr is a terminal: one tqdm bar per step, source and part, with its
  total, percentage, rate and ETA; a finished bar stays as a line.
- stderr is not a terminal (piped, redirected, a scheduler's log): plain
  timestamped lines through the ``hopnhat.progress`` logger (text or JSON, as
  ``--log-format`` says): one each ``EVERY_PERCENT`` per cent (at most one a
  ``GAP`` seconds), one after ``EVERY_SECONDS`` seconds without any, one when
  a part is complete; a part done within a second gets that line only. Standard
  output is flushed before each line, so in a file holding both the lines
  and the summaries stand in the order they happened.
- ``-q``: nothing.

The lines and bars speak the command's language (``--lang``): step names and
words from the catalogue, numbers grouped as that language groups them
(``1,234`` in English, ``1.234`` in Vietnamese); JSON lines keep the machine
fields (``step``, ``done``, ``total``, ...) as they are.

Commands use it as ``with display() as progress: result = library(..., progress=progress)``;
``progress.echo(text)`` prints a summary between steps (bars closed first).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

import click

from migrate.cli import logs
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say

EVERY_PERCENT = 10
EVERY_SECONDS = 5.0
GAP = 1.0
log = logging.getLogger(logs.PROGRESS)

Key = tuple[str, str, str]


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and (ctx.find_root().obj or {}).get("quiet"))


STEPS = {  # the steps the library reports, as a person reads them (another step is shown as it is named)
    "building": msg("building"), "migrating": msg("migrating"), "rerunning": msg("rerunning"),
    "indexing": msg("indexing"), "exporting": msg("exporting"), "rehashing": msg("rehashing"),
    "re-reading": msg("re-reading"), "checking files": msg("checking files"),
}


def describe(step: str, source: str, part: str, lang: Language | None = None) -> str:
    """``migrating hanam/dossier``: the step in ``lang`` (English by default), the source and part as named."""
    word = say(STEPS.get(step, step), lang or language())
    return f"{word} {source}/{part}" if part else f"{word} {source}"


def _count(value: float, lang: Language) -> str:
    """A count as the progress lines write it: ``1,234`` in English (as always), ``1.234`` in Vietnamese."""
    return f"{value:,.0f}" if lang.code == "en" else lang.number(round(value))


def eta_text(seconds: float | None) -> str:
    return "?" if seconds is None else str(timedelta(seconds=round(seconds)))


@dataclass
class _Part:
    started: float
    first_done: int
    total: int | None
    logged_at: float
    next_percent: int
    done: int = 0
    logged_done: int | None = None
    complete: bool = False


@dataclass
class Lines:
    """Timestamped progress lines: every few per cent or seconds, and when a part completes."""

    every_percent: int = EVERY_PERCENT
    every_seconds: float = EVERY_SECONDS
    gap: float = GAP
    clock: Callable[[], float] = time.monotonic
    lang: Language = field(default_factory=language)
    _parts: dict[Key, _Part] = field(default_factory=dict)

    def __call__(self, step: str, source: str, part: str, done: int, total: int | None) -> None:
        now = self.clock()
        key = (step, source, part)
        state = self._parts.get(key)
        if state is None:
            state = self._parts[key] = _Part(now, done, total, now, _next(_percent(done, total), self.every_percent))
        state.total, state.done = total, done
        if state.complete:
            return
        percent = _percent(done, total)
        quiet_for = now - state.logged_at
        if ((total is not None and done >= total)
                or (percent is not None and percent >= state.next_percent and quiet_for >= self.gap)
                or quiet_for >= self.every_seconds):
            self._line(key, state, done, now)

    def _line(self, key: Key, state: _Part, done: int, now: float, *, end: bool = False) -> None:
        total = state.total
        percent = _percent(done, total)
        rate = (done - state.first_done) / (now - state.started) if now > state.started else None
        eta = (total - done) / rate if rate and total is not None and done < total else None
        state.logged_at, state.logged_done = now, done
        state.next_percent = _next(percent, self.every_percent)
        state.complete = total is not None and done >= total
        lang, what = self.lang, describe(*key, self.lang)
        head = (msg("{what}: {done} of {total} ({percent}%)", what=what, done=_count(done, lang),
                    total=_count(total, lang), percent=str(percent)) if total is not None
                else msg("{what}: {done}", what=what, done=_count(done, lang)))
        tail = ""
        if state.complete or end:
            took = eta_text(now - state.started)
            tail = say(msg(", done in {time}", time=took) if state.complete else msg(", ended in {time}", time=took),
                       lang)
        elif rate:
            tail = say(msg(", {rate}/s, ETA {eta}", rate=_count(rate, lang), eta=eta_text(eta)), lang)
        text = say(head, lang) + tail
        sys.stdout.flush()  # what the command printed so far stands before this line
        log.info(text, extra={"step": key[0], "source": key[1], "part": key[2], "done": done, "total": total,
                              "percent": percent, "eta_seconds": None if eta is None else round(eta)})

    def close(self) -> None:
        """A last line for each part that ended short of its total (or had none) since its last line."""
        now = self.clock()
        for key, state in self._parts.items():
            if not state.complete and state.logged_done != state.done:
                self._line(key, state, state.done, now, end=True)
        self._parts.clear()


def _next(percent: int | None, every: int) -> int:
    return 0 if percent is None else (percent // every + 1) * every


def _percent(done: int, total: int | None) -> int | None:
    if total is None:
        return None
    return 100 if total <= 0 else min(100, done * 100 // total)


@dataclass
class Bars:
    """One tqdm bar per step, source and part on a terminal; a completed bar is left standing."""

    stream: TextIO
    lang: Language = field(default_factory=language)
    _bars: dict[Key, Any] = field(default_factory=dict)  # tqdm bars

    def __call__(self, step: str, source: str, part: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        key = (step, source, part)
        bar = self._bars.get(key)
        if bar is None:
            bar = self._bars[key] = tqdm(total=total, initial=done, desc=describe(*key, self.lang), unit="rec",
                                         file=self.stream, leave=True, dynamic_ncols=True, mininterval=0.2)
        else:
            if total != bar.total:
                bar.total = total
            bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()
            del self._bars[key]

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


class Display:
    """What a command hands the library as ``progress``; a context manager closing what it shows."""

    def __init__(self, show: Lines | Bars | None) -> None:
        self._show = show

    def __call__(self, step: str, source: str, part: str, done: int, total: int | None) -> None:
        if self._show is not None:
            self._show(step, source, part, done, total)

    def echo(self, text: str) -> None:
        """Print ``text`` on standard output between steps: bars are closed first, lines keep their order."""
        self.close()
        click.echo(text)
        sys.stdout.flush()

    def close(self) -> None:
        if self._show is not None:
            self._show.close()

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def display() -> Display:
    """The display this command runs with: bars on a terminal, lines elsewhere, nothing with ``-q``;
    in the command's language."""
    from migrate.cli import speech

    if _quiet():
        return Display(None)
    lang = speech.current()
    if sys.stderr.isatty():
        return Display(Bars(sys.stderr, lang))
    return Display(Lines(lang=lang))
