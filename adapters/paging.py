"""Reading a part page by page through a :class:`adapters.keyset.KeysetPager`: ``fetch(stmt)`` runs one
statement and returns its rows, so the same loops serve every engine.

:func:`pages` gives the records of the key pages and then of the NULL-key pass; :func:`bounds` tells,
from the keys alone, the key range of the page :func:`pages` would read next.
"""

from __future__ import annotations

from collections.abc import Iterator

from adapters.keyset import KeysetPager, is_null_key, main_rows, null_key
from migrate.core.records import Key, RawRecord


def pages(fetch, pager: KeysetPager, *, after: Key | None, limit: int, hi: Key | None = None,
          lo: Key | None = None, since: object | None = None) -> Iterator[list[RawRecord]]:
    """Drive a pager: ``fetch(stmt)`` runs one statement and returns its rows.

    Without ``hi``, the key pages after ``after`` and then the NULL-key pass; a range whose
    bounds are :func:`null_key` is the NULL-key pass alone.
    """
    if is_null_key(after):
        return
    if is_null_key(hi):
        yield from _null_pass(fetch, pager, since)
        return
    cursor = after
    nkey = len(pager.key_columns)
    several = bool(pager.entity.joins) or not pager.unique  # a key may have several rows
    while True:
        if hi is None:
            stmt = pager.first_page(cursor, limit, since)
        else:
            stmt = pager.range_page(lo if lo is not None else hi, hi, cursor, limit, since)
        rows = fetch(stmt)
        if not rows:
            break
        full = len(rows) >= limit
        if full and several:  # the last key's rows may go on in the next page: read them there
            last = tuple(rows[-1][:nkey])
            cut = next((i for i in range(len(rows) - 1, -1, -1) if tuple(rows[i][:nkey]) != last), None)
            rows = rows[:cut + 1] if cut is not None else fetch(pager.key_page(last))  # a key fills the page
        shared = None
        if not pager.unique and pager.entity.joins:
            shared = {tuple(r[:nkey]): int(r[nkey]) for r in fetch(pager.shared_keys(tuple(rows[0][:nkey]),
                                                                                     tuple(rows[-1][:nkey])))}
        records = pager.to_records(rows, shared)
        if records:
            yield records
        if not full:
            break
        cursor = tuple(rows[-1][:nkey])
    if hi is None and pager.nullable:
        yield from _null_pass(fetch, pager, since)


def bounds(fetch, pager: KeysetPager, *, after: Key | None, limit: int) -> tuple[Key, Key] | None:
    """The key range of the page :func:`pages` reads after ``after`` (None past the last), from the keys alone.

    The same range the page's first and last records span: a full page that may hold only part of
    its last key's rows (joins, a key that is not unique) ends at the key before it, unless that
    key fills the page; after the key pages comes the NULL-key pass (:func:`null_key` as both
    bounds) when some row has a NULL key. Reading the range (``read_range``) gives the page.
    """
    if is_null_key(after):
        return None
    nkey = len(pager.key_columns)
    if pager.unique and not pager.entity.joins:  # a row is a record: the first and the limit-th key tell it
        first = fetch(pager.bounds_page(after, 1))
        if first:
            last = fetch(pager.bounds_page(after, limit).offset(limit - 1)) if limit > 1 else first
            return tuple(first[0][:nkey]), tuple((last or fetch(pager.last_key(after)))[0][:nkey])
        rows = first
    else:
        rows = fetch(pager.bounds_page(after, limit))
    if rows:
        lo, hi = tuple(rows[0][:nkey]), tuple(rows[-1][:nkey])
        if len(rows) >= limit and (pager.entity.joins or not pager.unique):
            hi = next((tuple(r[:nkey]) for r in reversed(rows) if tuple(r[:nkey]) != hi), hi)
        return lo, hi
    if pager.nullable and fetch(pager.null_exists()):
        marker = null_key(nkey)
        return marker, marker
    return None


def _null_pass(fetch, pager: KeysetPager, since: object | None) -> Iterator[list[RawRecord]]:
    """The rows whose key is NULL, as one page (they cannot be told apart by key to page them)."""
    rows = fetch(pager.null_page(since))
    if rows and pager.entity.joins:  # a join multiplies rows: one record per main-table row
        main = [i for i, ref in enumerate(pager.names) if not pager.is_joined(ref)]
        marker = null_key(len(pager.key_columns))
        count = int(fetch(pager.count_range(marker, marker))[0][0])
        rows = [part[0] for part in main_rows(rows, main, count)]
    if rows:
        yield pager.null_records(rows)
