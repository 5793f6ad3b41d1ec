"""Batch leases and store-wide locks: which worker holds which batch, on PostgreSQL advisory locks.

A worker holds a *lease* on the batch it works on: a PostgreSQL session
advisory lock that dies with its connection, so a batch whose worker was
killed or lost its connection can be claimed by another. Locks held for one
transaction serialise what must not run twice at once (finding or starting a
run, matching accounts). On SQLite one process works at a time: leases always
succeed there and the locks are no-ops.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

LEASE_CLASS = 0x686E  # advisory lock class of batch leases; the object id is the batch id
LOCK_CLASS = 0x686F  # advisory locks held for one transaction
RUN_LOCK = 1  # finding or starting a run
ACCOUNT_LOCK = 2  # matching and loading accounts (de-duplication sees every earlier account)


class LeaseLost(Exception):
    """Another worker took the batch after this worker's connection dropped."""


def is_postgresql(store: Engine) -> bool:
    return store.dialect.name == "postgresql"


def advisory_xact_lock(conn: Connection, key: int) -> None:
    """Hold a PostgreSQL advisory lock until the transaction ends (nothing on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, key)))


class Leases:
    """The batches one worker holds, through the session of its store connection."""

    def __init__(self, postgresql: bool) -> None:
        self.postgresql = postgresql
        self._held: set[int] = set()

    def __contains__(self, batch_id: int) -> bool:
        return batch_id in self._held

    def take(self, conn: Connection, batch_id: int) -> bool:
        """Hold the batch for this worker; False when another worker holds it."""
        if batch_id in self._held or not self.postgresql:
            self._held.add(batch_id)
            return True
        if conn.execute(select(func.pg_try_advisory_lock(LEASE_CLASS, batch_id))).scalar():
            self._held.add(batch_id)
            return True
        return False

    def require(self, conn: Connection, batch_id: int) -> None:
        """Still hold the batch (or take it again); raises LeaseLost when another worker has it."""
        if not self.take(conn, batch_id):
            raise LeaseLost(batch_id)

    def release(self, conn: Connection, batch_id: int) -> None:
        if batch_id in self._held and self.postgresql:
            conn.execute(select(func.pg_advisory_unlock(LEASE_CLASS, batch_id)))
        self._held.discard(batch_id)

    def lost(self) -> None:
        """The connection is gone, and every session lock with it."""
        self._held.clear()
