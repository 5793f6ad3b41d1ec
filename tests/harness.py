"""Run ``hopnhat`` as a shell does, and check what the shell sees: stdout, stderr, exit code.

Two ways, same result object:

- ``shell.run(*args)``: a real process, the installed ``hopnhat`` script of this
  interpreter's environment (``python -m migrate.cli`` when there is none);
- ``shell.main(*args)``: ``migrate.cli.main()`` in this process, its ``SystemExit``
  captured: faster, and what the in-process coverage sees (``terminal=True``
  makes stderr say it is a terminal, as in an interactive shell);
- ``hopnhat(*args, cwd=...)``: ``shell.main`` for a test without the fixture,
  from the current folder, checking no exit code unless ``expect=`` names one.

Both run in the test's own folder (``cwd``), with no ``HOPNHAT_*`` variable
inherited from the environment (pass ``env=`` for those), and both assert that
no traceback is printed unless ``--debug`` was given. ``expect=`` checks the exit
code and, on a mismatch, shows what the command printed::

    def test_store_current(shell, sqlite_store):
        out = shell.run("store", "current", "--store", sqlite_store)
        assert "latest" in out.stdout
        shell.main("batches", "show", "999", "--store", sqlite_store, expect=1)
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrate.core.errors import EXIT_CHECK_FAILED, EXIT_ERROR, EXIT_OK, EXIT_USAGE

__all__ = ["EXIT_CHECK_FAILED", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "Outcome", "Shell", "hopnhat", "shell"]

TIMEOUT = 600  # seconds; the slowest command a test runs here is a small demo or benchmark


@dataclass(frozen=True)
class Outcome:
    """What one ``hopnhat`` invocation printed and how it exited."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def error_line(self) -> str:
        """The ``Error: ...`` line of stderr ('' when there is none)."""
        return next((line for line in self.stderr.splitlines() if line.startswith("Error: ")), "")

    def __str__(self) -> str:
        return (f"$ hopnhat {' '.join(self.args)}\n[exit {self.code}]\n--- stdout ---\n{self.stdout}"
                f"--- stderr ---\n{self.stderr}")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


def hopnhat_command() -> list[str]:
    """The ``hopnhat`` script installed next to this interpreter, else ``python -m migrate.cli``."""
    script = Path(sys.executable).with_name("hopnhat")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "migrate.cli"]


class Shell:
    """Runs ``hopnhat`` in ``cwd`` with a clean ``HOPNHAT_*`` environment."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def environment(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("HOPNHAT_")}
        return {**base, **(env or {})}

    def run(self, *args: str, env: Mapping[str, str] | None = None, input: str | None = None,
            cwd: Path | None = None, expect: int | None = EXIT_OK) -> Outcome:
        """``hopnhat ARGS`` as a real process."""
        done = subprocess.run([*hopnhat_command(), *args], cwd=cwd or self.cwd, env=self.environment(env),
                              input=input, capture_output=True, text=True, timeout=TIMEOUT)
        return self._checked(Outcome(tuple(args), done.returncode, done.stdout, done.stderr), expect)

    def main(self, *args: str, env: Mapping[str, str] | None = None, input: str | None = None,
             cwd: Path | None = None, expect: int | None = EXIT_OK, terminal: bool = False,
             keep_env: bool = False) -> Outcome:
        """``migrate.cli.main(ARGS)`` in this process; the code is that of the SystemExit it must raise.
        ``keep_env``: keep the ``HOPNHAT_*`` variables the test itself set (``monkeypatch.setenv``)."""
        from migrate.cli import main

        with pytest.MonkeyPatch.context() as mp:
            for name in [k for k in os.environ if k.startswith("HOPNHAT_") and not keep_env]:
                mp.delenv(name)
            for name, value in (env or {}).items():
                mp.setenv(name, value)
            mp.chdir(cwd or self.cwd)
            mp.setattr(sys, "stdin", io.StringIO(input or ""))
            out, err = io.StringIO(), Terminal() if terminal else io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                with pytest.raises(SystemExit) as exited:
                    main(list(args))
        code = exited.value.code
        code = 0 if code is None else code if isinstance(code, int) else 1
        return self._checked(Outcome(tuple(args), code, out.getvalue(), err.getvalue()), expect)

    @staticmethod
    def _checked(outcome: Outcome, expect: int | None) -> Outcome:
        if expect is not None:
            assert outcome.code == expect, f"expected exit {expect}\n{outcome}"
        if "--debug" not in outcome.args:
            assert "Traceback (most recent call last)" not in outcome.stderr, f"traceback without --debug\n{outcome}"
        if outcome.code not in (EXIT_OK, EXIT_USAGE) and expect is not None:
            assert outcome.stderr.strip(), f"exit {outcome.code} with nothing on stderr\n{outcome}"
        return outcome


def hopnhat(*args: str, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
            input: str | None = None, expect: int | None = None, terminal: bool = False,
            keep_env: bool = False) -> Outcome:
    """``hopnhat ARGS`` through ``main()`` in ``cwd`` (default: the current folder), as ``Shell.main`` runs it."""
    return Shell(Path(cwd) if cwd is not None else Path.cwd()).main(
        *args, env=env, input=input, expect=expect, terminal=terminal, keep_env=keep_env)


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    """Run ``hopnhat`` from a fresh folder of the test: ``shell.run(...)`` (process), ``shell.main(...)``."""
    work = tmp_path / "shell"
    work.mkdir(exist_ok=True)
    return Shell(work)
