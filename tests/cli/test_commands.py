"""Every command explains itself with an example and is documented where operators look."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from migrate.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _commands(group: click.Group, prefix: str = "hopnhat"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


COMMANDS = list(_commands(cli))


def _documented_text() -> str:
    texts = [(ROOT / "README.md").read_text("utf-8")]
    texts += [p.read_text("utf-8") for p in sorted((ROOT / "runbooks").glob("*.md"))]
    texts += [p.read_text("utf-8") for p in sorted((ROOT / "runbooks").glob("*.toml"))]
    return "\n".join(texts)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_help_has_an_example(path, command):
    args = path.split()[1:] + ["--help"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"{path} --help shows no Example:"
    assert "hopnhat" in result.output.split("Example:", 1)[1]


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_documented_in_readme_or_a_runbook(path, command):
    assert path in _documented_text(), f"'{path}' appears in neither README.md nor runbooks/"


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
