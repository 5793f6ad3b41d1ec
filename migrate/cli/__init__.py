"""The ``hopnhat`` command: parse flags, build Settings, call one library function, render.

Exit codes (README, "Exit codes and errors"): 0 ok, 1 error, 2 usage, 3 a check failed,
4 passed with warnings (``run``, ``reconcile run``: raised as ``click.exceptions.Exit(4)``, no Error line).
A command never calls ``sys.exit``: it returns (0), raises a ``HopnhatError``
(its ``exit_code``: 1, or 3 for ``CheckFailed``) or a click usage error (2).
``HopnhatGroup`` turns what a command raises into one ``Error: ...`` line on
stderr and that exit code; ``--debug`` adds the traceback. ``main()`` is what
the ``hopnhat`` script runs: it always ends the process with that code. The
options before the command (``--debug``, ``-v``, ...) live in ``edge.py``.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

import click

from migrate.cli import edge
from migrate.core.credentials import hide_credentials
from migrate.core.errors import EXIT_ERROR, HopnhatError
from migrate.core.masking import mask_text


def _fail(ctx: click.Context, exc: BaseException, message: str, code: int) -> NoReturn:
    """One line on stderr (the traceback first with --debug), then the exit code."""
    if ctx.find_root().params.get("debug"):
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"Error: {mask_text(hide_credentials(message))}", err=True)
    raise click.exceptions.Exit(code) from exc


class HopnhatGroup(click.Group):
    """Turns every error a command raises into one ``Error: ...`` line and the documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                KeyboardInterrupt, BrokenPipeError):
            raise  # click prints usage errors (exit 2), "Aborted!" (exit 1), and ends quietly on a closed pipe
        except HopnhatError as exc:
            _fail(ctx, exc, str(exc), exc.exit_code)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            _fail(ctx, exc, f"{exc.strerror or exc}:{where}. Check the path, its permissions and free space",
                  EXIT_ERROR)
        except Exception as exc:  # noqa: BLE001 - a bug: still one line unless --debug
            _fail(ctx, exc, f"unexpected {type(exc).__name__}: {exc}. This is a bug in hopnhat: "
                            "run the command again with --debug and report the traceback", EXIT_ERROR)


@click.group(cls=HopnhatGroup)
@edge.global_options
@click.pass_context
def cli(ctx: click.Context, **options) -> None:
    """Consolidate retired provincial portals into one unified store, and prove nothing was lost.

    Exit codes: 0 ok, 1 error, 2 usage, 3 a check failed, 4 passed with warnings.

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


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``hopnhat`` with ``argv`` (default: the process arguments) and exit with the code a shell sees."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="hopnhat", standalone_mode=True)
    raise AssertionError("click's standalone mode always exits")  # pragma: no cover
