"""Room for updates on PostgreSQL: the entity tables and lineage filled to 90% of each page

A delta rewrites the entity row and the lineage row of each record changed in
the source. In a page filled to the brim the new version of a row goes to
another page, and every index of the table gets a new entry for it; with room
left in the page it stays there as a heap-only tuple and no index is written,
as long as no indexed column changed (a delta changes the content hash, the
batch and the changed fields: none of them indexed). Pages written from now on
keep 10% free; a store loaded before keeps its full pages until rewritten.
SQLite has no fill factor.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("account", "dossier", "dossier_event", "dossier_file", "document", "lineage")
FILL = 90


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILL})")  # fixed names and number


def downgrade() -> None:
    if not _postgresql():
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")  # fixed names
