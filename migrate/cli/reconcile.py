"""``hopnhat reconcile``: prove that nothing was lost."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli.options import store_option
from migrate.config import Settings
from migrate.errors import ConservationBroken


@click.group("reconcile")
def reconcile_group() -> None:
    """Check conservation and write the report auditors read.

    \b
    Example:
        hopnhat reconcile run --store sqlite:///hopnhat.sqlite --out report
    """


@reconcile_group.command("run")
@store_option
@click.option("--out", type=click.Path(file_okay=False), default="hopnhat-report", show_default=True,
              help="Report folder (HTML, CSV, JSON, manifest).")
@click.option("--source", default=None, help="Only this source system.")
def run_command(store: str | None, out: str, source: str | None) -> None:
    """Recompute the conservation equation from the store and write the report; exit 3 if broken.

    \b
    Example:
        hopnhat reconcile run --store sqlite:///hopnhat.sqlite --out report
    """
    from migrate.pipeline import open_store
    from reconciliation.runner import reconcile

    settings = Settings.load(store=store)
    result = reconcile(open_store(settings), Path(out), source=source)
    click.echo(result.summary())
    if not result.ok:
        raise ConservationBroken("conservation does not hold; do not sign off")
