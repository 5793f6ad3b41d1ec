"""Old identifiers (dossier numbers, old ids, usernames, ID numbers) in one indexed table for lookups after cutover

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "old_identifier",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("normalized", sa.String(length=400).with_variant(sa.String(length=400, collation="C"),
                                                                   "postgresql"), nullable=False),
        sa.Column("source_system", sa.String(length=100), nullable=False),
        sa.Column("source_table", sa.String(length=200), nullable=False),
        sa.Column("source_key", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("target_table", sa.String(length=40), nullable=True),
        sa.Column("target_id", Id, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_old_identifier")),
        sa.UniqueConstraint("source_system", "source_table", "source_key", "kind",
                            name=op.f("uq_old_identifier_source_system_source_table_source_key_kind")),
    )
    with op.batch_alter_table("old_identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_old_identifier_normalized"), ["normalized"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("old_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_old_identifier_normalized"))
    op.drop_table("old_identifier")
