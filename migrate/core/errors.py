"""The few kinds of error hopnhat raises.

A bad *record* is never an exception: it becomes a quarantine row
(:class:`migrate.quarantine.Rejection`). Exceptions are for things that stop a
step: bad configuration, an unreachable source, a broken invariant.
"""

from __future__ import annotations

from collections.abc import Sequence

from migrate.core.i18n import Language
from migrate.core.messages import Message, msg, say

# The exit codes a shell sees from ``hopnhat`` (README, "Exit codes").
EXIT_OK = 0
EXIT_ERROR = 1  # a HopnhatError: bad configuration, unreachable store or source, failed batches
EXIT_USAGE = 2  # the command line itself is wrong (click's usage errors)
EXIT_CHECK_FAILED = 3  # a check ran and did not pass: reconciliation, freeze, continuity, report verify
EXIT_WARNINGS = 4  # every check passed, with named warnings: not everything was migrated (migrate/verdict.py)


class HopnhatError(Exception):
    """Root of every error hopnhat raises on purpose; the CLI prints one line and exits ``exit_code``."""

    exit_code = EXIT_ERROR

    def render(self, lang: Language) -> str:
        """The message in ``lang`` (a :class:`migrate.core.messages.Message` is said again; other text stays)."""
        return say(self.args[0], lang) if self.args else ""


class ConfigError(HopnhatError):
    """Settings or a profile are wrong. Carries every problem found at once."""

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))

    def render(self, lang: Language) -> str:
        return "; ".join(say(p, lang) for p in self.problems)


class SourceError(HopnhatError):
    """A legacy source could not be read."""

    def __init__(self, message: str, *, source: str = "", table: str = "") -> None:
        self.source = source
        self.table = table
        self.message = message
        super().__init__(self._where(message))

    def _where(self, message: str) -> str:
        where = "/".join(p for p in (self.source, self.table) if p)
        return f"{where}: {message}" if where else message

    def render(self, lang: Language) -> str:
        return self._where(say(self.message, lang))

    def as_message(self) -> Message:
        """The error as a message to pass on (``source/table: message``), said later in the user's language."""
        where = "/".join(p for p in (self.source, self.table) if p)
        return msg("{where}: {problem}", where=where, problem=self.message) if where else msg("{problem}",
                                                                                            problem=self.message)


class RetryableError(SourceError):
    """A transient failure (deadlock, timeout, connection reset): retry the batch."""


class StoreError(HopnhatError):
    """The unified store refused an operation."""


class MappingError(HopnhatError):
    """The mapping tables or rules are unusable (not: a record that cannot be remapped)."""


class CheckFailed(HopnhatError):
    """A check ran and did not pass (its findings are already printed); exit code 3."""

    exit_code = EXIT_CHECK_FAILED


class ConservationBroken(CheckFailed):
    """The conservation equation does not hold; exit code 3."""


def message_of(exc: BaseException) -> str:
    """An error's message to quote inside another message: a hopnhat error's is said later in the reader's
    language (a :class:`Message`), any other error's is its text."""
    if isinstance(exc, SourceError):
        return exc.as_message()
    if isinstance(exc, HopnhatError) and not isinstance(exc, ConfigError) and exc.args \
            and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)
