"""``hopnhat runbook``: follow a cutover, a rerun or an audit step by step, journaled."""

from __future__ import annotations

from pathlib import Path

import click

from migrate import config
from migrate.cli import speech
from migrate.core.errors import HopnhatError
from migrate.core.messages import msg
from runbooks import execute
from runbooks.model import load_runbook


def _journal_option(func):
    return click.option("--journal", type=click.Path(dir_okay=False), default=None,
                        help="Journal file (default: <runbook name>.journal.jsonl in the current folder).")(func)


def _journal(book, journal: str | None) -> Path:
    return Path(journal) if journal else Path(f"{book.name}.journal.jsonl")


@click.group("runbook")
def runbook_group() -> None:
    """Executable runbooks: each step's command, go/no-go check and rollback.

    \b
    Example:
        hopnhat runbook run runbooks/cutover.toml --dry-run
    """


@runbook_group.command("run")
@click.argument("runbook", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print every step, check and rollback; run nothing.")
@click.option("--from", "start_from", default=None, help="Start at this step instead of resuming.")
@click.option("--until", default=None, help="Stop after this step (e.g. the end of preflight).")
@click.option("--confirm", multiple=True, help="Confirm a manual step as done (repeatable).")
@click.option("--operator", default=None, help="Who runs the steps, for the journal (default: HOPNHAT_OPERATOR or login).")
@_journal_option
def run_command(runbook: str, dry_run: bool, start_from: str | None, until: str | None,
                confirm: tuple[str, ...], operator: str | None, journal: str | None) -> None:
    """Run the steps, resuming after the last go; stop at the first no-go and show its rollback.

    \b
    Example:
        hopnhat runbook run runbooks/cutover.toml --dry-run
        hopnhat runbook run runbooks/cutover.toml
    """
    book = load_runbook(runbook)
    outcome = execute.run_runbook(
        book, _journal(book, journal), operator=operator or config.operator(), dry_run=dry_run,
        start_from=start_from, until=until, confirmed=frozenset(confirm), environ=config.environment(), echo=lambda line: click.echo(line, err=True),
    )
    click.echo(outcome.summary(speech.current()))
    if not outcome.ok:
        raise HopnhatError(msg("runbook {name} stopped (see above); fix the cause, then resume: "
                               "hopnhat runbook run {file}", name=book.name, file=runbook))


@runbook_group.command("status")
@click.argument("runbook", type=click.Path(exists=True, dir_okay=False))
@_journal_option
def status_command(runbook: str, journal: str | None) -> None:
    """Where a cutover stands: each step's last verdict, when and by whom.

    \b
    Example:
        hopnhat runbook status runbooks/cutover.toml
    """
    book = load_runbook(runbook)
    rows = execute.status(book, _journal(book, journal))
    lang = speech.current()
    speech.echo(msg("Runbook {name}: {title}", name=book.name, title=book.title))
    next_step = None
    for step, entry in rows:
        if entry is None:
            click.echo(f"  [{execute.verdict_word('pending', lang):>9}] {step.id}: {step.title}")
        else:
            when = lang.datetime(entry.finished_at) if lang.code != "en" else entry.finished_at
            click.echo(f"  [{execute.verdict_word(entry.verdict, lang):>9}] {step.id}: {step.title}  "
                       f"({when}, {entry.operator})")
            if entry.reason and entry.verdict not in ("go", "confirmed"):
                click.echo(f"              {entry.reason}")
        if next_step is None and (entry is None or entry.verdict not in ("go", "confirmed")):
            next_step = step.id
    speech.echo(msg("Next step: {step}", step=next_step) if next_step else msg("All steps done."))


@runbook_group.command("rollback")
@click.argument("runbook", type=click.Path(exists=True, dir_okay=False))
@click.argument("step")
@_journal_option
def rollback_command(runbook: str, step: str, journal: str | None) -> None:
    """Run one step's rollback command and journal it.

    \b
    Example:
        hopnhat runbook rollback runbooks/cutover.toml full-load
    """
    book = load_runbook(runbook)
    result = execute.rollback(book, step, _journal(book, journal), operator=config.operator(),
                              environ=config.environment())
    lang = speech.current()
    click.echo(f"{step}: {execute.verdict_word(result.verdict, lang)}" + (f" ({result.reason})" if result.reason else ""))
    click.echo(result.output)
    if result.verdict != "rolled-back":
        raise HopnhatError(msg("the rollback of step {step} did not complete ({verdict}); "
                               "see its output above, then: hopnhat runbook rollback {file} {step}",
                               step=step, verdict=result.verdict, file=runbook))
