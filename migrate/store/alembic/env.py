"""Alembic environment for the unified store.

hopnhat passes its own connection in ``config.attributes["connection"]``;
run by hand, the URL comes from ``HOPNHAT_STORE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from migrate.store.models import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = os.environ.get("HOPNHAT_STORE_URL")
    if not url:
        raise SystemExit("Set HOPNHAT_STORE_URL or run: hopnhat store upgrade --store URL")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
