"""``hopnhat demo`` and ``hopnhat run``."""

from __future__ import annotations

import click

from migrate.cli import speech
from migrate.cli.options import (json_option, lang_option, load_settings, parse_sources, project_profiles,
                                 run_options, store_option)
from migrate.cli.progress import display
from migrate.core.errors import ConservationBroken, HopnhatError
from migrate.core.messages import msg


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default="hopnhat-demo", show_default=True,
              help="Folder for the portals, the store and the report.")
@click.option("--scale", type=click.IntRange(1), default=300, show_default=True, help="Dossiers per portal.")
@click.option("--seed", type=int, default=2025, show_default=True, help="Same seed, same data.")
@click.option("--no-files", is_flag=True, help="Do not write attachment files (large scales).")
@click.option("--portals-only", is_flag=True, help="Only build the legacy portals (to rehearse a cutover runbook).")
@store_option
def demo_command(out: str, scale: int, seed: int, no_files: bool, portals_only: bool, store: str | None) -> None:
    """Build three legacy portals (Hà Nam, Nam Định, Ninh Bình), migrate them, reconcile.

    Exits 3 when the conservation equation does not hold.

    \b
    Example:
        hopnhat demo --out hopnhat-demo --scale 300
    """
    from pathlib import Path

    from migrate.demo.flow import build_portals, run_demo

    with display() as progress:
        if portals_only:
            for m in build_portals(Path(out), scale=scale, seed=seed, files=not no_files, progress=progress):
                progress.echo(f"{m.spec.name}: {m.db_path} ({m.profile_path.name})")
            return
        result = run_demo(Path(out), scale=scale, seed=seed, store=store, files=not no_files, progress=progress,
                          announce=progress.echo, lang=speech.current())
    if not result.reconciliation.ok:
        raise ConservationBroken(msg("conservation does not hold; see the report"))


@click.command("run")
@click.argument("profiles", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@store_option
@run_options
@click.option("--no-resume", is_flag=True, help="Start a new run even if the last one did not finish.")
@click.option("--workers", type=click.IntRange(1), default=None, help="Worker processes (PostgreSQL store; 1).")
@click.option("--full", is_flag=True,
              help="Read every part in full, even where the store already holds it and a delta would do.")
@click.option("--delta-margin", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="A delta reads records modified up to this long before the last watermark "
                   "(env HOPNHAT_DELTA_MARGIN; 3600).")
@json_option
@lang_option
def run_command(profiles: tuple[str, ...], store: str | None, sources: tuple[str, ...], no_resume: bool,
                as_json: bool, lang: str | None, **options) -> None:
    """Extract, remap and load the sources described by PROFILES; resumes an unfinished run.

    PROFILES default to the [run] profiles of the project file (hopnhat.toml).

    Run again over a source the store already holds, it reads only the records
    whose watermark column (the profile's `modified`) passed the last snapshot,
    compares keys to find records deleted in the source (kept in the store,
    marked, and named in the summary) and says how each part was read; --full
    reads everything again.

    Exits 1 when a batch failed, 4 when everything loaded but with named
    warnings (an entity wholly or mostly quarantined, an empty source table).

    Running it again while a run is in progress (on this or another machine,
    same PostgreSQL store) joins that run: workers split its batches.

    \b
    Example:
        HOPNHAT_SOURCE_HANAM_URL=sqlite:///hanam.sqlite hopnhat run --store sqlite:///store.sqlite hanam.toml
        hopnhat run    # with a hopnhat.toml in this folder
        hopnhat run --full hanam.toml    # read every record again
    """
    from migrate import pipeline

    profiles = project_profiles(profiles)
    if not profiles:
        raise click.UsageError(speech.text(msg("name the PROFILES to migrate, or list them in hopnhat.toml "
                                               "([run] profiles)")))
    settings = load_settings(profiles, store=store, source_urls=parse_sources(sources), **options)
    with display() as progress:
        report = pipeline.run(settings, progress=progress, resume=not no_resume)
    if as_json:
        from migrate.cli import jsonout

        jsonout.emit(jsonout.run(report))
    else:
        click.echo(report.summary(speech.current()))
    if not report.ok:
        raise HopnhatError(msg("the run did not load everything (see the lines above): fix the cause, then "
                               "hopnhat batches rerun --failed, or hopnhat run again to resume"))
    if report.verdict.exit_code:  # loaded, with named warnings: an entity (mostly) quarantined, an empty table
        raise click.exceptions.Exit(report.verdict.exit_code)
