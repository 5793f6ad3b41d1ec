"""Delta reads: how each run read each part (source_snapshot.read_plan) and the records deleted in the source, kept in the store and marked (source_deletion)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("source_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_plan", sa.JSON(), nullable=True))
    op.create_table(
        "source_deletion",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=100), nullable=False),
        sa.Column("source_table", sa.String(length=200), nullable=False),
        sa.Column("source_key", sa.String(length=400), nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["migration_run.id"], name=op.f("fk_source_deletion_run_id_migration_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_deletion")),
        sa.UniqueConstraint("source_system", "source_table", "source_key",
                            name=op.f("uq_source_deletion_source_system_source_table_source_key")),
    )


def downgrade() -> None:
    op.drop_table("source_deletion")
    with op.batch_alter_table("source_snapshot", schema=None) as batch_op:
        batch_op.drop_column("read_plan")
