"""The batch ledger: one row per batch, one function per state transition.

States: planned -> running -> loaded | failed; loaded -> verified after
reconciliation. ``mark_loaded`` runs in the same transaction as the rows the
batch writes, so a batch is either wholly in the store or not at all.

Entities load in stages (``STAGES``, from ``migrate.core.entities``): accounts, then dossiers and documents,
then dossier events and files, because each stage looks up the one before.
A stage is finished when every entity in it is planned to the end of its keys
(``source_snapshot.planned_at``) and no batch of it is planned or running.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, CursorResult, and_, func, insert, or_, select, update

from migrate.core.entities import REGISTRY, STAGES, base_name
from migrate.core.messages import N_
from migrate.core.errors import StoreError
from migrate.core.messages import msg
from migrate.core.records import Key, jsonable
from migrate.store.inlist import each_one_of
from migrate.store.limits import storable_reason
from migrate.store.models import batch, lineage, migration_run, source_snapshot

BatchState = Literal["planned", "running", "loaded", "failed", "verified"]
UNFINISHED: tuple[BatchState, ...] = ("planned", "running", "failed")
DONE: tuple[BatchState, ...] = ("loaded", "verified")
Pair = tuple[str, str]  # (source system, entity)

# the last error the ledger keeps of a batch or part that failed (catalogue messages, said where shown:
# migrate.reasons)
FAILED = N_("Batch {id} ({source}/{entity}, keys {lo}..{hi}) failed after {n} attempt(s): {error}. Nothing from it "
            "is in the store. Rerun: hopnhat batches rerun {id}")
PLANNING_STOPPED = N_("{error}. Planning stopped after the last batch planned; rerun hopnhat run to resume")
ERRORS = (FAILED, PLANNING_STOPPED)


def stage_of(entity: str) -> int:
    """The stage of an entity or of one of its parts ('dossier_event.log')."""
    known = REGISTRY.get(base_name(entity))
    return known.stage if known is not None else len(STAGES)


@dataclass(frozen=True)
class Counts:
    extracted: int = 0
    loaded: int = 0
    merged: int = 0
    quarantined: int = 0
    excluded: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, int, int, int, int]:
        return (self.extracted, self.loaded, self.merged, self.quarantined, self.excluded)


@dataclass(frozen=True)
class BatchRow:
    id: int
    run_id: int
    source_system: str
    entity: str
    source_table: str
    seq: int
    key_lo: Key
    key_hi: Key
    state: str
    attempts: int
    counts: Counts
    error: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    worker: str | None = None  # host:pid of the last worker that took it

    def describe(self) -> str:
        lo, hi = _show_key(self.key_lo), _show_key(self.key_hi)
        return msg("Batch {id} ({source}/{entity}, keys {lo}..{hi})", id=str(self.id), source=self.source_system,
                   entity=self.entity, lo=lo, hi=hi)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def encode(key: Key) -> str:
    """A key as the batch table keeps it (JSON); a key holding bytes that are not UTF-8 text is escaped."""
    text = json.dumps([jsonable(k) for k in key], ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps([jsonable(k) for k in key])
    return text


def decode(text: str) -> Key:
    return tuple(json.loads(text))


def _show_key(key: Key) -> str:
    return ",".join(str(k) for k in key)


# --- runs -----------------------------------------------------------------------


def start_run(conn: Connection, *, tool_version: str, mapping_version: str, mapping_sha256: str,
              profiles: Sequence[dict]) -> int:
    result = conn.execute(
        insert(migration_run).values(
            started_at=now(), tool_version=tool_version, mapping_version=mapping_version,
            mapping_sha256=mapping_sha256, profiles=list(profiles), state="running",
        )
    )
    return _new_id(result)


def resumable_run(conn: Connection, profile_names: Sequence[str]) -> int | None:
    """The newest run that did not finish and covered the same sources, if any."""
    row = conn.execute(
        select(migration_run.c.id, migration_run.c.profiles, migration_run.c.state)
        .order_by(migration_run.c.id.desc())
        .limit(1)
    ).first()
    if row is None or row.state == "done":
        return None
    names = sorted(p["name"] for p in row.profiles)
    return int(row.id) if names == sorted(profile_names) else None


def reopen_run(conn: Connection, run_id: int) -> None:
    """A resumed run is running again; its failed batches are planned again."""
    conn.execute(update(migration_run).where(migration_run.c.id == run_id).values(state="running", finished_at=None))
    conn.execute(update(batch).where(batch.c.run_id == run_id, batch.c.state == "failed").values(state="planned"))


def finish_run(conn: Connection, run_id: int, state: str) -> None:
    """Record how a run ended; a run another worker saw fail stays failed."""
    stmt = update(migration_run).where(migration_run.c.id == run_id).values(state=state, finished_at=now())
    if state == "done":
        stmt = stmt.where(migration_run.c.state != "failed")
    conn.execute(stmt)


def newest_run(conn: Connection) -> int | None:
    return conn.execute(select(func.max(migration_run.c.id))).scalar()


def run_profiles(conn: Connection, run_id: int) -> list[dict]:
    """The profiles a run was started with: name, file name, resolved path, sha256."""
    value = conn.execute(select(migration_run.c.profiles).where(migration_run.c.id == run_id)).scalar()
    return list(value or [])


def record_snapshot(conn: Connection, run_id: int, source: str, entity: str, table: str, count: int,
                    read_plan: dict | None = None) -> None:
    """The part's count at the snapshot, and how the run reads it (``migrate.delta.ReadPlan.as_dict``)."""
    existing = conn.execute(
        select(source_snapshot.c.id).where(
            source_snapshot.c.run_id == run_id,
            source_snapshot.c.source_system == source,
            source_snapshot.c.entity == entity,
        )
    ).scalar()
    values = dict(source_table=table, source_count=count, taken_at=now())
    if read_plan is not None:
        values["read_plan"] = read_plan
    if existing is None:
        conn.execute(insert(source_snapshot).values(run_id=run_id, source_system=source, entity=entity, **values))
    else:
        conn.execute(update(source_snapshot).where(source_snapshot.c.id == existing).values(**values))


@dataclass(frozen=True)
class PastSnapshot:
    """The newest snapshot of a part in an earlier finished run, and what that run was started with."""

    run_id: int
    read_plan: dict | None
    profile_sha256: str | None
    mapping_sha256: str | None


def previous_snapshot(conn: Connection, source: str, entity: str, *, before: int) -> PastSnapshot | None:
    """The part's snapshot in the newest run before ``before`` that finished (state done)."""
    row = conn.execute(
        select(source_snapshot.c.run_id, source_snapshot.c.read_plan, migration_run.c.profiles,
               migration_run.c.mapping_sha256)
        .join(migration_run, migration_run.c.id == source_snapshot.c.run_id)
        .where(source_snapshot.c.source_system == source, source_snapshot.c.entity == entity,
               source_snapshot.c.run_id < before, migration_run.c.state == "done")
        .order_by(source_snapshot.c.run_id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    profile: dict[str, Any] = next((p for p in (row.profiles or []) if p.get("name") == source), {})
    return PastSnapshot(int(row.run_id), row.read_plan, profile.get("sha256"), row.mapping_sha256)


def snapshot_plans(conn: Connection, run_id: int) -> dict[Pair, dict]:
    """How the run reads each part (the read plans recorded with its snapshot)."""
    rows = conn.execute(select(source_snapshot.c.source_system, source_snapshot.c.entity, source_snapshot.c.read_plan)
                        .where(source_snapshot.c.run_id == run_id))
    return {(s, e): plan for s, e, plan in rows if plan}


def store_holds(conn: Connection, source: str, table: str) -> bool:
    """Whether any record of the source table has a lineage row (was extracted by some run)."""
    return conn.execute(select(lineage.c.id).where(lineage.c.source_system == source,
                                                   lineage.c.source_table == table).limit(1)).first() is not None


# --- planning ---------------------------------------------------------------------


def lock_snapshot(conn: Connection, run_id: int, source: str, entity: str):
    """The entity's snapshot row, locked: whoever holds it plans the entity's next batch."""
    return conn.execute(
        select(source_snapshot.c.id, source_snapshot.c.planned_at)
        .where(source_snapshot.c.run_id == run_id, source_snapshot.c.source_system == source,
               source_snapshot.c.entity == entity)
        .with_for_update()
    ).first()


def last_planned(conn: Connection, run_id: int, source: str, entity: str) -> tuple[int, Key | None]:
    """The next seq and the last key planned for one entity of a run."""
    row = conn.execute(
        select(batch.c.seq, batch.c.key_hi)
        .where(batch.c.run_id == run_id, batch.c.source_system == source, batch.c.entity == entity)
        .order_by(batch.c.seq.desc()).limit(1)
    ).first()
    return (0, None) if row is None else (row.seq + 1, decode(row.key_hi))


def mark_planned(conn: Connection, snapshot_id: int) -> None:
    conn.execute(update(source_snapshot).where(source_snapshot.c.id == snapshot_id).values(planned_at=now()))


def _in_pairs(pairs: Sequence[Pair]):
    return or_(*[and_(batch.c.source_system == s, batch.c.entity == e) for s, e in pairs])


def claimable(conn: Connection, run_id: int, pairs: Sequence[Pair], *, skip_locked: bool,
              limit: int = 20) -> list[int]:
    """Planned batches, and running ones a worker may have abandoned, oldest first.

    On PostgreSQL rows another worker is claiming are skipped (FOR UPDATE SKIP
    LOCKED); the caller still takes the batch's lease before working on it.
    """
    if not pairs:
        return []
    stmt = (select(batch.c.id)
            .where(batch.c.run_id == run_id, batch.c.state.in_(("planned", "running")), _in_pairs(pairs))
            .order_by(batch.c.id).limit(limit))
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return [int(i) for i in conn.execute(stmt).scalars()]


def stage_open(conn: Connection, run_id: int, pairs: Sequence[Pair]) -> bool:
    """True while some entity of the stage is not planned to its end or has a batch planned or running."""
    if not pairs:
        return False
    unplanned = conn.execute(
        select(func.count()).select_from(source_snapshot)
        .where(source_snapshot.c.run_id == run_id, source_snapshot.c.planned_at.is_(None),
               or_(*[and_(source_snapshot.c.source_system == s, source_snapshot.c.entity == e) for s, e in pairs]))
    ).scalar_one()
    if unplanned:
        return True
    busy = conn.execute(
        select(func.count()).select_from(batch)
        .where(batch.c.run_id == run_id, batch.c.state.in_(("planned", "running")), _in_pairs(pairs))
    ).scalar_one()
    return bool(busy)


# --- batches ----------------------------------------------------------------------


def open_batch(conn: Connection, *, run_id: int, source: str, entity: str, table: str, seq: int,
               lo: Key, hi: Key) -> int:
    result = conn.execute(
        insert(batch).values(
            run_id=run_id, source_system=source, entity=entity, source_table=table, seq=seq,
            key_lo=encode(lo), key_hi=encode(hi), state="planned", attempts=0,
            extracted=0, loaded=0, merged=0, quarantined=0, excluded=0,
        )
    )
    return _new_id(result)


def worker_name() -> str:
    """host:pid, so an operator can tell which machine and process worked on a batch."""
    return f"{socket.gethostname()}:{os.getpid()}"


def mark_running(conn: Connection, batch_id: int, worker: str | None = None) -> int:
    """Start one more attempt; returns the batch's attempts so far, this one included (over every run)."""
    return int(conn.execute(
        update(batch)
        .where(batch.c.id == batch_id)
        .values(state="running", attempts=batch.c.attempts + 1, started_at=now(), error=None,
                worker=worker or worker_name())
        .returning(batch.c.attempts)
    ).scalar_one())


def mark_loaded(conn: Connection, batch_id: int, counts: Counts) -> None:
    """Call inside the transaction that wrote the batch's rows."""
    conn.execute(
        update(batch)
        .where(batch.c.id == batch_id)
        .values(state="loaded", finished_at=now(), error=None, extracted=counts.extracted,
                loaded=counts.loaded, merged=counts.merged, quarantined=counts.quarantined,
                excluded=counts.excluded)
    )


def mark_failed(conn: Connection, batch_id: int, error: str) -> None:
    conn.execute(
        update(batch).where(batch.c.id == batch_id).values(state="failed", finished_at=now(),
                                                          error=storable_reason(error[:4000]))
    )


def loaded_batches(conn: Connection, source: str | None = None) -> list[int]:
    """The batches in state ``loaded`` (of one source system, when named): what a reconciliation verifies."""
    stmt = select(batch.c.id).where(batch.c.state == "loaded").order_by(batch.c.id)
    if source:
        stmt = stmt.where(batch.c.source_system == source)
    return [int(i) for i in conn.execute(stmt).scalars()]


def mark_verified(conn: Connection, batch_ids: Sequence[int]) -> None:
    """loaded -> verified for the given batches (those a passing reconciliation checked)."""
    if batch_ids:
        for ids in each_one_of(conn, batch.c.id, batch_ids):
            conn.execute(update(batch).where(ids, batch.c.state == "loaded").values(state="verified"))


def get(conn: Connection, batch_id: int) -> BatchRow | None:
    row = conn.execute(select(batch).where(batch.c.id == batch_id)).first()
    return _row(row) if row else None


def require(conn: Connection, batch_ids: Sequence[int]) -> list[BatchRow]:
    """The named batches, in the order given; a StoreError names every id the ledger does not have."""
    rows = {i: get(conn, i) for i in dict.fromkeys(batch_ids)}
    missing = [str(i) for i, row in rows.items() if row is None]
    if missing:
        raise StoreError(msg("There is no batch {ids} in the store {store}. List the batches: hopnhat batches list",
                             ids=", ".join(missing), store=conn.engine.url.render_as_string(hide_password=True)))
    return [rows[i] for i in batch_ids]  # type: ignore[misc]


def listing(conn: Connection, *, state: str | None = None, source: str | None = None,
            run_id: int | None = None, limit: int | None = None) -> list[BatchRow]:
    stmt = select(batch).order_by(batch.c.id)
    if state:
        stmt = stmt.where(batch.c.state == state)
    if source:
        stmt = stmt.where(batch.c.source_system == source)
    if run_id:
        stmt = stmt.where(batch.c.run_id == run_id)
    if limit:
        stmt = stmt.limit(limit)
    return [_row(r) for r in conn.execute(stmt)]


def progress(conn: Connection, run_id: int, source: str, entity: str) -> tuple[int, Key | None, list[BatchRow]]:
    """Where a run stands for one entity: next seq, last key planned, unfinished batches."""
    rows = listing_for(conn, run_id, source, entity)
    if not rows:
        return 0, None, []
    last = max(rows, key=lambda r: r.seq)
    return last.seq + 1, last.key_hi, [r for r in rows if r.state in UNFINISHED]


def listing_for(conn: Connection, run_id: int, source: str, entity: str) -> list[BatchRow]:
    stmt = select(batch).where(
        batch.c.run_id == run_id, batch.c.source_system == source, batch.c.entity == entity
    ).order_by(batch.c.seq)
    return [_row(r) for r in conn.execute(stmt)]


def run_totals(conn: Connection, run_id: int) -> dict[Pair, tuple[int, Counts, list[int]]]:
    """Per source entity of a run: the source count, the counts of its loaded batches, its failed batches."""
    out: dict[Pair, tuple[int, Counts, list[int]]] = {}
    for s, e, n in conn.execute(select(source_snapshot.c.source_system, source_snapshot.c.entity,
                                       source_snapshot.c.source_count).where(source_snapshot.c.run_id == run_id)):
        out[(s, e)] = (int(n), Counts(), [])
    rows = conn.execute(
        select(batch.c.source_system, batch.c.entity, batch.c.state, batch.c.id, batch.c.extracted,
               batch.c.loaded, batch.c.merged, batch.c.quarantined, batch.c.excluded)
        .where(batch.c.run_id == run_id).order_by(batch.c.id)
    )
    for r in rows:
        count, counts, failed = out.setdefault((r.source_system, r.entity), (0, Counts(), []))
        if r.state in DONE:
            counts = counts + Counts(r.extracted, r.loaded, r.merged, r.quarantined, r.excluded)
        elif r.state == "failed":
            failed.append(int(r.id))
        out[(r.source_system, r.entity)] = (count, counts, failed)
    return out


def state_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(batch.c.state, func.count()).group_by(batch.c.state))
    return {state: int(n) for state, n in rows}


def _row(row) -> BatchRow:
    return BatchRow(
        id=int(row.id), run_id=int(row.run_id), source_system=row.source_system, entity=row.entity,
        source_table=row.source_table, seq=row.seq, key_lo=decode(row.key_lo), key_hi=decode(row.key_hi),
        state=row.state, attempts=row.attempts,
        counts=Counts(row.extracted, row.loaded, row.merged, row.quarantined, row.excluded),
        error=row.error, started_at=row.started_at, finished_at=row.finished_at, worker=row.worker,
    )


def _new_id(result: CursorResult) -> int:
    """The id the store gave the row one insert wrote."""
    key = result.inserted_primary_key
    assert key is not None  # an insert of one row has its key
    return int(key[0])
