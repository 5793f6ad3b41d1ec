"""Documents of walk-in applicants: owned by an id number until one account holds that number.

A document naming no owner account but an owner id number (CCCD or CMND) is loaded
owned by the number (lineage rule ``owner:id-number``). It is linked to the one
account holding that number when the document loads, or, by :func:`link_walk_ins`
at the end of a later run, when such an account has appeared since (another
source, a delta, a record released from quarantine). A number that several
accounts hold links nothing: the document stays owned by the number, counted as
ambiguous, never linked by guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, select, update

from migrate.core.messages import msg
from migrate.store.inlist import one_of
from migrate.store.models import account, document

CHUNK = 5000


@dataclass(frozen=True)
class WalkInLinks:
    linked: int  # documents linked to the account that appeared with their owner's number
    ambiguous: int  # documents whose number several accounts hold: left owned by the number
    waiting: int  # documents whose number no account holds yet

    def summary(self) -> str:
        return msg("{linked} linked to an account that appeared with their owner's id number, {ambiguous} left "
                   "unlinked (several accounts hold the number), {waiting} still owned by the number alone",
                   linked=self.linked, ambiguous=self.ambiguous, waiting=self.waiting)


def compact(number: object) -> str:
    """An id number as accounts hold it: its digits."""
    return "".join(ch for ch in str(number) if ch.isdigit())


def accounts_by_number(conn: Connection, numbers: Sequence[object]) -> dict[str, list[int]]:
    """Accounts holding each id number (CCCD or CMND), for documents of walk-in applicants."""
    wanted = sorted({compact(n) for n in numbers if n} - {""})
    if not wanted:
        return {}
    out: dict[str, set[int]] = {}
    for column in (account.c.id_number, account.c.legacy_id_number):
        for number, account_id in conn.execute(select(column, account.c.id).where(one_of(conn, column, wanted))):
            out.setdefault(number, set()).add(int(account_id))
    return {k: sorted(v) for k, v in out.items()}


def link_walk_ins(store: Engine) -> WalkInLinks:
    """Link every document still owned by an id number alone to the one account now holding that number."""
    linked = ambiguous = waiting = 0
    after = 0
    while True:
        with store.begin() as conn:
            rows = conn.execute(
                select(document.c.id, document.c.owner_id_number)
                .where(document.c.account_id.is_(None), document.c.owner_id_number.is_not(None),
                       document.c.id > after)
                .order_by(document.c.id).limit(CHUNK)).all()
            if not rows:
                break
            after = rows[-1].id
            owners = accounts_by_number(conn, [r.owner_id_number for r in rows])
            links = []
            for r in rows:
                matches = owners.get(compact(r.owner_id_number), [])
                if len(matches) == 1:
                    links.append({"doc": r.id, "owner": matches[0]})
                elif matches:
                    ambiguous += 1
                else:
                    waiting += 1
            if links:
                conn.execute(update(document).where(document.c.id == bindparam("doc"))
                             .values(account_id=bindparam("owner")), links)
            linked += len(links)
    return WalkInLinks(linked, ambiguous, waiting)
