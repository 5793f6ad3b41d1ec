"""``--help`` in Vietnamese, as a shell sees it (``main()``): the group's and the most used commands' help.

The catalogue holds the help of the commands in ``TRANSLATED`` (their docstring's prose, every
option's help) and the one-line summary of every command their groups list; a docstring
edited without its translation fails here. English help is click's own, unchanged.
"""

from __future__ import annotations

import click
import pytest

from migrate.cli import cli
from migrate.cli.helptext import first_sentence, prose
from migrate.core.i18n import language

TRANSLATED = [(), ("run",), ("demo",), ("reconcile", "run"), ("batches", "list"), ("batches", "show"),
              ("batches", "rerun"), ("store", "upgrade"), ("store", "current"), ("quarantine", "list"),
              ("preflight",), ("lookup",)]
LISTED = [(), ("reconcile",), ("batches",), ("store",), ("quarantine",), ("map",), ("source",), ("continuity",)]


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: " ".join(p) or "hopnhat")
def test_the_catalogue_holds_the_help_of_the_most_used_commands(path):
    vi, command = language("vi"), _command(path)
    texts = [prose(command.help or "")[0]] + [p.help for p in command.params if isinstance(p, click.Option) and p.help]
    untranslated = [t for t in texts if vi.gettext(t) == t]
    assert not untranslated, untranslated


@pytest.mark.parametrize("path", LISTED, ids=lambda p: " ".join(p) or "hopnhat")
def test_the_catalogue_holds_the_summary_of_every_listed_command(path):
    vi, group = language("vi"), _command(path)
    assert isinstance(group, click.Group)
    untranslated = [name for name, sub in group.commands.items() if vi.gettext(first_sentence(sub.help)) ==
                    first_sentence(sub.help)]
    assert not untranslated, untranslated


def test_the_group_help_in_vietnamese(shell):
    out = shell.main("--lang", "vi", "--help")
    lines = out.stdout.splitlines()
    assert lines[0] == "Cách dùng: hopnhat [OPTIONS] COMMAND [ARGS]..."
    assert lines[2].startswith("  Hợp nhất dữ liệu từ các cổng dịch vụ công cấp tỉnh")
    assert "Tùy chọn:" in lines and "Lệnh:" in lines and "  Ví dụ:" in lines
    assert any(line.split() == ["batches", "Liệt", "kê,", "xem", "và", "chạy", "lại", "các", "lô."] for line in lines)
    assert "Hiện hướng dẫn này rồi thoát." in out.stdout and "[mặc định: text]" in out.stdout
    for english in ("Usage:", "Options:", "Commands:", "Consolidate retired", "List, show and rerun batches."):
        assert english not in out.stdout, english


@pytest.mark.parametrize("args, env", [(("run", "--help", "--lang", "vi"), None),
                                       (("batches", "list", "--help"), {"HOPNHAT_LANG": "vi"})])
def test_a_command_help_in_vietnamese_however_the_language_is_chosen(shell, args, env):
    out = shell.main(*args, env=env)
    assert out.stdout.startswith(f"Cách dùng: hopnhat {args[0]} ")
    assert "  --store URL " in out.stdout and "URL của kho dữ liệu hợp nhất" in out.stdout
    assert "Unified store URL" not in out.stdout


def test_the_english_help_is_clicks_own(shell):
    out = shell.main("--lang", "en", "run", "--help")
    with click.Context(cli, info_name="hopnhat") as root:
        expected = _command(("run",)).get_help(click.Context(_command(("run",)), info_name="run", parent=root))
    assert out.stdout == expected + "\n"
    assert out.stdout.startswith("Usage: hopnhat run [OPTIONS] [PROFILES]...") and "Options:" in out.stdout
