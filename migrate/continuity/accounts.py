"""Old accounts after cutover: every former province's username -> the merged account, and who needs a reset.

Password hashes stay as they were carried (``account_alias.password_hash``);
only their scheme is named. An account whose scheme the new system cannot
verify is listed for a reset notice, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select

from migrate.continuity.identifiers import mask, normalize
from migrate.continuity.passwords import DEFAULT_VERIFIABLE, identify
from migrate.store.models import account_alias

ACCOUNT_COLUMNS = ("source_system", "source_table", "source_key", "username", "new_account_id", "state",
                   "match_rule", "scheme", "weak", "verifiable", "username_ambiguous")
RESET_COLUMNS = ("source_system", "source_key", "username", "new_account_id", "scheme", "reason")
CHUNK = 5000


@dataclass(frozen=True)
class OldAccount:
    source_system: str
    source_table: str
    source_key: str
    username: str | None
    new_account_id: int
    match_rule: str
    scheme: str
    weak: bool
    reset_reason: str | None
    username_ambiguous: bool
    password_hash: str | None

    def row(self, *, unmask: bool, with_hash: bool) -> dict:
        out = {"source_system": self.source_system, "source_table": self.source_table,
               "source_key": self.source_key,
               "username": self.username if unmask else mask("username", self.username),
               "new_account_id": self.new_account_id,
               "state": "migrated" if self.match_rule == "self" else "merged", "match_rule": self.match_rule,
               "scheme": self.scheme, "weak": "yes" if self.weak else "no",
               "verifiable": "no" if self.reset_reason else "yes",
               "username_ambiguous": "yes" if self.username_ambiguous else "no"}
        if with_hash:
            out["password_hash"] = self.password_hash or ""
        return out

    def reset_row(self, *, unmask: bool) -> dict:
        return {"source_system": self.source_system, "source_key": self.source_key,
                "username": self.username if unmask else mask("username", self.username),
                "new_account_id": self.new_account_id, "scheme": self.scheme, "reason": self.reset_reason}


def old_accounts(store: Engine, *, verifiable: frozenset[str] = DEFAULT_VERIFIABLE,
                 ambiguous: Callable[[str], bool] = lambda _: False) -> Iterator[OldAccount]:
    """Every source account (merged ones included), chunk by chunk in alias order."""
    a = account_alias.c
    last = 0
    while True:
        with store.connect() as conn:
            rows = conn.execute(
                select(a.id, a.source_system, a.source_table, a.source_key, a.username, a.password_hash,
                       a.account_id, a.match_rule).where(a.id > last).order_by(a.id).limit(CHUNK)).all()
        if not rows:
            return
        for r in rows:
            scheme = identify(r.password_hash)
            yield OldAccount(r.source_system, r.source_table, r.source_key, r.username, int(r.account_id),
                             r.match_rule, scheme.name, scheme.weak, scheme.reset_reason(verifiable),
                             bool(r.username) and ambiguous(normalize(r.username)), r.password_hash)
        last = rows[-1].id
