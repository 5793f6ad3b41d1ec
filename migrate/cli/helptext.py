"""``--help`` in the user's language.

Click writes a command's help from its docstring and its options' ``help``
strings. In another language than English those texts are looked up in the
catalogue when the help is shown (the message id is a docstring's text before
its ``\\b`` example block, which stays as written under a translated
``Example:``; an option's help; a command listed under a group: its first
sentence), and click's own words (``Usage:``, ``Options:``, ``[default: ...]``)
are said again; a text without a translation stays English. ``hopnhat --help`` in
English is click's own output, untouched. The catalogue holds the help of
every command (tests/cli/test_help_language.py fails on one edited without its
translation).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager

import click

from migrate.core.i18n import Language
from migrate.core.messages import msg, say


def install(group: click.Group) -> None:
    """Every command under ``group`` (and the group) shows its help in the chosen language."""
    group.context_class = HelpContext
    for command in group.commands.values():
        if isinstance(command, click.Group):
            install(command)
        else:
            command.context_class = HelpContext


class HelpContext(click.Context):
    """A click context whose ``get_help`` speaks the language of the command line."""

    def get_help(self) -> str:
        from migrate.cli import speech

        lang = speech.current(self)
        if lang.code == "en":
            return super().get_help()
        with _translated(self.command, lang):
            return _click_words(super().get_help(), lang)


def usage(ctx: click.Context, lang: Language) -> str:
    """The usage line of ``ctx``'s command as its help begins (``Cách dùng: hopnhat run [TÙY_CHỌN] ...``), in
    ``lang``; a usage error starts with it."""
    if lang.code == "en":
        return ctx.get_usage()
    with _translated(ctx.command, lang):
        return _click_words(ctx.get_usage(), lang)


def first_sentence(text: str | None) -> str:
    """What click lists for a command under its group: its help's first paragraph up to the first full stop."""
    paragraph = inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", " ")
    stop = paragraph.find(". ")
    return (paragraph[:stop + 1] if stop >= 0 else paragraph).strip()


def prose(text: str) -> tuple[str, str]:
    """A docstring's text as click shows it, split into its prose (the message id) and its ``\\b`` example block."""
    cleaned = inspect.cleandoc(text)
    head, mark, block = cleaned.partition("\n\n\b\n")
    return head, mark + block


def said_help(text: str, lang: Language) -> str:
    """A command's help in ``lang``: its prose from the catalogue, its examples as written under ``Example:``."""
    head, block = prose(text)
    return lang.gettext(head) + block.replace("Example:", say(msg("Example:"), lang), 1)


@contextmanager
def _translated(command: click.Command, lang: Language) -> Iterator[None]:
    """The help texts of ``command``, its options and the commands it lists, said in ``lang`` while the help is written."""
    saved: list[tuple[object, str, object]] = []

    def put(target: object, name: str, value: object) -> None:
        saved.append((target, name, getattr(target, name)))
        setattr(target, name, value)

    try:
        if command.help:
            put(command, "help", said_help(command.help, lang))
        put(command, "options_metavar", say(msg("[OPTIONS]"), lang))
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                put(param, "help", lang.gettext(param.help))
            if isinstance(param, click.Option) and not param.is_flag:
                kind = METAVARS.get(param.metavar or param.type.name.upper())
                if kind is not None:
                    put(param, "metavar", say(kind, lang))
        if isinstance(command, click.Group):
            put(command, "subcommand_metavar", say(msg("COMMAND [ARGS]..."), lang))
            for sub in command.commands.values():
                if sub.help and not sub.short_help:
                    put(sub, "short_help", lang.gettext(first_sentence(sub.help)))
        yield
    finally:
        for target, name, value in reversed(saved):
            setattr(target, name, value)


METAVARS = {  # click's names of an option's value, by its type, and the options' own ones
    "TEXT": msg("TEXT"), "INTEGER": msg("INTEGER"), "FLOAT": msg("FLOAT"), "PATH": msg("PATH"), "FILE": msg("FILE"),
    "DIRECTORY": msg("DIRECTORY"), "FILENAME": msg("FILENAME"),
    "INTEGER RANGE": msg("INTEGER"), "FLOAT RANGE": msg("FLOAT"),  # the range itself follows: [x>=1]
    # an option's own name of its value, when it is a word (URL and YYYY-MM-DD stay as written)
    "NAME": msg("NAME"), "NAME=URL": msg("NAME=URL"), "REV": msg("REV"), "SECONDS": msg("SECONDS"),
    "SHARE": msg("SHARE"),
}

_WORDS = (  # click's own words in a help page: (pattern, message)
    (re.compile(r"^Usage:", re.MULTILINE), msg("Usage:")),
    (re.compile(r"^Options:$", re.MULTILINE), msg("Options:")),
    (re.compile(r"^Commands:$", re.MULTILINE), msg("Commands:")),
    (re.compile(r"Show this message and exit\."), msg("Show this message and exit.")),
    (re.compile(r"\[default:"), msg("[default:")),
    (re.compile(r"\[required\]"), msg("[required]")),
)


def _click_words(text: str, lang: Language) -> str:
    for pattern, message in _WORDS:
        text = pattern.sub(say(message, lang).replace("\\", "\\\\"), text)
    return text
