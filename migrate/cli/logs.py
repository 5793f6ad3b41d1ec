"""Logging, configured once at the command line's edge.

Library modules only call ``logging.getLogger(__name__)``; this module decides
where their records go (stderr, a log file), how much of them (``-q``, ``-v``,
``--debug``) and in which shape (plain text, or one JSON object per line).
Every record passes :class:`PrivateFilter`: no password or ID number reaches a log.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from migrate.core.credentials import hide_credentials
from migrate.core.masking import mask_text

LogFormat = Literal["text", "json"]

# The loggers of hopnhat's own packages; third-party libraries (alembic, SQLAlchemy) stay at warnings.
PACKAGES = ("migrate", "adapters", "mappings", "reconciliation", "runbooks", "hopnhat")
PROGRESS = "hopnhat.progress"  # the logger of the progress lines shown when stderr is not a terminal
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
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


class PrivateFilter(logging.Filter):
    """Every record's message with credentials hidden and personal identifiers masked (the one policy)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(mask_text(hide_credentials(record.getMessage())))
        record.msg, record.args = message, ()
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
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
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
