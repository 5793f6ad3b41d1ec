"""Flag bundles shared by commands."""

from __future__ import annotations

import logging
from collections.abc import Callable

import click

from migrate.cli import speech
from migrate.config import Settings
from migrate.core.credentials import hide_credentials
from migrate.core.messages import msg

log = logging.getLogger("hopnhat")


def load_settings(profiles=(), **options) -> Settings:
    """``Settings.load`` with the project file (``hopnhat.toml`` or ``--config``) under the flags."""
    from migrate.cli.edge import project

    return Settings.load(profiles, project=project(), **options)


def project_profiles(profiles: tuple[str, ...]) -> tuple[str, ...]:
    """The profiles named on the command line, else those the project file lists."""
    from migrate.cli.edge import project

    found = project()
    return profiles or (tuple(str(p) for p in found.profiles) if found is not None else ())


def store_option(func: Callable) -> Callable:
    return click.option(
        "--store", envvar="HOPNHAT_STORE_URL", default=None, metavar="URL",
        help="Unified store URL (default: env HOPNHAT_STORE_URL, else sqlite:///hopnhat.sqlite).",
    )(func)


def run_options(func: Callable) -> Callable:
    for option in reversed((
        click.option("--source", "sources", multiple=True, metavar="NAME=URL",
                     help="URL of a source, instead of the profile's url_env variable."),
        click.option("--files-dir", type=click.Path(file_okay=False), default=None,
                     help="Where the store keeps attachments (default: next to an SQLite store)."),
        click.option("--batch-size", type=click.IntRange(1), default=None, help="Records per batch (1000)."),
        click.option("--split-rules", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="Province's split rules CSV: which hamlet or street of a split commune went where."),
        click.option("--remaps", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="Province's agency and procedure remap table (CSV)."),
        click.option("--default-part-policy", is_flag=True, default=None,
                     help="Send a split commune's unresolved records to the part the split rules name as default."),
        click.option("--earliest-date", default=None, metavar="YYYY-MM-DD",
                     help="Earliest plausible date (1900-01-01): a record with an earlier date, or one after the "
                          "snapshot, is quarantined with a review item (rule date:implausible)."),
    )):
        func = option(func)
    return func


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document instead of text (shape: README, JSON output).")(func)


def parse_sources(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url:
            raise click.BadParameter(speech.text(msg("expected NAME=URL, got {value}",
                                                     value=repr(hide_credentials(value)))), param_hint="--source")
        out[name] = url
    return out


def lang_option(func: Callable) -> Callable:
    """``--lang`` on a command: as ``hopnhat --lang``, for this command's summary, report and messages."""
    return click.option(
        "--lang", type=click.Choice(["vi", "en"]), default=None, callback=speech.remember,
        help="Language of the messages, the summary and the report (default: hopnhat --lang, env HOPNHAT_LANG, "
             "else the locale's, from LC_ALL, LC_MESSAGES or LANG).",
    )(func)
