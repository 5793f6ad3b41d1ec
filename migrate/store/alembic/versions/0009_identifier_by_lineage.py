"""Old identifiers keyed by their record's lineage row: (lineage_id, kind) instead of an id and the source key

Each record's old identifiers (three for a dossier) cost two index entries
each besides the normalized one: the row's own id and the unique
(source_system, source_table, source_key, kind), four text columns whose
order (integer keys compared as text) is not the order a load writes them in,
so every entry went to another page of that index. The record's lineage row
already names it uniquely: (lineage_id, kind) is one narrow entry that rises
with the lineage ids a load reserves. The source columns stay, for reading;
what looks identifiers up by source key goes through the lineage's unique key.

An identifier no lineage row names (a store changed by hand) cannot be keyed:
it is dropped here, and ``hopnhat continuity index`` says how many of the
store's rows it could not index. A downgrade gives the rows ids again and the
unique source key back.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_UNIQUE = "uq_old_identifier_source_system_source_table_source_key_kind"
_SOURCE = ("source_system", "source_table", "source_key")
_SAME_RECORD = ("l.source_system = old_identifier.source_system AND l.source_table = old_identifier.source_table "
                "AND l.source_key = old_identifier.source_key")


def _table(*first: sa.Column, constraint: sa.Constraint) -> sa.Table:
    """The table as SQLite's batch mode rebuilds it (given, not reflected: ``--sql`` has no database)."""
    return sa.Table(
        "old_identifier", sa.MetaData(), *first,
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
        sa.Column("normalized", sa.String(400), nullable=False),
        *(sa.Column(c, sa.String(n), nullable=False) for c, n in zip(_SOURCE, (100, 200, 400))),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("target_table", sa.String(40)),
        sa.Column("target_id", Id),
        sa.Index("ix_old_identifier_normalized", "normalized"),
        constraint,
    )


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    op.add_column("old_identifier", sa.Column("lineage_id", Id, nullable=True))
    op.execute(f"UPDATE old_identifier SET lineage_id = (SELECT l.id FROM lineage l WHERE {_SAME_RECORD})")
    op.execute("DELETE FROM old_identifier WHERE lineage_id IS NULL")
    if _postgresql():
        op.drop_constraint(_UNIQUE, "old_identifier", type_="unique")
        op.drop_constraint("pk_old_identifier", "old_identifier", type_="primary")
        op.drop_column("old_identifier", "id")
        op.alter_column("old_identifier", "lineage_id", existing_type=Id, nullable=False)
        op.create_primary_key("pk_old_identifier", "old_identifier", ["lineage_id", "kind"])
        return
    before = _table(sa.Column("id", Id, primary_key=True), sa.Column("lineage_id", Id),
                    constraint=sa.UniqueConstraint(*_SOURCE, "kind", name=_UNIQUE))
    with op.batch_alter_table("old_identifier", recreate="always", copy_from=before) as batch:
        batch.drop_constraint(_UNIQUE, type_="unique")
        batch.drop_column("id")
        batch.alter_column("lineage_id", existing_type=Id, nullable=False)
        batch.create_primary_key("pk_old_identifier", ["lineage_id", "kind"])


def downgrade() -> None:
    if _postgresql():
        op.drop_constraint("pk_old_identifier", "old_identifier", type_="primary")
        op.execute("ALTER TABLE old_identifier ADD COLUMN id BIGSERIAL")
        op.create_primary_key("pk_old_identifier", "old_identifier", ["id"])
        op.create_unique_constraint(_UNIQUE, "old_identifier", [*_SOURCE, "kind"])
        op.drop_column("old_identifier", "lineage_id")
        return
    after = _table(sa.Column("lineage_id", Id, nullable=False),
                   constraint=sa.PrimaryKeyConstraint("lineage_id", "kind", name="pk_old_identifier"))
    with op.batch_alter_table("old_identifier", recreate="always", copy_from=after) as batch:
        batch.drop_constraint("pk_old_identifier", type_="primary")
        batch.add_column(sa.Column("id", Id, primary_key=True))  # SQLite numbers the rows as it copies them
        batch.create_unique_constraint(_UNIQUE, [*_SOURCE, "kind"])
        batch.drop_column("lineage_id")
