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

from migrate.cli import edge, helptext, speech, usage
from migrate.core.credentials import hide_credentials
from migrate.core.errors import EXIT_ERROR, EXIT_OK, HopnhatError
from migrate.core.masking import mask_text
from migrate.core.messages import msg


def _fail(ctx: click.Context, exc: BaseException, message: str, code: int) -> NoReturn:
    """One line on stderr (the traceback first with --debug), then the exit code."""
    if ctx.find_root().params.get("debug"):
        traceback.print_exception(exc, file=sys.stderr)
    line = speech.text(msg("Error: {message}", message=message), ctx)
    click.echo(mask_text(hide_credentials(line)), err=True)
    raise click.exceptions.Exit(code) from exc


class HopnhatGroup(click.Group):
    """Turns every error a command raises into one ``Error: ...`` line and the documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                KeyboardInterrupt, BrokenPipeError):
            raise  # main() prints usage errors (exit 2), "Aborted!" (exit 1); a closed pipe ends quietly
        except HopnhatError as exc:
            _fail(ctx, exc, exc.render(speech.current(ctx)), exc.exit_code)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            _fail(ctx, exc, speech.text(msg("{problem}:{where}. Check the path, its permissions and free space",
                                            problem=exc.strerror or str(exc), where=where), ctx), EXIT_ERROR)
        except Exception as exc:  # noqa: BLE001 - a bug: still one line unless --debug
            _fail(ctx, exc, speech.text(msg("unexpected {kind}: {problem}. This is a bug in hopnhat: run the "
                                            "command again with --debug and report the traceback",
                                            kind=type(exc).__name__, problem=str(exc)), ctx), EXIT_ERROR)


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
    speech.add_lang_option(cli)
    helptext.install(cli)


_register()


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``hopnhat`` with ``argv`` (default: the process arguments) and exit with the code a shell sees.

    The one place an outcome becomes an exit code: what a command returns (0), ``Exit(n)`` (n),
    a usage error (2, said in the chosen language), ``Aborted!`` (1); ``HopnhatGroup`` has already
    turned every other error into its ``Error:`` line and code.
    """
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        code = cli.main(args=args, prog_name="hopnhat", standalone_mode=False, obj={"argv": tuple(args)})
    except click.exceptions.UsageError as exc:
        usage.show(exc, speech.current(exc.ctx, args))
        sys.exit(exc.exit_code)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(speech.text(msg("Aborted!")), err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
