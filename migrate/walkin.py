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

from migrate.core.entities import REGISTRY
from migrate.core.messages import msg
from migrate.store.inlist import one_of
from migrate.store.models import account

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
    """Link every record still owned by an id number alone (a document: the registry's links ``by_number``)
    to the one account now holding that number."""
    linked = ambiguous = waiting = 0
    for entity in REGISTRY.values():
        link = entity.parent
        if link is None or not link.by_number:
            continue
        table = entity.store_table
        owner, number = table.c[link.column], table.c[entity.field(link.by_number).store_column]
        after = 0
        while True:
            with store.begin() as conn:
                rows = conn.execute(
                    select(table.c.id, number.label("number"))
                    .where(owner.is_(None), number.is_not(None), table.c.id > after)
                    .order_by(table.c.id).limit(CHUNK)).all()
                if not rows:
                    break
                after = rows[-1].id
                owners = accounts_by_number(conn, [r.number for r in rows])
                links = []
                for r in rows:
                    matches = owners.get(compact(r.number), [])
                    if len(matches) == 1:
                        links.append({"row": r.id, "owner": matches[0]})
                    elif matches:
                        ambiguous += 1
                    else:
                        waiting += 1
                if links:
                    conn.execute(update(table).where(table.c.id == bindparam("row"))
                                 .values({link.column: bindparam("owner")}), links)
                linked += len(links)
    return WalkInLinks(linked, ambiguous, waiting)
