"""What a store's driver error means: transient or not, and the one line an operator reads.

Transient: the connection was lost or refused, the server is starting up or
shutting down, a deadlock or serialization failure, SQLite's "database is
locked". Not transient: authentication, an unknown database, a missing table
or column, a refused row: retrying changes nothing.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, InterfaceError

from migrate.core.messages import msg

# PostgreSQL SQLSTATEs worth another attempt: class 08 (connection), shutdowns, start-up, deadlock, serialization.
TRANSIENT_STATES = {"40001", "40P01", "57P01", "57P02", "57P03", "53300", "55P03"}
_TRANSIENT_TEXT = re.compile(
    r"connection refused|could not connect|server closed the connection|connection reset|broken pipe|"
    r"starting up|shutting down|terminating connection|timeout expired|timed out|database is locked|"
    r"database table is locked|connection is closed|the connection is lost|consuming input failed|"
    r"recovery mode|not (yet )?accepting connections|no connection to the server|could not (send|receive) data", re.I)
_PERMANENT_TEXT = re.compile(r"authentication failed|no password supplied|does not exist|pg_hba\.conf", re.I)


def is_transient(exc: BaseException) -> bool:
    """True when the same statement may succeed once the store is back."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or ""
    if state:
        return state in TRANSIENT_STATES or state.startswith("08")
    text = str(orig)
    if _PERMANENT_TEXT.search(text):
        return False
    # psycopg reports connection-level failures (refused, reset, recovery mode) as OperationalError without a state
    connection_level = type(orig).__module__.startswith("psycopg") and type(orig).__name__ == "OperationalError"
    return connection_level or bool(_TRANSIENT_TEXT.search(text))


_STARTING_TEXT = re.compile(r"starting up|recovery mode|not (yet )?accepting connections", re.I)


def is_starting_up(exc: BaseException) -> bool:
    """True when the server is up but not yet serving: starting, or recovering after a crash."""
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) == "57P03" or bool(_STARTING_TEXT.search(str(orig)))


def describe(exc: BaseException, shown_url: str) -> str:
    """One line: what went wrong opening the store at ``shown_url`` (password hidden) and what to do.

    The driver's own text stays as the server wrote it (often English); the rest is a message the CLI says
    in the user's language."""
    text = one_line(exc)
    lower = text.lower()
    if "authentication failed" in lower or "no password supplied" in lower:
        hint = msg("check the user and its password (in the URL given by --store or HOPNHAT_STORE_URL, "
                   "or in ~/.pgpass)")
    elif re.search(r'database "[^"]+" does not exist', text):
        hint = msg("create the database on the server (createdb NAME), then: hopnhat store upgrade --store URL")
    elif re.search(r'role "[^"]+" does not exist', text):
        hint = msg("use a user the server knows")
    elif "connection refused" in lower or "could not connect" in lower or "timeout" in lower:
        hint = msg("is the server running and reachable at that host and port?")
    elif "unable to open database file" in lower:
        hint = msg("check the folder exists and is writable")
    else:
        hint = msg("check the URL given by --store or HOPNHAT_STORE_URL")
    return msg("cannot open the store {store}: {problem}; {hint}", store=shown_url, problem=text, hint=hint)


def one_line(exc: BaseException) -> str:
    """The first line of an error's message (the driver's, when it wraps one)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
