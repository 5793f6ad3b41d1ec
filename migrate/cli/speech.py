"""The language ``hopnhat`` speaks on the terminal, and the one way commands print a message in it.

Chosen as the reports choose theirs (``migrate.config.report_language``):
``--lang`` on a command (every command takes it: ``hopnhat batches list --lang vi``),
else ``--lang`` on ``hopnhat`` itself (``hopnhat --lang vi batches list``), else
HOPNHAT_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else English. A usage error found before any option is read still honours a
``--lang`` written on the command line.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from migrate.config import report_language
from migrate.core.i18n import Language, language
from migrate.core.messages import say


def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--lang`` callback (on the group and on commands): the latest one given wins."""
    if value:
        root = ctx.find_root()
        if root.obj is None:
            root.obj = {}
        root.obj["lang"] = value
    return value


def add_lang_option(group: click.Group) -> None:
    """Give every command under ``group`` a ``--lang`` of its own (those declaring one keep theirs)."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            add_lang_option(command)
        elif not any(p.name == "lang" for p in command.params):
            command.params.append(click.Option(
                ["--lang"], type=click.Choice(["vi", "en"]), default=None, callback=remember, expose_value=False,
                help="Language of the messages: vi or en (default: hopnhat --lang, env HOPNHAT_LANG, else the locale)."))


def current(ctx: click.Context | None = None, argv: Sequence[str] = ()) -> Language:
    """The language of this command's messages (``argv``: read ``--lang`` from it when no option was parsed)."""
    ctx = ctx or click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    chosen = obj.get("lang") if isinstance(obj, dict) else None
    typed = obj.get("argv", ()) if isinstance(obj, dict) else ()  # main() keeps the command line (--help is eager)
    return language(report_language(chosen or _lang_in(argv) or _lang_in(typed)))


def text(message: object, ctx: click.Context | None = None) -> str:
    """``message`` worded in the current language (a plain ``str`` stays as it is)."""
    return say(message, current(ctx))


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` of a message, worded in the current language."""
    click.echo(text(message), err=err, nl=nl)


def _lang_in(argv: Sequence[str]) -> str | None:
    found = None
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.split("=", 1)[1]
    return found
