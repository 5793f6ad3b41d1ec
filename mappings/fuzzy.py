"""Scored fuzzy matching (rapidfuzz). Ranks candidates; never picks below the threshold.

A best candidate is accepted only when it reaches the threshold *and* beats every
candidate pointing elsewhere by at least ``margin`` points: two near-equal candidates
are a question for a reviewer, not a guess.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

T = TypeVar("T", bound=Hashable)

DEFAULT_MARGIN = 4.0


@dataclass(frozen=True)
class Match(Generic[T]):
    value: T | None          # None: nothing reached the threshold, or a tie
    score: float             # the best score seen (0 when no candidates)
    runner_up: T | None = None
    runner_up_score: float = 0.0


def best(query: str, choices: Sequence[tuple[str, T]], *, threshold: float,
         margin: float = DEFAULT_MARGIN, partial: bool = False) -> Match[T]:
    """The value whose key is closest to ``query`` (keys and query already normalised).

    ``partial`` scores the key against the best-matching substring of the query
    (a hamlet name inside a longer address part).
    """
    if not query or not choices:
        return Match(None, 0.0)
    scorer = fuzz.partial_ratio if partial else fuzz.ratio
    keys = [k for k, _ in choices]
    ranked = process.extract(query, keys, scorer=scorer, limit=min(len(keys), 8))
    if not ranked:
        return Match(None, 0.0)
    top_key, top_score, top_idx = ranked[0]
    top_value = choices[top_idx][1]
    other = next(((s, choices[i][1]) for _, s, i in ranked[1:] if choices[i][1] != top_value), None)
    other_score, other_value = other if other else (0.0, None)
    if top_score < threshold or top_score - other_score < margin:
        return Match(None, float(top_score), other_value, float(other_score))
    return Match(top_value, float(top_score), other_value, float(other_score))


def one_slip(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one letter typed, dropped or changed."""
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1


def spelt_distance(key: str, names: Iterable[str]) -> int:
    """Letters typed, dropped or changed from ``key`` to the nearest of ``names`` (NFC: a letter with
    its marks is one letter, so a wrong tone and a dropped letter weigh the same)."""
    return min(Levenshtein.distance(key, n) for n in names)
