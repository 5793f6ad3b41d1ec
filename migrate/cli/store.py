"""``hopnhat store``: the unified store's schema."""

from __future__ import annotations

import click

from migrate.cli import speech
from migrate.cli.options import json_option, store_option, load_settings
from migrate.core.messages import msg, say
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
@click.option("--sql", is_flag=True,
              help="Print the DDL instead of running it (for the DBA to review); nothing is connected.")
@click.option("--from", "start", default=None, metavar="REV",
              help="With --sql: the revision the store is at now (default: an empty database).")
def upgrade_command(store: str | None, revision: str, sql: bool, start: str | None) -> None:
    """Create the store or bring it to the latest schema (alembic).

    With --sql the SQL is printed for PostgreSQL or SQLite (the store URL's
    engine) and the store is not touched: alembic's offline mode.

    \b
    Example:
        hopnhat store upgrade --store sqlite:///hopnhat.sqlite
        hopnhat store upgrade --sql --from 0002 --store postgresql+psycopg://hopnhat@db/unified > upgrade.sql
    """
    if start and not sql:
        raise click.UsageError(speech.text(msg("--from goes with --sql (a live upgrade reads the store's revision "
                                               "itself)")))
    settings = load_settings(store=store)
    if sql:
        click.echo(schema.upgrade_sql(settings.store_url, revision, start=start), nl=False)
        return
    reached = schema.upgrade(schema.connect(settings.store_url, create=True), revision)
    speech.echo(msg("Store {store} is at schema revision {revision}.", store=schema.safe_url(settings.store_url),
                    revision=reached))


@store_group.command("downgrade")
@store_option
@click.argument("revision")
def downgrade_command(store: str | None, revision: str) -> None:
    """Take the store back to REVISION ('base' drops everything hopnhat created).

    \b
    Example:
        hopnhat store downgrade --store sqlite:///hopnhat.sqlite base
    """
    settings = load_settings(store=store)
    reached = schema.downgrade(schema.connect(settings.store_url), revision)
    speech.echo(msg("Store {store} is at schema revision {revision}.", store=schema.safe_url(settings.store_url),
                    revision=reached))


@store_group.command("current")
@store_option
@json_option
def current_command(store: str | None, as_json: bool) -> None:
    """Show the store's schema revision and the one this hopnhat needs.

    \b
    Example:
        hopnhat store current --store sqlite:///hopnhat.sqlite
    """
    settings = load_settings(store=store)
    current = schema.current_revision(schema.connect(settings.store_url))
    if as_json:
        from migrate.cli import jsonout

        return jsonout.emit(jsonout.store_current(schema.safe_url(settings.store_url), current,
                                                  schema.head_revision()))
    speech.echo(msg("Store {store}: revision {current}; latest {head}.", store=schema.safe_url(settings.store_url),
                    current=current or msg("none"), head=schema.head_revision()))


@store_group.command("history")
@store_option
def history_command(store: str | None) -> None:
    """List the store's schema revisions, oldest first, marking the one the store is at.

    \b
    Example:
        hopnhat store history --store sqlite:///hopnhat.sqlite
    """
    settings = load_settings(store=store)
    current = _current_if_present(settings.store_url)
    head = schema.head_revision()
    lang = speech.current()
    for rev in schema.history():
        marks = [say(m, lang) for m, on in ((msg("head"), rev.revision == head), (msg("current"), rev.revision == current))
                 if on]
        created = rev.created if lang.code == "en" else lang.date(rev.created)  # dd/mm/yyyy in Vietnamese
        said = lang.gettext(rev.message) if rev.message else ""  # each revision's message is a catalogue message
        click.echo(f"{rev.revision}  {created:<10}  {said}" + (f"  ({', '.join(marks)})" if marks else ""))
    speech.echo(msg("Store {store}: revision {current}.", store=schema.safe_url(settings.store_url),
                    current=current or msg("none")))


def _current_if_present(url: str) -> str | None:
    """The store's revision; None for an SQLite file that does not exist yet (it is not created)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (not parsed.database or not Path(parsed.database).exists()):
        return None
    return schema.current_revision(schema.connect(url))
