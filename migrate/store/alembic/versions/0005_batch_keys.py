"""Batch keys on PostgreSQL: the foreign key of every row's batch_id to batch and the index on lineage.batch_id dropped

No invariant needs them: batches are never deleted, a batch's rows and its
ledger row commit in one transaction, and no query reads lineage by batch;
they cost a check and an index entry per row written. SQLite keeps them:
dropping a foreign key there rebuilds the table, which SQLite cannot do for a
table other rows reference (account, dossier) while foreign keys are enforced.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the tables whose rows name the batch that wrote them
TABLES = ("account", "account_alias", "document", "dossier", "dossier_event", "dossier_file", "lineage",
          "quarantine", "remap_decision")


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    op.drop_index(op.f("ix_lineage_batch_id"), table_name="lineage")
    for table in TABLES:
        op.drop_constraint(op.f(f"fk_{table}_batch_id_batch"), table, type_="foreignkey")


def downgrade() -> None:
    if not _postgresql():
        return
    for table in TABLES:
        op.create_foreign_key(op.f(f"fk_{table}_batch_id_batch"), table, "batch", ["batch_id"], ["id"])
    op.create_index(op.f("ix_lineage_batch_id"), "lineage", ["batch_id"], unique=False)
