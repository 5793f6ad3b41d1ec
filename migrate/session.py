"""One worker's store connection: each unit of work in one transaction, a store that restarts waited out.

A lost connection (a server restart, a dropped network) is reopened and the
transaction retried from the start, with back-off (``migrate.core.retry``), for up to
``STORE_PATIENCE`` seconds; whatever the transaction wrote was rolled back
with the connection, so a batch's rows and its ledger row are wholly in the
store or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from migrate.core.errors import StoreError
from migrate.core.messages import msg
from migrate.core.retry import policy
from migrate.store import failures
from migrate.store.failures import one_line

log = logging.getLogger(__name__)

STORE_PATIENCE = 120.0  # seconds to wait for a store that went away before giving up

T = TypeVar("T")


class StoreSession:
    def __init__(self, store: Engine, on_lost: Callable[[], None] = lambda: None,
                 patience: float = STORE_PATIENCE) -> None:
        self.store = store
        self.on_lost = on_lost  # called when the connection (and its session locks) is gone
        self.patience = patience
        self._conn: Connection | None = None

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def txn(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one store transaction, waiting out a store that restarts or drops the connection.

        Only failures ``migrate.store.failures`` calls transient are retried; any
        other (an unknown column, a refused value) fails at its first attempt.
        """
        def once() -> T:
            try:
                if self._conn is None:
                    self._conn = self.store.connect()
                with self._conn.begin():
                    return fn(self._conn)
            except DBAPIError as exc:
                if failures.is_transient(exc):
                    self.drop()
                raise

        try:
            return policy(patience=self.patience, transient=failures.is_transient, log=log,
                          what=msg("store connection lost: transaction"))(once)
        except DBAPIError as exc:
            if not failures.is_transient(exc):
                raise
            raise StoreError(msg("the store stayed unreachable for {seconds}s: {problem}. Rerun hopnhat run to resume",
                                 seconds=format(self.patience, ".0f"), problem=one_line(exc))) from exc

    def drop(self) -> None:
        """Throw the connection away (it is broken)."""
        self.on_lost()
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001 - the connection is already broken
                pass
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None
        self.on_lost()

