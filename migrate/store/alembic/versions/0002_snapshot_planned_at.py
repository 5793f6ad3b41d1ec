"""Source snapshot records when an entity's batches are all planned, so parallel workers know a stage is complete

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_snapshot", schema=None) as batch_op:
        batch_op.drop_column("planned_at")
