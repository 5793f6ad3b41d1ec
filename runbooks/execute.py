"""Run a runbook step by step: command, go/no-go check, journal; stop at the first no-go.

Commands are split with shlex and run without a shell; ``${NAME}`` comes from
the environment, else from the runbook's [vars]. ``hopnhat`` runs as the same
installation that runs the runbook. Resuming starts at the first step
without a go in the journal.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from migrate.core.credentials import hide_credentials
from migrate.core.errors import ConfigError
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from runbooks import journal
from runbooks.model import Runbook, Step

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
OUTPUT_LIMIT = 20_000


@dataclass(frozen=True)
class StepResult:
    step: Step
    verdict: str  # go, no-go, confirmed, dry-run, skipped
    command: str
    exit_code: int | None = None
    output: str = ""
    reason: str = ""


@dataclass
class Outcome:
    runbook: Runbook
    results: list[StepResult] = field(default_factory=list)
    stopped_at: StepResult | None = None
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.stopped_at is None

    def summary(self, lang: Language | None = None) -> str:
        """What the terminal shows, in ``lang`` (English by default); the runbook's own titles as written."""
        lang = lang or language()
        lines = [say(msg("Runbook {name}: {title}", name=self.runbook.name, title=self.runbook.title), lang)]
        for r in self.results:
            lines.append(f"  [{verdict_word(r.verdict, lang):>9}] {r.step.id}: {r.step.title}")
            if r.verdict == "dry-run":
                lines.append(f"              $ {r.command}")
                checks = [say(msg("exit {code}", code=str(r.step.expect_exit)), lang)] + \
                         [say(msg("shows /{pattern}/", pattern=p), lang) for p in r.step.expect] + \
                         [say(msg("never /{pattern}/", pattern=p), lang) for p in r.step.refuse]
                lines.append("              " + say(msg("go if: {checks}", checks=", ".join(checks)), lang))
                if r.step.rollback:
                    lines.append("              " + say(msg("rollback: {rollback}", rollback=self._text(r.step.rollback)),
                                                        lang))
        if self.stopped_at is not None:
            s = self.stopped_at
            lines += ["", say(msg("STOPPED at {step}: {reason}", step=s.step.id, reason=s.reason), lang)]
            if s.step.rollback:
                lines.append(say(msg("Rollback: {rollback}", rollback=self._text(s.step.rollback)), lang))
            lines.append(say(msg("Fix the cause, then resume: hopnhat runbook run {file}", file=str(self.runbook.path)),
                             lang))
        return "\n".join(lines)

    def _text(self, text: str) -> str:
        try:
            return hide_credentials(expand(text, self.runbook, self.environ))
        except ConfigError:
            return text


# A step's verdict as the journal keeps it, and as the terminal says it.
VERDICTS = {"go": msg("go"), "no-go": msg("no-go"), "confirmed": msg("confirmed"), "dry-run": msg("dry-run"),
            "rolled-back": msg("rolled-back"), "rollback-failed": msg("rollback-failed"), "pending": msg("pending")}


def verdict_word(verdict: str, lang: Language) -> str:
    """``go`` -> ``đạt`` (vi); a verdict this version does not know stays as the journal wrote it."""
    return say(VERDICTS[verdict], lang) if verdict in VERDICTS else verdict


def expand(command: str, book: Runbook, environ: Mapping[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in environ:
            return environ[name]
        if name in book.vars:
            return expand(book.vars[name], book, environ)
        raise ConfigError(f"runbook {book.path.name}: ${{{name}}} is not set (environment or [vars])")

    return _VAR.sub(value, command)


def with_vars(book: Runbook, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for the steps: the runbook's [vars] as defaults, the real environment wins.

    Steps speak English (HOPNHAT_LANG=en), whatever the operator's language: their checks
    (``expect``, ``refuse``) are English patterns. A step's own ``--lang vi`` still wins (a report)."""
    env = {**environ, "HOPNHAT_LANG": "en"}
    for name, value in book.vars.items():
        if name not in env:
            env[name] = expand(value, book, env)
    return env


def argv(command: str) -> list[str]:
    args = shlex.split(command)
    if args and args[0] == "hopnhat":
        return [sys.executable, "-m", "migrate.cli", *args[1:]]
    return args


def check(step: Step, exit_code: int, output: str) -> str:
    """Empty when the step is a go; else the reason it is a no-go."""
    if exit_code != step.expect_exit:
        return f"exit code {exit_code}, expected {step.expect_exit}"
    for pattern in step.expect:
        if not re.search(pattern, output, re.MULTILINE):
            return f"output does not show /{pattern}/"
    for pattern in step.refuse:
        if re.search(pattern, output, re.MULTILINE):
            return f"output shows /{pattern}/"
    return ""


def start_index(book: Runbook, journal_path: Path, start_from: str | None) -> int:
    if start_from:
        return book.steps.index(book.step(start_from))
    done = journal.latest(journal.read(journal_path), book.name)
    for n, step in enumerate(book.steps):
        entry = done.get(step.id)
        if entry is None or entry.verdict not in ("go", "confirmed"):
            return n
    return len(book.steps)


def run_runbook(book: Runbook, journal_path: Path, *, operator: str, dry_run: bool = False,
                environ: Mapping[str, str], start_from: str | None = None, until: str | None = None,
                confirmed: frozenset[str] = frozenset(), cwd: Path | None = None,
                echo: Callable[[str], None] | None = None) -> Outcome:
    env = with_vars(book, environ)
    outcome = Outcome(book, environ=env)
    first = 0 if dry_run else start_index(book, journal_path, start_from)
    last = book.steps.index(book.step(until)) + 1 if until else len(book.steps)
    for step in book.steps[first:last]:
        command = hide_credentials(expand(step.run, book, env)) if step.run else ""
        if dry_run:
            outcome.results.append(StepResult(step, "dry-run", command))
            continue
        if echo:
            echo(f"--> {step.id}: {step.title}")
        started = journal.now()
        if step.manual:
            result = _manual(step, command, confirmed)
        else:
            result = _execute(step, expand(step.run, book, env), command, env, cwd)
        journal.append(journal_path, journal.Entry(
            runbook=book.name, runbook_sha256=book.sha256, step=step.id, verdict=result.verdict,
            operator=operator, started_at=started, finished_at=journal.now(), command=command,
            exit_code=result.exit_code, output=result.output, reason=result.reason,
        ))
        outcome.results.append(result)
        if result.verdict not in ("go", "confirmed"):
            outcome.stopped_at = result
            break
    return outcome


def _manual(step: Step, command: str, confirmed: frozenset[str]) -> StepResult:
    if step.id in confirmed:
        return StepResult(step, "confirmed", command, reason="confirmed by the operator")
    return StepResult(step, "no-go", command,
                      reason=f"manual step: do it, then confirm with --confirm {step.id}")


def _execute(step: Step, real: str, shown: str, env: dict[str, str], cwd: Path | None) -> StepResult:
    try:
        proc = subprocess.run(argv(real), capture_output=True, text=True, env=env, cwd=cwd,
                              timeout=step.timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        return StepResult(step, "no-go", shown, None, "", f"command not found: {exc.filename}")
    except subprocess.TimeoutExpired:
        return StepResult(step, "no-go", shown, None, "", f"timed out after {step.timeout}s")
    output = hide_credentials((proc.stdout or "") + (proc.stderr or ""))
    if len(output) > OUTPUT_LIMIT:
        output = output[:OUTPUT_LIMIT // 2] + "\n[... cut ...]\n" + output[-OUTPUT_LIMIT // 2:]
    reason = check(step, proc.returncode, output)
    return StepResult(step, "no-go" if reason else "go", shown, proc.returncode, output, reason)


def rollback(book: Runbook, step_id: str, journal_path: Path, *, operator: str,
             environ: Mapping[str, str], cwd: Path | None = None) -> StepResult:
    step = book.step(step_id)
    env = with_vars(book, environ)
    if not step.rollback_run:
        raise ConfigError(f"step {step_id} has no rollback command; its rollback is manual: {step.rollback}")
    started = journal.now()
    real = expand(step.rollback_run, book, env)
    result = _execute(Step(step.id, step.title, step.rollback_run, timeout=step.timeout), real,
                      hide_credentials(real), env, cwd)
    verdict = "rolled-back" if result.verdict == "go" else "rollback-failed"
    journal.append(journal_path, journal.Entry(
        runbook=book.name, runbook_sha256=book.sha256, step=step.id, verdict=verdict, operator=operator,
        started_at=started, finished_at=journal.now(), command=result.command, exit_code=result.exit_code,
        output=result.output, reason=result.reason,
    ))
    return StepResult(step, verdict, result.command, result.exit_code, result.output, result.reason)


def status(book: Runbook, journal_path: Path) -> list[tuple[Step, journal.Entry | None]]:
    done = journal.latest(journal.read(journal_path), book.name)
    return [(step, done.get(step.id)) for step in book.steps]
