"""Click's usage errors (exit 2) said in the user's language.

Click words its messages in English before hopnhat sees them, so in another
language the message is read back with the patterns below (one per kind of
message click writes) and said again from the catalogue; a message no
pattern reads stays as click wrote it. English output is click's own.
"""

from __future__ import annotations

import re

import click

from migrate.cli import helptext
from migrate.core.i18n import Language
from migrate.core.messages import msg, say


def _(text: str) -> str:
    """Marks a message id for the catalogue (``pybabel extract``); said later by :func:`said`."""
    return text


_NAME = r"(?P<name>'[^']*')"
_HINT = r"(?P<hint>(?: .+)?)"
# (click's English, as a pattern; the message id saying the same); the first pattern that reads the whole text wins
PATTERNS = tuple((re.compile(pattern, re.DOTALL), text) for pattern, text in (
    (r"Invalid value for (?P<param>.+?): (?P<problem>.+)", _("Invalid value for {param}: {problem}")),
    (r"Invalid value: (?P<problem>.+)", _("Invalid value: {problem}")),
    (r"(?P<value>.+) is not one of (?P<choices>.+)\.", _("{value} is not one of {choices}.")),
    (r"(?P<value>.+) is not (?P<choice>'[^']*')\.", _("{value} is not {choice}.")),
    (r"(?P<value>.+) is not in the range (?P<range>.+)\.", _("{value} is not in the range {range}.")),
    (r"(?P<value>.+) is not a valid integer(?: range)?\.", _("{value} is not a whole number.")),
    (r"(?P<value>.+) is not a valid float(?: range)?\.", _("{value} is not a number.")),
    (r"File (?P<path>.+) does not exist\.", _("File {path} does not exist.")),
    (r"Directory (?P<path>.+) does not exist\.", _("Folder {path} does not exist.")),
    (r"Path (?P<path>.+) does not exist\.", _("Path {path} does not exist.")),
    (r"(?:File|Path) (?P<path>.+) is a directory\.", _("{path} is a folder, not a file.")),
    (r"(?:Directory|Path) (?P<path>.+) is a file\.", _("{path} is a file, not a folder.")),
    (r"No such option " + _NAME + r"\." + _HINT, _("No such option {name}.{hint}")),
    (r"No such command " + _NAME + r"\." + _HINT, _("No such command {name}.{hint}")),
    (r"Did you mean (?P<possibility>.+)\?", _("Did you mean {possibility}?")),
    (r"\(Did you mean one of: (?P<possibilities>.+)\?\)", _("(Did you mean one of: {possibilities}?)")),
    (r"Missing argument (?P<param>.+?)\.(?P<hint>.*)", _("Missing argument {param}.{hint}")),
    (r"Missing option (?P<param>.+?)\.(?P<hint>.*)", _("Missing option {param}.{hint}")),
    (r"Missing parameter (?P<param>.+?)\.(?P<hint>.*)", _("Missing parameter {param}.{hint}")),
    (r"Choose from:(?P<choices>.*)", _("Choose from:{choices}")),
    (r"Missing command\.", _("Missing command.")),
    (r"Option " + _NAME + r" requires an argument\.", _("Option {name} requires a value.")),
    (r"Option " + _NAME + r" requires (?P<nargs>\d+) arguments\.", _("Option {name} requires {nargs} values.")),
    (r"Option " + _NAME + r" does not take a value\.", _("Option {name} does not take a value.")),
    (r"Got unexpected extra arguments? \((?P<args>.*)\)", _("Unexpected extra argument(s): {args}")),
))
_NESTED = ("problem", "hint")  # fields that are themselves click messages


def said(text: str, lang: Language) -> str:
    """Click's English ``text`` in ``lang`` when a pattern reads it; else ``text`` unchanged."""
    if lang.code == "en":
        return text
    for pattern, message in PATTERNS:
        found = pattern.fullmatch(text.strip())
        if found:
            values = {k: (v or "") for k, v in found.groupdict().items()}
            for name in _NESTED:
                if values.get(name, "").strip():
                    values[name] = (" " if name == "hint" else "") + said(values[name].strip(), lang)
            return say(msg(message, **values), lang)
    return text


def show(exc: click.UsageError, lang: Language) -> None:
    """What click's ``UsageError.show`` prints (usage, help hint, error line), in ``lang``."""
    if lang.code == "en" or isinstance(exc, click.exceptions.NoArgsIsHelpError):
        exc.show()
        return
    ctx = exc.ctx
    if ctx is not None:
        click.echo(helptext.usage(ctx, lang), err=True)  # the names of values as --help says them: [TÙY_CHỌN]
        if ctx.command.get_help_option(ctx) is not None:
            option = max(ctx.command.get_help_option_names(ctx), key=len)
            click.echo(say(msg("Try '{command} {option}' for help.", command=ctx.command_path, option=option), lang),
                       err=True)
        click.echo(err=True)
    click.echo(say(msg("Error: {message}", message=said(exc.format_message(), lang)), lang), err=True)
