"""``hopnhat reconcile``: prove that nothing was lost, and let an auditor check the proof."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import speech
from migrate.cli.options import (json_option, lang_option, load_settings, parse_sources, project_profiles,
                                 store_option)
from migrate.cli.progress import display
from migrate.core.errors import ConservationBroken
from migrate.core.i18n import language
from migrate.core.messages import msg


@click.group("reconcile")
def reconcile_group() -> None:
    """Recompute conservation, content hashes and file hashes; write and verify the auditors' report.

    \b
    Example:
        hopnhat reconcile run --store sqlite:///hopnhat.sqlite --out report
    """


@reconcile_group.command("run")
@click.argument("profiles", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@store_option
@click.option("--source", "sources", multiple=True, metavar="NAME=URL",
              help="URL of a source to read again (with its PROFILE, or the profile the store recorded).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Report folder (HTML, XLSX, CSV, JSON, manifest); default: [reconcile] out of hopnhat.toml, "
                   "else hopnhat-report.")
@click.option("--only", default=None, metavar="NAME", help="Only this source system.")
@click.option("--files-dir", type=click.Path(file_okay=False), default=None,
              help="The store's attachment folder (default: next to an SQLite store).")
@click.option("--unmask", is_flag=True, help="Show personal identifiers unmasked in the report.")
@click.option("--no-record", is_flag=True,
              help="Write nothing to the store (no reconciliation_run row, no batch marked verified).")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Processes reading a large source table again (default: one per core, up to 8).")
@json_option
@lang_option
def run_command(profiles: tuple[str, ...], store: str | None, sources: tuple[str, ...], out: str | None,
                only: str | None, files_dir: str | None, unmask: bool, no_record: bool, workers: int | None,
                as_json: bool, lang: str | None) -> None:
    """Recompute every check from read-only connections and write the report; exit 3 if any fails.

    Exits 4 when every check passed with named warnings: an entity wholly or
    mostly quarantined, an empty source table, no attachment verified, or
    nothing migrated yet. A runbook gate stops on it. --lang vi writes the
    summary, the page and the workbook in Vietnamese.

    With PROFILES (or --source NAME=URL) the sources are counted and read
    again and compared record by record; without, the store is checked on
    its own. The only write is recording the run (skip it with --no-record).

    \b
    Example:
        HOPNHAT_SOURCE_HANAM_URL=sqlite:///hanam.sqlite hopnhat reconcile run hanam.toml --store sqlite:///hopnhat.sqlite --out report
    """
    from reconciliation.runner import reconcile, recorded_profiles

    from migrate.cli.edge import project

    urls = parse_sources(sources)
    profiles = project_profiles(profiles) if not urls else profiles
    found = project()
    out = out or str(found.report_dir if found is not None and found.report_dir else "hopnhat-report")
    if urls and not profiles:
        profiles = tuple(recorded_profiles(load_settings(store=store), names=list(urls)))
    settings = load_settings(profiles, store=store, source_urls=urls, files_dir=files_dir)
    code = speech.current().code
    with display() as progress:
        result = reconcile(settings.store_url, Path(out), source=only, sources=settings.sources,
                           files_dir=settings.files_dir, unmask=unmask, record=not no_record, progress=progress,
                           lang=code, workers=workers)
    if as_json:
        from migrate.cli import jsonout

        jsonout.emit(jsonout.reconciliation(result))
    else:
        click.echo(result.summary(language(code)))
    judged = result.verdict
    if judged.failed:
        raise ConservationBroken(msg("reconciliation failed; do not sign off (see the report)"))
    if judged.exit_code:  # every check passed, but not everything was migrated
        raise click.exceptions.Exit(judged.exit_code)


@reconcile_group.command("verify")
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--store", envvar="HOPNHAT_STORE_URL", default=None, metavar="URL",
              help="Also check the manifest's hash against the one the store recorded.")
def verify_command(report_dir: str, store: str | None) -> None:
    """Check that no file of a report folder was changed, removed or added; exit 3 naming the altered file.

    \b
    Example:
        hopnhat reconcile verify report --store sqlite:///hopnhat.sqlite
    """
    from reconciliation.runner import verify

    result = verify(Path(report_dir), store)
    click.echo(result.summary(speech.current()))
    if not result.ok:
        raise ConservationBroken(msg("report {folder} was altered after it was written", folder=report_dir))
