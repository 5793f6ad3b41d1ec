"""``hopnhat lookup`` and ``hopnhat continuity``: old dossier numbers, accounts and links after cutover."""

from __future__ import annotations

import json
from pathlib import Path

import click

from migrate.cli import speech
from migrate.cli.options import load_settings, store_option
from migrate.cli.progress import display
from migrate.continuity.identifiers import KINDS
from migrate.core.errors import HopnhatError
from migrate.core.messages import msg


@click.command("lookup")
@click.argument("value")
@store_option
@click.option("--kind", "kinds", multiple=True, type=click.Choice(sorted(KINDS)), help="Only this kind (repeatable).")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source system (repeatable).")
@click.option("--unmask", is_flag=True, help="Show ID numbers and usernames in full.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
def lookup_command(value: str, store: str | None, kinds: tuple[str, ...], sources: tuple[str, ...], unmask: bool,
                   as_json: bool) -> None:
    """Find records by an old identifier: dossier number, old record or file id, username, ID number.

    Lists every match with its source (old dossier numbers repeat between
    former provinces) and where it is now: new record, new commune, status.
    Exits 1 with the closest matches when nothing matches.

    \b
    Example:
        hopnhat lookup 000.00.35.H01-240115-0001 --store sqlite:///hopnhat.sqlite
    """
    from migrate.continuity.lookup import lookup
    from migrate.pipeline import open_store

    with open_store(load_settings(store=store)).connect() as conn:
        result = lookup(conn, value, kinds=kinds, sources=sources)
    if as_json:
        click.echo(json.dumps([m.as_dict(unmask=unmask) for m in result.matches], ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(result.describe(unmask=unmask, lang=speech.current())))
    if not result.found:
        raise HopnhatError(msg("no record has this identifier (the closest ones, if any, are listed above); "
                               "refresh the index after a run: hopnhat continuity index"))


@click.group("continuity")
def continuity_group() -> None:
    """Keep old dossier numbers, accounts and links working after the old portals close.

    \b
    Example:
        hopnhat continuity index --store sqlite:///hopnhat.sqlite
    """


@continuity_group.command("index")
@store_option
@click.argument("profiles", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def index_command(store: str | None, profiles: tuple[str, ...]) -> None:
    """Build or refresh the old-identifier index from the store (idempotent; run after each migration run).

    With the source PROFILES, quarantined records are also found by their
    dossier number, username and ID numbers (read from their raw payload).

    \b
    Example:
        hopnhat continuity index --store sqlite:///hopnhat.sqlite profiles/hanam.toml profiles/namdinh.toml
    """
    from adapters.profiles import load_profile
    from migrate.continuity.index import refresh
    from migrate.pipeline import open_store

    engine = open_store(load_settings(store=store))
    with display() as progress:
        report = refresh(engine, [load_profile(p) for p in profiles], progress=progress)
    click.echo(report.summary(speech.current()))


@continuity_group.command("export")
@store_option
@click.option("--out", type=click.Path(file_okay=False), default="hopnhat-continuity", show_default=True,
              help="Folder for identifiers.csv/json, redirects.csv, redirects.nginx.map, accounts*.csv.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Continuity TOML: URL templates per source, password schemes the new system verifies.")
@click.option("--unmask", is_flag=True, help="Write ID numbers and usernames in full (for the new system to load).")
@click.option("--include-hashes", is_flag=True, help="Add the carried password hashes to accounts.csv.")
def export_command(store: str | None, out: str, config_path: str | None, unmask: bool, include_hashes: bool) -> None:
    """Write the files the new provincial system or the national portal loads to resolve old receipts and links.

    \b
    Example:
        hopnhat continuity export --store sqlite:///hopnhat.sqlite --config continuity.toml --out continuity
    """
    from migrate.continuity.config import load_config
    from migrate.continuity.export import export
    from migrate.pipeline import open_store

    config = load_config(config_path)  # raises ConfigError with every problem
    engine = open_store(load_settings(store=store))
    click.echo(export(engine, Path(out), config, unmask=unmask, include_hashes=include_hashes)
               .summary(speech.current()))


@continuity_group.command("check")
@store_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Continuity TOML (for the password schemes the new system verifies).")
def check_command(store: str | None, config_path: str | None) -> None:
    """Every old dossier number and account resolves to one new record or a listed ambiguity; exit 3 if not.

    \b
    Example:
        hopnhat continuity check --store sqlite:///hopnhat.sqlite
    """
    from migrate.continuity.config import load_config
    from migrate.core.errors import ConservationBroken
    from migrate.pipeline import open_store
    from reconciliation.continuity import continuity

    config = load_config(config_path)
    result = continuity(open_store(load_settings(store=store)), verifiable=config.verifiable)
    click.echo("\n".join(result.summary_lines(speech.current())))
    if not result.ok:
        raise ConservationBroken(msg("continuity does not hold: some old identifiers resolve to nothing"))
