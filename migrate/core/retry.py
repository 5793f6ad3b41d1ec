"""One retry policy for hopnhat: only failures classified transient, exponential back-off with jitter, bounded.

What is transient is decided where the failure is understood: an adapter
raises ``RetryableError`` for its engine's deadlocks, timeouts and resets
(``adapters/mssql.py``, ``adapters/postgresql.py``); ``migrate.store.failures``
classifies the store's. Anything else (an unknown column, a refused row, a
syntax error) fails at its first attempt: retrying cannot change it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tenacity import (Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential,
                      wait_random)
from tenacity.stop import stop_base

from migrate.core.errors import RetryableError
from migrate.core.messages import msg

FIRST_WAIT = 0.25  # seconds before the second attempt; doubles each time
LONGEST_WAIT = 5.0


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableError)


def policy(*, attempts: int | None = None, patience: float | None = None,
           transient: Callable[[BaseException], bool] = is_retryable,
           log: logging.Logger | None = None, what: str = "operation") -> Retrying:
    """Retry ``transient`` failures up to ``attempts`` times and/or for ``patience`` seconds; re-raise the last.

    Use as ``for attempt in policy(attempts=3): with attempt: ...`` or ``policy(...)(fn)``.
    """
    stops: list[stop_base] = [stop_after_attempt(attempts)] if attempts else []
    stops += [stop_after_delay(patience)] if patience else []
    if not stops:
        raise ValueError("a retry policy needs attempts or patience")
    stop = stops[0] if len(stops) == 1 else stops[0] | stops[1]

    def before_sleep(state) -> None:
        if log is not None and state.outcome is not None:
            exc = state.outcome.exception()
            log.warning(msg("{what} failed (attempt {attempt}: {error}); retrying in {seconds}s", what=what,
                            attempt=state.attempt_number, seconds=round(state.upcoming_sleep, 1),
                            error=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__))

    wait = wait_exponential(multiplier=FIRST_WAIT, max=LONGEST_WAIT) + wait_random(0, FIRST_WAIT)
    return Retrying(stop=stop, wait=wait,
                    retry=retry_if_exception(transient), before_sleep=before_sleep, reraise=True)
