"""The old-identifier index as a test compares it: every row, with the version of the row itself."""

from __future__ import annotations

from sqlalchemy import Connection, literal_column, select

from migrate.store.models import old_identifier


def identifier_rows(conn: Connection) -> list:
    """Every row in key order, with its row version (``xmin`` on PostgreSQL, ``rowid`` on SQLite): a row
    deleted and written again, or updated to the same values, compares unequal."""
    version = literal_column("xmin::text" if conn.dialect.name == "postgresql" else "rowid").label("row_version")
    o = old_identifier.c
    return conn.execute(select(old_identifier, version).order_by(o.lineage_id, o.kind)).all()
