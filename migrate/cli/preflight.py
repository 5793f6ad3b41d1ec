"""``hopnhat preflight``: go/no-go checks before a cutover starts."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import speech
from migrate.cli.options import parse_sources, store_option, load_settings
from migrate.core.errors import CheckFailed
from migrate.core.messages import msg


@click.command("preflight")
@click.argument("profiles", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@store_option
@click.option("--source", "sources", multiple=True, metavar="NAME=URL", help="URL of a source.")
@click.option("--files-dir", type=click.Path(file_okay=False), default=None, help="The store's file area.")
@click.option("--only", "only", multiple=True, type=click.Choice(["schema", "sources", "mapping", "review", "disk"]),
              help="Run only these checks (repeatable); default all.")
@click.option("--signed-off", type=click.Path(dir_okay=False), default=None,
              help="Records accepted at sign-off to stay in quarantine, one 'source/table/key' per line "
                   "(a missing file accepts nothing).")
def preflight_command(profiles: tuple[str, ...], store: str | None, sources: tuple[str, ...],
                      files_dir: str | None, only: tuple[str, ...], signed_off: str | None) -> None:
    """Check the store schema, the sources, mapping coverage, the review queue and disk space; exit 3 on a no-go.

    \b
    Example:
        hopnhat preflight profiles/hanam.toml profiles/namdinh.toml --store sqlite:///store.sqlite
    """
    from migrate.preflight import CHECKS, preflight

    settings = load_settings(profiles, store=store, source_urls=parse_sources(sources), files_dir=files_dir)
    result = preflight(settings, only or CHECKS, Path(signed_off) if signed_off else None)
    click.echo(result.summary(speech.current()))
    if not result.go:
        failed = ", ".join(r.name for r in result.results if not r.go)
        raise CheckFailed(msg("preflight is a NO-GO ({failed}): fix what the lines above name, then run "
                              "hopnhat preflight again", failed=failed))
