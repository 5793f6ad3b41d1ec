"""``hopnhat freeze``: fingerprint the sources at the freeze, and check nothing moved since."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import speech
from migrate.cli.options import parse_sources, load_settings
from migrate.core.errors import CheckFailed
from migrate.core.messages import msg


@click.group("freeze")
def freeze_group() -> None:
    """Record the sources at the freeze; refuse to go on if they change afterwards.

    \b
    Example:
        hopnhat freeze take profiles/*.toml --out freeze.json
    """


@freeze_group.command("take")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Where to write the freeze record.")
@click.option("--source", "sources", multiple=True, metavar="NAME=URL", help="URL of a source.")
def take_command(profiles: tuple[str, ...], out: str, sources: tuple[str, ...]) -> None:
    """Count and digest every source table named by the profiles.

    \b
    Example:
        hopnhat freeze take profiles/hanam.toml profiles/namdinh.toml --out freeze.json
    """
    from migrate import freeze

    settings = load_settings(profiles, source_urls=parse_sources(sources))
    prints = freeze.take(settings, Path(out))
    for f in prints:
        speech.echo(msg("{source}/{entity}: {n} rows, digest {digest}", source=f.source, entity=f.entity, n=f.count,
                        digest=f.digest[:16]))
    speech.echo(msg("Freeze recorded in {file}", file=out))


@freeze_group.command("check")
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "sources", multiple=True, metavar="NAME=URL", help="URL of a source.")
def check_command(record: str, profiles: tuple[str, ...], sources: tuple[str, ...]) -> None:
    """Exit 3 and name every table that changed since the freeze record.

    \b
    Example:
        hopnhat freeze check freeze.json profiles/hanam.toml profiles/namdinh.toml
    """
    from migrate import freeze

    settings = load_settings(profiles, source_urls=parse_sources(sources))
    diffs = freeze.compare(settings, Path(record))
    for d in diffs:
        speech.echo(msg("CHANGED {change}", change=d.describe()))
    if diffs:
        raise CheckFailed(msg("{n} source table(s) changed after the freeze recorded in {record}: run a final "
                              "delta, then freeze again (hopnhat freeze take PROFILE... --out FILE)",
                              n=len(diffs), record=record))
    speech.echo(msg("Sources unchanged since the freeze."))
