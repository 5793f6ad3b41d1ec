"""Dossier numbers indexed once: the index on dossier.dossier_no dropped, lookups by number use old_identifier

Every dossier's number is also an old identifier (kind dossier-no), whose
normalized form is indexed: lookups after cutover, the continuity check and
its ambiguous numbers read that index, and no query of hopnhat reads the
dossier table by number. The dossier_no index cost an index entry per dossier
written (and per number changed by a later load). Both engines drop it alike
(an index, unlike a foreign key, is dropped on SQLite without rebuilding the
table); a downgrade creates it again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_dossier_dossier_no"), table_name="dossier")


def downgrade() -> None:
    op.create_index(op.f("ix_dossier_dossier_no"), "dossier", ["dossier_no"], unique=False)
