"""Rebuild each source record's canonical form from the unified store.

The inverse of the column mapping in :mod:`migrate.load`: which store column
holds each canonical field, both read from the entity registry
(``migrate.core.entities``). Parent keys (``dossier_key``, ``applicant_account_key``,
``owner_account_key``) are not columns: they come back from the parent row's
source key (for accounts through ``account_alias``, so an applicant whose
account was merged into another province's account still resolves to the
source key the dossier named).

``store_records`` streams, for one source table, every lineage row joined to
its entity row: what reconciliation recomputes ``content_hash`` from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from migrate.core.canonical import content_hash
from migrate.core.entities import ALIAS, PARENT, REGISTRY, base_name, store_column
from migrate.core.records import MAIN_ACCOUNT, WALK_IN, link_value
from migrate.store.inlist import one_of
from migrate.store.models import account_alias, lineage, source_snapshot


@dataclass(frozen=True)
class StoreRecord:
    """One extracted source record as the store holds it."""

    source_key: str
    outcome: str                 # loaded, merged, quarantined, excluded (from lineage)
    lineage_hash: str
    row_id: int | None           # entity row, when one exists
    row_hash: str | None         # content_hash stored in the entity row
    alias_hash: str | None       # content_hash stored in account_alias (accounts)
    record: dict[str, object] | None  # canonical record rebuilt from the row
    rebuilt_hash: str | None     # content_hash of ``record``; candidates tried for ambiguous parents

    @property
    def digest_value(self) -> str:
        """What the source comparison uses: the rebuilt hash of a loaded record, else the lineage hash."""
        if self.outcome == "loaded":
            return self.rebuilt_hash or "missing-row"
        return self.lineage_hash


def store_records(conn: Connection, source: str, table: str, entity: str, *,
                  parent_table: str | Mapping[str, str] | None, keys: Sequence[str] | None = None,
                  yield_per: int = 5000) -> Iterator[StoreRecord]:
    """Every lineage row of one source table, with its entity row rebuilt as a canonical record.

    ``parent_table``: the parent's source table, or for account parents every account table of
    the source with its part label (``{"opencps_applicant": "account", "nguoi_dung": "account.staff"}``):
    a link into another part than the main one is rebuilt as ``"part:key"`` (``split_link``).
    """
    parts = parts_of(parent_table)
    definition = REGISTRY[entity]
    joined, columns = lineage_join(source, entity, parts)
    stmt = (select(*columns).select_from(joined)
            .where(lineage.c.source_system == source, lineage.c.source_table == table)
            .execution_options(yield_per=yield_per))
    if keys is not None:
        stmt = stmt.where(one_of(conn, lineage.c.source_key, list(keys)))
    labels = list(stmt.selected_columns.keys())
    at = {label: i for i, label in enumerate(labels)}
    values: list[tuple[str, int]] = []  # (field, position in the row) of the values the row holds as they are
    parent_field = None
    for name in definition.field_names:
        column = store_column(entity, name)
        if column == PARENT:
            parent_field = name
        else:
            values.append((name, at[f"a_{name}" if column == ALIAS else f"r_{column}"]))
    parent_of = _parent_value(entity, at, parts) if parent_field is not None else None
    alias_at = at.get("alias_hash")
    several_at = at.get("parent_n")
    ambiguous: dict[int, list[str]] = {}
    for row in conn.execute(stmt):  # rows as tuples: (source_key, outcome, rule, lineage_hash, row_id, row_hash, ...)
        record = rebuilt = None
        if row[4] is not None:
            record = {name: row[i] for name, i in values}
            if parent_of is not None and parent_field is not None:
                record[parent_field] = parent_of(row)
            rebuilt = content_hash(entity, record)
            if several_at is not None and (row[several_at] or 0) > 1 and rebuilt != row[3]:
                record, rebuilt = _try_candidates(conn, entity, record, dict(zip(labels, row)), source, parts,
                                                  ambiguous)
        yield StoreRecord(row[0], row[1], row[3], row[4], row[5], row[alias_at] if alias_at is not None else None,
                          record, rebuilt)


def parts_of(parent_table: str | Mapping[str, str] | None) -> dict[str, str]:
    """The parent's source tables with their part labels (a table named alone is the main account part)."""
    return {parent_table: MAIN_ACCOUNT} if isinstance(parent_table, str) else dict(parent_table or {})


def lineage_join(source: str, entity: str, parts: Mapping[str, str]) -> tuple[Any, list[Any]]:
    """Each lineage row of the entity joined to its entity row (and alias row, or parent row), and the
    columns both rebuilds read: (source_key, outcome, rule, lineage_hash, row_id, row_hash, the row's
    values labelled ``r_<column>`` / ``a_<field>``, then ``alias_hash`` or the parent's key)."""
    definition = REGISTRY[entity]
    target = definition.store_table
    joined: Any = lineage.outerjoin(target, and_(target.c.source_system == lineage.c.source_system,
                                                 target.c.source_table == lineage.c.source_table,
                                                 target.c.source_key == lineage.c.source_key))
    columns: list[Any] = [lineage.c.source_key, lineage.c.outcome, lineage.c.rule,
                          lineage.c.content_hash.label("lineage_hash"), target.c.id.label("row_id"),
                          target.c.content_hash.label("row_hash")]
    columns += [target.c[f.store_column].label(f"r_{f.store_column}") for f in definition.row_fields()]
    link = definition.parent
    if definition.merges:  # accounts: their username and password hash live in account_alias
        alias = account_alias
        joined = joined.outerjoin(alias, and_(alias.c.source_system == lineage.c.source_system,
                                              alias.c.source_table == lineage.c.source_table,
                                              alias.c.source_key == lineage.c.source_key))
        columns += [alias.c[f.store_column].label(f"a_{f.name}") for f in definition.side_fields(alias.name)]
        columns += [alias.c.content_hash.label("alias_hash")]
    elif link is None:
        pass
    elif REGISTRY[link.entity].merges:  # the parent row may hold several source accounts, of several parts
        owners = _owners(source, sorted(parts))
        joined = joined.outerjoin(owners, owners.c.account_id == target.c[link.column])
        columns += [owners.c.key.label("parent_key"), owners.c.table.label("parent_table"),
                    owners.c.n.label("parent_n"), target.c[link.column].label("parent_id")]
    else:
        parent = REGISTRY[link.entity].store_table.alias("parent")
        joined = joined.outerjoin(parent, parent.c.id == target.c[link.column])
        columns += [parent.c.source_key.label("parent_key")]
    return joined, columns


def orphan_rows(conn: Connection, entity: str) -> list[tuple[str, str, str, int]]:
    """Entity rows no lineage row accounts for: (source system, source table, source key, row id)."""
    target = REGISTRY[entity].store_table
    joined = target.outerjoin(lineage, and_(target.c.source_system == lineage.c.source_system,
                                            target.c.source_table == lineage.c.source_table,
                                            target.c.source_key == lineage.c.source_key))
    stmt = (select(target.c.source_system, target.c.source_table, target.c.source_key, target.c.id)
            .select_from(joined).where(lineage.c.id.is_(None)).order_by(target.c.id).limit(10_000))
    return [tuple(r) for r in conn.execute(stmt)]


def _owners(source: str, account_tables: Sequence[str]):
    """Per account row: a source key (and its table) of this source's accounts that point to it, and how many do."""
    return (select(account_alias.c.account_id, func.min(account_alias.c.source_key).label("key"),
                   func.min(account_alias.c.source_table).label("table"), func.count().label("n"))
            .where(account_alias.c.source_system == source, account_alias.c.source_table.in_(list(account_tables)))
            .group_by(account_alias.c.account_id).subquery("owners"))


def _try_candidates(conn: Connection, entity: str, record: dict, m: Mapping, source: str,
                    parts: Mapping[str, str], cache: dict[int, list[str]]) -> tuple[dict, str]:
    """Several accounts of one source (of one part or of several) merged into one: the record named one."""
    account_id = int(m["parent_id"])
    if account_id not in cache:
        rows = conn.execute(
            select(account_alias.c.source_table, account_alias.c.source_key)
            .where(account_alias.c.account_id == account_id, account_alias.c.source_system == source,
                   account_alias.c.source_table.in_(list(parts))))
        cache[account_id] = sorted(link_value(parts[t], k) for t, k in rows)
    link = REGISTRY[entity].parent
    if link is None:
        return record, content_hash(entity, record)
    field = link.field
    first = None
    for key in cache[account_id]:
        candidate = dict(record, **{field: key})
        digest = content_hash(entity, candidate)
        first = first or (candidate, digest)
        if digest == m["lineage_hash"]:
            return candidate, digest
    return first or (record, content_hash(entity, record))


def _parent_value(entity: str, at: Mapping[str, int], parts: Mapping[str, str]):
    """A function of a row giving its parent field: the parent row's source key, as the record named it."""
    link = REGISTRY[entity].parent
    rule_at, key_at = at["rule"], at["parent_key"]
    if link is not None and REGISTRY[link.entity].merges:
        table_at = at["parent_table"]

        def account(row) -> object:
            if row[rule_at] == WALK_IN:
                return None  # owned by the id number, not by an account key: the source named none
            key = row[key_at]
            return None if key is None else link_value(parts.get(row[table_at], MAIN_ACCOUNT), key)

        return account

    def parent(row) -> object:
        return None if row[rule_at] == WALK_IN else row[key_at]

    return parent


def account_parts(conn: Connection, source: str) -> dict[str, str]:
    """Account table -> its part label (``account``, ``account.staff``) for one source, from the snapshots."""
    rows = conn.execute(select(source_snapshot.c.source_table, source_snapshot.c.entity).distinct()
                        .where(source_snapshot.c.source_system == source))
    return {table: label for table, label in rows if base_name(label) == MAIN_ACCOUNT}


def entity_tables(conn: Connection, source: str) -> dict[str, list[str]]:
    """entity -> the source tables (parts) the snapshots name for one source."""
    rows = conn.execute(select(source_snapshot.c.entity, source_snapshot.c.source_table).distinct()
                        .where(source_snapshot.c.source_system == source))
    out: dict[str, list[str]] = {}
    for entity, table in rows:  # 'dossier_event.log' is a second table of dossier_event
        out.setdefault(base_name(entity), []).append(table)
    return {e: sorted(set(t)) for e, t in out.items()}
