"""``--help`` in Vietnamese, as a shell sees it (``main()``), for every command.

The catalogue holds the help of every command (its docstring's prose, every option's help)
and the one-line summary of every command a group lists; a docstring or option help
edited without its translation fails here. English help is click's own, unchanged.
"""

from __future__ import annotations

import re

import click
import pytest

from babel.messages.pofile import read_po

from migrate.cli import cli
from migrate.cli.helptext import first_sentence, prose
from tests.harness import hopnhat
from tests.test_i18n import PO


def _paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            paths += _paths(sub, path + (name,))
    return paths


TRANSLATED = _paths(cli)  # every command, hopnhat itself first


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.fixture(scope="module")
def translated() -> set[str]:
    """The message ids the Vietnamese catalogue translates (a translation may read as the English does)."""
    with PO.open("rb") as fh:
        return {m.id for m in read_po(fh, locale="vi") if m.id and m.string}


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: " ".join(p) or "hopnhat")
def test_the_catalogue_holds_the_help_of_every_command(path, translated):
    command = _command(path)
    texts = [prose(command.help or "")[0]] + [p.help for p in command.params if isinstance(p, click.Option) and p.help]
    untranslated = [t for t in texts if t not in translated]
    assert not untranslated, untranslated


@pytest.mark.parametrize("path", [p for p in TRANSLATED if isinstance(_command(p), click.Group)],
                         ids=lambda p: " ".join(p) or "hopnhat")
def test_the_catalogue_holds_the_summary_of_every_listed_command(path, translated):
    group = _command(path)
    assert isinstance(group, click.Group)
    untranslated = [name for name, sub in group.commands.items() if first_sentence(sub.help) not in translated]
    assert not untranslated, untranslated


def test_the_group_help_in_vietnamese(shell):
    out = shell.main("--lang", "vi", "--help")
    lines = out.stdout.splitlines()
    assert lines[0] == "Cách dùng: hopnhat [TÙY_CHỌN] LỆNH [THAM_SỐ]..."
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


def test_click_names_of_values_in_vietnamese_help():
    """What click writes for an option's value and the usage line's placeholders is said in Vietnamese; an option's
    own name of a value is said too (TÊN=URL) but URL stays as written, and English help is click's own."""
    vi = hopnhat("--lang", "vi", "batches", "list", "--help").stdout
    assert vi.startswith("Cách dùng: hopnhat batches list [TÙY_CHỌN]\n")
    assert re.search(r"^  --source VĂN_BẢN +Chỉ hệ thống nguồn này\.$", vi, re.M), vi
    assert re.search(r"^  --run SỐ_NGUYÊN +", vi, re.M) and re.search(r"^  --store URL +", vi, re.M)
    assert hopnhat("--lang", "vi", "--help").stdout.startswith("Cách dùng: hopnhat [TÙY_CHỌN] LỆNH [THAM_SỐ]...\n")
    run = hopnhat("--lang", "vi", "run", "--help").stdout
    assert re.search(r"^  --source TÊN=URL +", run, re.M) and re.search(r"^  --delta-margin SỐ_GIÂY +", run, re.M)
    assert re.search(r"^  --scale SỐ_NGUYÊN +Số hồ sơ mỗi cổng\.", hopnhat("--lang", "vi", "demo", "--help").stdout, re.M)
    en = hopnhat("--lang", "en", "batches", "list", "--help").stdout
    assert en.startswith("Usage: hopnhat batches list [OPTIONS]\n") and re.search(r"^  --source TEXT ", en, re.M)
    assert "--scale INTEGER RANGE" in hopnhat("--lang", "en", "demo", "--help").stdout
