"""Account de-duplication: one person with accounts in several former provinces becomes one.

Matched on the 12-digit CCCD, on a 9-digit CMND linked to a CCCD, or on a tax
code, within the same kind of account (citizen, business, staff). A match is
confirmed by comparing birth dates and names (rapidfuzz on unaccented names);
a conflict (same number, different birth date or a different name) is not
merged: the account loads on its own and the pair goes to review.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import Connection, or_, select

from migrate.prepare import Prepared
from migrate.store.models import account, account_alias
from migrate.store.inlist import one_of

NAME_THRESHOLD = 85.0


@dataclass(frozen=True)
class Match:
    kind: str  # self (this record's own account), new, merged, conflict
    account_id: int | None = None  # known account (self / merged into a stored account)
    batch_key: str | None = None  # merged into a record of this same batch
    rule: str = "self"
    score: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Person:
    account_id: int | None
    batch_key: str | None
    kind: str
    id_number: str | None
    legacy_id_number: str | None
    tax_code: str | None
    birth_date: object
    full_name: str | None


def fold(name: str | None) -> str:
    """Lower-case, unaccented, single-spaced: for comparing names only."""
    text = unicodedata.normalize("NFD", name or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def match_accounts(conn: Connection, source_system: str, source_table: str,
                   prepared: Sequence[Prepared]) -> dict[str, Match]:
    """Decide, for every loadable account of a batch, whether it is new, itself, or merged."""
    keys = [p.source_key for p in prepared]
    known = _known_aliases(conn, source_system, source_table, keys)
    stored = _stored_candidates(conn, [p.record for p in prepared if p.source_key not in known])
    result: dict[str, Match] = {}
    index = _Index(stored)
    for p in prepared:
        if p.source_key in known:
            result[p.source_key] = known[p.source_key]
            continue
        me = _person(p.record, None, p.source_key)
        match = _best(me, index.candidates(me))
        result[p.source_key] = match
        if match.kind in ("new", "conflict"):
            index.add(me)
    return result


class _Index:
    """People by identifier, in the order they were added: only those sharing a number are compared."""

    def __init__(self, people: Sequence[_Person]) -> None:
        self._by_number: dict[str, list[tuple[int, _Person]]] = {}
        self._count = 0
        for person in people:
            self.add(person)

    def add(self, person: _Person) -> None:
        for number in _numbers(person):
            self._by_number.setdefault(number, []).append((self._count, person))
        self._count += 1

    def candidates(self, person: _Person) -> list[_Person]:
        found = {seq: other for number in _numbers(person) for seq, other in self._by_number.get(number, ())}
        return [found[seq] for seq in sorted(found)]


def _numbers(person: _Person) -> set[str]:
    return {n for n in (person.id_number, person.legacy_id_number, person.tax_code) if n}


def _known_aliases(conn: Connection, source_system: str, source_table: str, keys: Sequence[str]) -> dict[str, Match]:
    rows = conn.execute(
        select(account_alias.c.source_key, account_alias.c.account_id, account_alias.c.match_rule,
               account_alias.c.match_score)
        .where(account_alias.c.source_system == source_system, account_alias.c.source_table == source_table,
               one_of(conn, account_alias.c.source_key, keys))
    )
    out = {}
    for key, account_id, rule, score in rows:
        kind = "self" if rule in ("self", "conflict") else "merged"
        out[key] = Match(kind, int(account_id), rule=rule, score=score)
    return out


def _stored_candidates(conn: Connection, records: Sequence[dict]) -> list[_Person]:
    numbers = {r[f] for r in records for f in ("id_number", "legacy_id_number") if r.get(f)}
    taxes = {r["tax_code"] for r in records if r.get("tax_code")}
    if not numbers and not taxes:
        return []
    conditions = []
    if numbers:
        conditions += [one_of(conn, account.c.id_number, numbers), one_of(conn, account.c.legacy_id_number, numbers)]
    if taxes:
        conditions.append(one_of(conn, account.c.tax_code, taxes))
    rows = conn.execute(
        select(account.c.id, account.c.kind, account.c.id_number, account.c.legacy_id_number,
               account.c.tax_code, account.c.birth_date, account.c.full_name).where(or_(*conditions))
    )
    return [_Person(int(r.id), None, r.kind, r.id_number, r.legacy_id_number, r.tax_code, r.birth_date, r.full_name)
            for r in rows]


def compare(record: dict, other: dict) -> Match:
    """Whether two canonical account records are one person: merged (with the rule), conflict, or new."""
    return _best(_person(record, None, "a"), [_person(other, None, "b")])


def name_score(a: str | None, b: str | None) -> float:
    """0..100: names compared without diacritics, case, spacing or word order."""
    return fuzz.token_sort_ratio(fold(a), fold(b))


def _person(record: dict, account_id: int | None, batch_key: str | None) -> _Person:
    return _Person(account_id, batch_key, str(record.get("kind")), record.get("id_number"),
                   record.get("legacy_id_number"), record.get("tax_code"), record.get("birth_date"),
                   record.get("full_name"))


def _link(me: _Person, other: _Person) -> str | None:
    """The identifier two accounts share, as a rule name."""
    if me.kind != other.kind:
        return None
    if me.id_number and me.id_number == other.id_number:
        return "cccd"
    if me.legacy_id_number and me.legacy_id_number == other.legacy_id_number:
        return "cmnd"
    if me.legacy_id_number and me.legacy_id_number == other.id_number:
        return "cmnd-cccd"
    if me.id_number and me.id_number == other.legacy_id_number:
        return "cmnd-cccd"
    if me.kind == "business" and me.tax_code and me.tax_code == other.tax_code:
        return "tax-code"
    return None


def _best(me: _Person, candidates: Sequence[_Person]) -> Match:
    conflict: Match | None = None
    for other in candidates:
        rule = _link(me, other)
        if rule is None:
            continue
        score = name_score(me.full_name, other.full_name)
        who = f"account {other.account_id}" if other.account_id else f"record {other.batch_key} of this batch"
        if me.birth_date and other.birth_date and me.birth_date != other.birth_date:
            conflict = conflict or Match("conflict", rule=rule, score=score,
                                         reason=f"same {rule} as {who} but birth date "
                                                f"{me.birth_date} differs from {other.birth_date}")
            continue
        if me.full_name and other.full_name and score < NAME_THRESHOLD:
            conflict = conflict or Match("conflict", rule=rule, score=score,
                                         reason=f"same {rule} as {who} but names differ "
                                                f"({me.full_name!r} vs {other.full_name!r}, score {score:.0f})")
            continue
        return Match("merged", other.account_id, other.batch_key, rule=rule, score=round(score, 1))
    return conflict or Match("new")
