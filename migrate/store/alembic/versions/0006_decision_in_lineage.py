"""Remap decisions in the lineage row: the remap_decision table folded into lineage

Every record with a remap decision had a lineage row and a remap_decision row
with the same key, batch, content hash, old units and new commune; the
decision's own values (rule, score, detail, the address read, new province)
become columns of the lineage row, NULL for a record whose place was not
remapped. A record then costs one row and three index entries less (the
decision's id, key and rule indexes). Existing decisions are copied into their
lineage rows; a downgrade writes them back into a remap_decision table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# lineage column <- remap_decision column
MOVED = (("remap_rule", "rule"), ("remap_score", "score"), ("remap_detail", "detail"), ("remap_address", "address"),
         ("new_province_code", "new_province_code"))
KEY = ("source_system", "source_table", "source_key")


def _columns() -> list[sa.Column]:
    return [sa.Column("remap_rule", sa.String(length=60), nullable=True),
            sa.Column("remap_score", sa.Float(), nullable=True),
            sa.Column("remap_detail", sa.Text(), nullable=True),
            sa.Column("remap_address", sa.Text(), nullable=True),
            sa.Column("new_province_code", sa.String(length=2), nullable=True)]


def upgrade() -> None:
    with op.batch_alter_table("lineage", schema=None) as batch_op:
        for column in _columns():
            batch_op.add_column(column)
    lineage = sa.table("lineage", *(sa.column(c) for c in (*KEY, *(m for m, _ in MOVED))))
    decision = sa.table("remap_decision", *(sa.column(c) for c in (*KEY, *(d for _, d in MOVED)))).alias("d")
    same = sa.and_(*(decision.c[k] == lineage.c[k] for k in KEY))
    if op.get_context().dialect.name == "postgresql":  # one join
        op.execute(lineage.update().where(same).values({m: decision.c[d] for m, d in MOVED}))
    else:  # each value looked up by the decision's unique key
        op.execute(lineage.update().where(sa.exists().where(same)).values(
            {m: sa.select(decision.c[d]).where(same).scalar_subquery() for m, d in MOVED}))
    op.drop_table("remap_decision")


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    op.create_table(
        "remap_decision",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=100), nullable=False),
        sa.Column("source_table", sa.String(length=200), nullable=False),
        sa.Column("source_key", sa.String(length=400), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("batch_id", Id, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("old_province_code", sa.String(length=20), nullable=True),
        sa.Column("old_district_code", sa.String(length=20), nullable=True),
        sa.Column("old_commune_code", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("new_commune_code", sa.String(length=5), nullable=True),
        sa.Column("new_province_code", sa.String(length=2), nullable=True),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        # the batch key stays on SQLite only (revision 0005)
        *([sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_remap_decision_batch_id_batch"))]
          if sqlite else []),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remap_decision")),
        sa.UniqueConstraint("source_system", "source_table", "source_key",
                            name=op.f("uq_remap_decision_source_system_source_table_source_key")),
    )
    with op.batch_alter_table("remap_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remap_decision_rule"), ["rule"], unique=False)
    same = ("entity", "batch_id", "content_hash", "old_province_code", "old_district_code", "old_commune_code",
            "new_commune_code")
    lineage = sa.table("lineage", *(sa.column(c) for c in (*KEY, *same, *(m for m, _ in MOVED))))
    decision = sa.table("remap_decision", *(sa.column(c) for c in (*KEY, *same, *(d for _, d in MOVED))))
    op.execute(decision.insert().from_select(
        [*KEY, *same, *(d for _, d in MOVED)],
        sa.select(*(lineage.c[c] for c in (*KEY, *same)), *(lineage.c[m] for m, _ in MOVED))
        .where(lineage.c.remap_rule.is_not(None))))
    with op.batch_alter_table("lineage", schema=None) as batch_op:
        for lineage_column, _ in reversed(MOVED):
            batch_op.drop_column(lineage_column)
