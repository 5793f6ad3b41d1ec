"""Alembic environment for the unified store.

hopnhat passes its own connection in ``config.attributes["connection"]``; for
offline SQL (``hopnhat store upgrade --sql``) it passes the URL in
``config.attributes["url"]`` and nothing is connected. Run by hand, the URL is
alembic's ``sqlalchemy.url`` option.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from migrate.store.models import metadata
from migrate.store.schema import made_on

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=made_on(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline(url: str) -> None:
    """Write the DDL for the DBA to review instead of executing it."""
    context.configure(url=url, target_metadata=metadata, render_as_batch=True, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("No store URL: run hopnhat store upgrade --store URL (or --sql to print the DDL)")
    return url


if context.is_offline_mode():
    _run_offline(_url())
elif config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    with create_engine(_url()).begin() as conn:
        _run(conn)
