"""Run ``hopnhat`` through ``main()`` as a shell would: argv in, exit code, stdout and stderr out."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def hopnhat(*args: str, env: dict[str, str] | None = None, cwd: str | Path | None = None,
            unset: tuple[str, ...] = ()) -> Outcome:
    """``hopnhat ARGS`` with extra environment variables (``unset`` removes some) in folder ``cwd``."""
    from migrate.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    environ = {k: v for k, v in os.environ.items() if k not in unset} | (env or {})
    with mock.patch.dict(os.environ, environ, clear=True), mock.patch.object(sys, "argv", ["hopnhat", *args]), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if cwd is not None:
                os.chdir(cwd)
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(before)
    return Outcome(code, out.getvalue(), err.getvalue())
