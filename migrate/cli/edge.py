"""The options every hopnhat command shares: version, logging, the project file.

They sit on the ``hopnhat`` group (``hopnhat -v run ...``); ``setup`` applies
them once, before any command runs.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from migrate.cli import logs, speech
from migrate.config import Project
from migrate.core.messages import msg


def global_options(func: Callable) -> Callable:
    for option in reversed((
        click.version_option(package_name="hopnhat", prog_name="hopnhat", message="%(prog)s %(version)s"),
        click.option("--debug", is_flag=True, help="Show the traceback of an error, and debug logs."),
        click.option("-v", "--verbose", count=True, help="Log each batch (-vv: debug details too)."),
        click.option("-q", "--quiet", is_flag=True, help="Only errors and the results; no progress display."),
        click.option("--log-file", type=click.Path(dir_okay=False), default=None,
                     help="Also write the log (at least one line per batch) to this file."),
        click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="json: one JSON object per log line (time, level, logger, message, fields)."),
        click.option("--config", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                     help="Project file (default: env HOPNHAT_CONFIG, else hopnhat.toml in this folder, if any)."),
        click.option("--lang", type=click.Choice(["vi", "en"]), default=None, envvar="HOPNHAT_LANG",
                     callback=speech.remember, expose_value=False, is_eager=True,
                     help="Language of every message, summary and report: vi or en (default: env HOPNHAT_LANG, "
                          "else the locale's, from LC_ALL, LC_MESSAGES or LANG)."),
    )):
        func = option(func)
    return func


def setup(ctx: click.Context, *, debug: bool, verbose: int, quiet: bool, log_file: str | None,
          log_format: logs.LogFormat, config: str | None) -> None:
    """Configure logging, read the project file, remember what the commands need."""
    if quiet and verbose:
        raise click.UsageError(speech.text(msg("-q and -v contradict each other; give one of them"), ctx))
    ctx.obj = {**(ctx.obj or {}), "debug": debug, "quiet": quiet, "config": config}  # keeps --lang
    logs.configure(level=logs.level_for(verbose=verbose, quiet=quiet, debug=debug), log_file=log_file,
                   fmt=log_format)


def project() -> Project | None:
    """The project file this command runs with, if any; read (and validated) when a command first needs it."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    obj = ctx.find_root().obj
    if obj is None:
        return Project.find()
    if "project" not in obj:
        obj["project"] = Project.find(obj.get("config"))
    return obj["project"]
