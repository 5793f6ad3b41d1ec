"""``hopnhat source``: check a profile against a live source, inspect a source, show built-in profiles."""

from __future__ import annotations

import click

from migrate.cli import speech
from migrate.core.errors import ConfigError, HopnhatError
from migrate.core.messages import msg


@click.group("source")
def source_group() -> None:
    """Check profiles against legacy databases and draft new ones.

    \b
    Example:
        hopnhat source check opencps-v2 --source mssql+pymssql://reader@db.hanam/opencps
    """


def _open(name: str, url: str):
    from adapters import open_source

    return open_source(name, url)


@source_group.command("check")
@click.argument("profile")
@click.option("--source", "url", default=None, metavar="URL",
              help="Source URL (default: the profile's url_env variable).")
def check_command(profile: str, url: str | None) -> None:
    """Validate PROFILE (a file or a built-in name) against a live source; exit 1 on errors.

    Names every unknown table or column with the closest existing names, and the
    legacy codes no lookup covers.

    \b
    Example:
        hopnhat source check opencps-v2 --source postgresql+psycopg://reader@db/opencps
    """
    from adapters.inspect import check_profile
    from adapters.profiles import load_profile
    from migrate.cli.options import load_settings

    loaded = load_profile(profile)
    url = url or load_settings([loaded.path]).sources[0].url
    source = _open(loaded.name, url)
    try:
        result = check_profile(loaded, source)
    finally:
        source.close()
    click.echo(result.summary(speech.current()))
    if not result.ok:
        raise HopnhatError(msg("profile {profile} does not match its source (see above): edit it, then "
                               "hopnhat source check {profile} again", profile=profile))


@source_group.command("inspect")
@click.option("--source", "url", required=True, metavar="URL", help="Source URL.")
@click.option("--name", default="legacy-portal", show_default=True, help="Source name for the draft profile.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write a draft profile here.")
def inspect_command(url: str, name: str, out: str | None) -> None:
    """List tables, row counts and candidate keys; draft a profile to edit with --out.

    \b
    Example:
        hopnhat source inspect --source sqlite:///hanam.sqlite --out hanam.toml
    """
    from pathlib import Path

    from adapters.inspect import draft_profile, inventory, render_inventory

    source = _open(name, url)
    try:
        tables = inventory(source)
    finally:
        source.close()
    click.echo(render_inventory(tables, speech.current()))
    if out:
        Path(out).write_text(draft_profile(tables, name=name, engine=source.engine), encoding="utf-8")
        speech.echo(msg("Draft profile written to {path}; review it, then: hopnhat source check {path} --source URL",
                        path=out))


@source_group.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print a built-in profile (demo-portal, opencps-v2) to copy and edit.

    \b
    Example:
        hopnhat source show opencps-v2 > hanam-opencps.toml
    """
    from adapters.profiles import BUILTIN, builtin_profile_path

    if name not in BUILTIN:
        raise ConfigError(msg("no built-in profile {name}; built in: {known}", name=repr(name), known=", ".join(BUILTIN)))
    click.echo(builtin_profile_path(name).read_text(encoding="utf-8"), nl=False)


@source_group.command("fields")
def fields_command() -> None:
    """Print the profile reference: every profile key, every canonical field, the conversions each accepts.

    Generated from the code that reads profiles, so it is always the running version's.

    \b
    Example:
        hopnhat source fields > profile-reference.md
    """
    from adapters.reference import reference

    click.echo(reference())
