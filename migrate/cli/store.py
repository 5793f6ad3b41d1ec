"""``hopnhat store``: the unified store's schema."""

from __future__ import annotations

import click

from migrate.cli.options import store_option
from migrate.config import Settings
from migrate.store import schema


@click.group("store")
def store_group() -> None:
    """Create, upgrade and inspect the unified store.

    \b
    Example:
        hopnhat store upgrade --store postgresql+psycopg://hopnhat@localhost/unified
    """


@store_group.command("upgrade")
@store_option
@click.option("--revision", default="head", show_default=True, help="Target schema revision.")
def upgrade_command(store: str | None, revision: str) -> None:
    """Create the store or bring it to the latest schema (alembic).

    \b
    Example:
        hopnhat store upgrade --store sqlite:///hopnhat.sqlite
    """
    settings = Settings.load(store=store)
    reached = schema.upgrade(schema.connect(settings.store_url), revision)
    click.echo(f"Store {schema.safe_url(settings.store_url)} is at schema revision {reached}.")


@store_group.command("downgrade")
@store_option
@click.argument("revision")
def downgrade_command(store: str | None, revision: str) -> None:
    """Take the store back to REVISION ('base' drops everything hopnhat created).

    \b
    Example:
        hopnhat store downgrade --store sqlite:///hopnhat.sqlite base
    """
    settings = Settings.load(store=store)
    reached = schema.downgrade(schema.connect(settings.store_url), revision)
    click.echo(f"Store {schema.safe_url(settings.store_url)} is at schema revision {reached}.")


@store_group.command("current")
@store_option
def current_command(store: str | None) -> None:
    """Show the store's schema revision and the one this hopnhat needs.

    \b
    Example:
        hopnhat store current --store sqlite:///hopnhat.sqlite
    """
    settings = Settings.load(store=store)
    current = schema.current_revision(schema.connect(settings.store_url))
    click.echo(f"Store {schema.safe_url(settings.store_url)}: revision {current or 'none'}; "
               f"latest {schema.head_revision()}.")
