"""Isolate the rows a store refuses: split the write, retry the halves, down to the refusing rows.

Records are checked against the store's limits before they are written
(:mod:`migrate.store.limits`); this is for what the store still refuses (a
constraint, a value only the server knows it cannot take). The write is
tried inside a savepoint; when the store refuses it, the rows are split in
two and each half is tried the same way, until every refused row stands
alone. Those come back with the store's message, to be quarantined; the rest
are written. ``k`` refused rows among ``n`` cost about ``2k log2(n)`` tries.

A lost connection, a deadlock or a timeout is not a row's problem: it is
raised at once for the batch to be retried. When every row is refused, the
fault is the write's, not the rows': the first refusal is raised too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from migrate.core.messages import msg

log = logging.getLogger(__name__)

T = TypeVar("T")

# Raised by drivers, before the server sees a value, for values it cannot send
# (an integer too large for SQLite, text the encoding cannot carry).
CLIENT_REFUSALS = (OverflowError, UnicodeError, ValueError)


@dataclass(frozen=True)
class Refusal(Generic[T]):
    item: T
    message: str  # the store's message, one line


def write_isolating(conn: Connection, items: Sequence[T], write: Callable[[Sequence[T]], None]
                    ) -> list[Refusal[T]]:
    """``write(items)``; the items the store refuses, each with its message (the others are written)."""
    if not items:
        return []
    refused: list[Refusal[T]] = []
    first = _try(conn, items, write)
    if first is None:
        return refused
    _split(conn, items, write, first, refused)
    if len(refused) == len(items) and len(items) > 1:
        raise first
    log.info(msg("the store refused {n} of {total} row(s); the others are written", n=len(refused), total=len(items)))
    return refused


def _split(conn: Connection, items: Sequence[T], write: Callable[[Sequence[T]], None], error: BaseException,
           refused: list[Refusal[T]]) -> None:
    if len(items) == 1:
        refused.append(Refusal(items[0], store_message(error)))
        return
    middle = len(items) // 2
    for half in (items[:middle], items[middle:]):
        failure = _try(conn, half, write)
        if failure is not None:
            _split(conn, half, write, failure, refused)


def _try(conn: Connection, items: Sequence[T], write: Callable[[Sequence[T]], None]) -> BaseException | None:
    savepoint = conn.begin_nested()
    try:
        write(items)
    except (DBAPIError, *CLIENT_REFUSALS) as exc:
        savepoint.rollback()
        if not is_refusal(exc):
            raise
        return exc
    savepoint.commit()
    return None


def is_refusal(exc: BaseException) -> bool:
    """A store refusing these rows (a value, a constraint), not a store gone away or a transient conflict."""
    if isinstance(exc, CLIENT_REFUSALS):
        return True
    if not isinstance(exc, DBAPIError) or isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if exc.connection_invalidated:
        return False
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    return not code.startswith(("40", "53", "57", "08"))  # rollback/deadlock, resources, shutdown, connection


def store_message(exc: BaseException) -> str:
    """The store's own message, first line; for a driver's refusal, its type and message."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    line = text[0] if text else ""
    return line if isinstance(exc, DBAPIError) else f"{type(exc).__name__}: {line}"
