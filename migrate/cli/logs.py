"""Logging, configured once at the command line's edge.

Library modules only call ``logging.getLogger(__name__)``; this module decides
where their records go (stderr, a log file), how much of them (``-q``, ``-v``,
``--debug``) and in which shape (plain text, or one JSON object per line).
Every record passes :class:`PrivateFilter`: no password or ID number reaches a log.

Logging is configured before a command's ``--lang`` is read, so the language is looked up when
a record is written (:func:`migrate.cli.speech.current`): a plain line's time, level and message
follow the command's language (``01/12/2026 08:30:00 THÔNG TIN migrate.workers: lô 7 ...``);
English lines keep their form (``2026-12-01 08:30:00,123 INFO ...``), and a JSON line's
fields are machine names in every language, its ``message`` said in the command's language.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from migrate.cli import speech
from migrate.core.credentials import hide_credentials
from migrate.core.i18n import Language
from migrate.core.masking import mask_text
from migrate.core.messages import N_, Message, say

LogFormat = Literal["text", "json"]

# The loggers of hopnhat's own packages; third-party libraries (alembic, SQLAlchemy) stay at warnings.
PACKAGES = ("migrate", "adapters", "mappings", "reconciliation", "runbooks", "hopnhat")
PROGRESS = "hopnhat.progress"  # the logger of the progress lines shown when stderr is not a terminal
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = {"DEBUG": N_("DEBUG"), "INFO": N_("INFO"), "WARNING": N_("WARNING"), "ERROR": N_("ERROR"),
          "CRITICAL": N_("CRITICAL")}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO), level, logger, message, and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A plain line, its time and level in the command's language: ``dd/mm/yyyy HH:MM:SS`` and ``THÔNG TIN``
    in Vietnamese, English as logging writes it."""

    def __init__(self, lang: Callable[[], Language]) -> None:
        super().__init__(TEXT_FORMAT)
        self._lang = lang

    def format(self, record: logging.LogRecord) -> str:
        lang = self._lang()
        if lang.code == "en":
            return super().format(record)
        level = record.levelname
        record.levelname = lang.gettext(LEVELS.get(level, level))
        try:
            return super().format(record)
        finally:
            record.levelname = level

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's
        if self._lang().code == "en":
            return super().formatTime(record, datefmt)
        return time.strftime("%d/%m/%Y %H:%M:%S", self.converter(record.created))


class PrivateFilter(logging.Filter):
    """Every record's message with credentials hidden and personal identifiers masked (the one policy); a
    message logged as a :class:`~migrate.core.messages.Message` is said in the command's language first."""

    def __init__(self, lang: Callable[[], Language] = speech.current) -> None:
        super().__init__()
        self._lang = lang

    def filter(self, record: logging.LogRecord) -> bool:
        text = say(record.msg, self._lang()) if isinstance(record.msg, Message) and not record.args \
            else record.getMessage()
        record.msg, record.args = str(mask_text(hide_credentials(text))), ()
        return True


class _Handler(logging.StreamHandler):
    """Marks the handlers this module installed, so a second configuration replaces them.

    Standard output is flushed before each record, so where both go to one
    file the log lines stand in order with what the command printed.
    """

    def emit(self, record: logging.LogRecord) -> None:
        sys.stdout.flush()
        super().emit(record)


class _FileHandler(logging.FileHandler):
    pass


def level_for(*, verbose: int, quiet: bool, debug: bool) -> int:
    """``--debug`` or ``-vv``: debug; ``-v``: info (each batch); default: warnings; ``-q``: errors only."""
    if debug or verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    return logging.ERROR if quiet else logging.WARNING


def configure(*, level: int, log_file: str | Path | None = None, fmt: LogFormat = "text") -> None:
    """Send hopnhat's log records to stderr at ``level`` and, with ``log_file``, to that file too.

    The file receives at least the info records (each batch), whatever the
    terminal shows, so a quiet run still leaves its full log behind.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, (_Handler, _FileHandler))]:
        root.removeHandler(handler)
        handler.close()
    formatter = JsonFormatter() if fmt == "json" else TextFormatter(speech.current)
    stderr = _Handler(sys.stderr)
    stderr.setLevel(level)
    stderr.setFormatter(formatter)
    stderr.addFilter(PrivateFilter())
    root.addHandler(stderr)
    lowest = level
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        file_handler = _FileHandler(log_file, encoding="utf-8")
        file_handler.setLevel(min(level, logging.INFO))
        file_handler.setFormatter(formatter)
        file_handler.addFilter(PrivateFilter())
        root.addHandler(file_handler)
        lowest = min(level, logging.INFO)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in PACKAGES:
        logging.getLogger(name).setLevel(lowest)
    _configure_progress(formatter, quiet=level >= logging.ERROR)


def _configure_progress(formatter: logging.Formatter, *, quiet: bool) -> None:
    """The plain progress lines (``migrate.cli.progress``): on stderr at info level, whatever ``-v`` says."""
    progress = logging.getLogger(PROGRESS)
    for handler in [h for h in progress.handlers if isinstance(h, _Handler)]:
        progress.removeHandler(handler)
        handler.close()
    progress.propagate = False
    progress.setLevel(logging.ERROR if quiet else logging.INFO)
    handler = _Handler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(PrivateFilter())
    progress.addHandler(handler)
