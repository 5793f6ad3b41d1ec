"""The ``hopnhat`` command: parse flags, build Settings, call one library function, render.

Exit codes: 0 ok, 1 error, 2 usage, 3 reconciliation failed.
"""

from __future__ import annotations

import sys

import click

from migrate.cli import edge
from migrate.core.errors import HopnhatError


@click.group()
@edge.global_options
@click.pass_context
def cli(ctx: click.Context, **options) -> None:
    """Consolidate retired provincial portals into one unified store, and prove nothing was lost.

    \b
    Example:
        hopnhat demo
    """
    edge.setup(ctx, **options)


def _register() -> None:
    from migrate.cli.map import map_group
    from migrate.cli import batches, freeze, preflight, reconcile, run, runbook, store
    from migrate.cli import bench, source

    for command in (run.demo_command, run.run_command, store.store_group, batches.batches_group,
                    batches.quarantine_group, reconcile.reconcile_group, map_group,
                    runbook.runbook_group, freeze.freeze_group,
                    preflight.preflight_command, source.source_group, bench.bench_group):
        cli.add_command(command)
    from migrate.cli import lookup
    cli.add_command(lookup.lookup_command)
    cli.add_command(lookup.continuity_group)


_register()


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HopnhatError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    else:
        sys.exit(0)
