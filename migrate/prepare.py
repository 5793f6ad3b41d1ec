"""Turn a page of legacy rows into canonical records with their remap decisions.

No store access here: the result of preparing a record depends only on the
record, the profile and the mapping rules, which is what makes a rerun
reproduce the same outcome.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from migrate.core.records import EntitySpec, RawRecord
from mappings.rules import Decision, Resolver, UnitRef
from migrate.core.canonical import FIELD_PROBLEM, Converter, Rejection, content_hash, converter, excluder, shown
from migrate.core.entities import REGISTRY
from migrate.core.messages import N_
from migrate.store.limits import Limit, column_limit
from migrate.store.models import lineage

IMPLAUSIBLE = "date:implausible"  # the rule of a date outside DateRange: quarantined, and a review item opened

# why a record is quarantined before it is written (catalogue messages, said where shown)
NO_COMMUNE = N_("no new commune: {detail} (rule {rule})")
KEY_SET_APART = N_("source key {key}: {problem}; the record is kept in quarantine as {stand_in}")
TOO_EARLY = N_("before {date}, not a plausible date (rule {rule})")
TOO_LATE = N_("after the snapshot ({date}), not a plausible date (rule {rule})")
REASONS = (NO_COMMUNE, KEY_SET_APART)
PROBLEMS = (TOO_EARLY, TOO_LATE)


class Prepared(NamedTuple):
    """One record ready to load. A named tuple, not a frozen dataclass: one is made for every source row, and
    a tuple is made in a fifth of the time (0.3 against 1.5-2 us for eight fields)."""

    raw: RawRecord
    record: dict[str, object]
    content_hash: str
    ref: UnitRef | None
    decision: Decision | None
    rejection: Rejection | None
    source_key: str  # the lineage form of raw.key, computed once
    excluded: str | None = None  # the reason of the profile's exclude rule this record meets


@dataclass(frozen=True)
class DateRange:
    """The dates a record may hold as facts; any other is quarantined (rule date:implausible).

    ``latest`` None means the day the records are prepared (the snapshot); fields in
    ``future`` (a due date) may lie after it.
    """

    earliest: dt.date = dt.date(1900, 1, 1)
    latest: dt.date | None = None
    future: tuple[str, ...] = ("due_at",)


Check = Callable[[RawRecord, dict], "Rejection | None"]


def prepare_page(spec: EntitySpec, page: Sequence[RawRecord], resolver: Resolver,
                 default_province: str | None, dates: DateRange = DateRange()) -> list[Prepared]:
    convert, exclude, check = converter(spec), excluder(spec), record_check(spec, dates)
    return [prepare(spec, raw, resolver, default_province, convert, exclude, check) for raw in page]


def prepare(spec: EntitySpec, raw: RawRecord, resolver: Resolver, default_province: str | None,
            convert: Converter | None = None, exclude=None, check: Check | None = None) -> Prepared:
    record, rejection = (convert or converter(spec))(raw)
    if rejection is None:
        rejection = (check or record_check(spec, DateRange()))(raw, record)
    digest = content_hash(spec.name, record)
    source_key, key_rejection = lineage_key(spec, raw)
    if key_rejection is not None:  # a key that cannot name the record: nothing else about it counts
        return Prepared(raw, record, digest, None, None, key_rejection, source_key)
    excluded = (exclude or excluder(spec))(raw)
    if excluded is not None:  # set aside by a named rule: counted as excluded, never converted further
        return Prepared(raw, record, digest, None, None, None, source_key, excluded)
    entity = spec.entity  # placed: its own fields say where it belongs; others inherit their parent's place
    if rejection is not None or not entity.placed or not spec.remap:
        return Prepared(raw, record, digest, None, None, rejection, source_key)
    ref = unit_ref(record, default_province)
    decision = resolver.resolve(ref)
    if entity.commune_required and not decision.resolved:
        # A dossier must land in a commune that can see it: unresolved means quarantine + review.
        rejection = Rejection(source_key, "commune_code",
                              NO_COMMUNE.format(detail=decision.detail or decision.rule, rule=decision.rule),
                              raw.payload)
    return Prepared(raw, record, digest, ref, decision, rejection, source_key)


_LINEAGE_KEY = column_limit(lineage.c.source_key)


def lineage_key(spec: EntitySpec, raw: RawRecord) -> tuple[str, Rejection | None]:
    """The key the record is known by in the store, and why the record must be quarantined for its key.

    A key the lineage cannot hold (too long, a NUL character, bytes that are not UTF-8) is replaced
    by ``~key~`` and a digest of it; the record is quarantined with the reason, so it is still counted.
    """
    source_key = raw.source_key
    field = ",".join(spec.key)[:100]
    problem = _LINEAGE_KEY.problem(source_key)
    if problem is not None:
        digest = hashlib.sha256(source_key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        stand_in = f"~key~{digest}"
        return stand_in, Rejection(stand_in, field, KEY_SET_APART.format(key=shown(source_key), problem=problem,
                                                                         stand_in=stand_in), raw.payload)
    if raw.key_problem is not None:
        return source_key, Rejection(source_key, field, raw.key_problem, raw.payload)
    return source_key, None


def record_check(spec: EntitySpec, dates: DateRange) -> Check:
    """Whether a canonical record fits the store (:mod:`migrate.store.limits`) and holds
    plausible dates: the first problem as a rejection naming the field, or None."""
    limits = field_limits(spec.name)
    latest = dates.latest or dt.date.today()
    low, high = dates.earliest, latest
    low_time = dt.datetime(low.year, low.month, low.day)
    high_time = dt.datetime(high.year, high.month, high.day) + dt.timedelta(days=1)
    future = frozenset(dates.future)

    plan = [(name, limit, limit.length if limit.length is not None else _UNLIMITED) for name, limit in limits]

    def check(raw: RawRecord, record: dict) -> Rejection | None:
        get = record.get
        for name, limit, length in plan:
            value = get(name)
            if value is None:
                continue
            kind = type(value)
            if kind is str:  # the usual case first: storable text that fits
                if len(value) <= length and "\x00" not in value and (value.isascii() or _utf8(value)):
                    continue
            elif kind is dt.datetime and value >= low_time and (value < high_time or name in future):
                continue
            problem = limit.problem(value)
            if problem is None and isinstance(value, dt.date):
                problem = _implausible(name, value, low, high, low_time, high_time, future)
            if problem is not None:
                column = spec.columns.get(name, name)
                return Rejection(raw.source_key, name, FIELD_PROBLEM.format(column=column, value=shown(value),
                                                                            problem=problem), raw.payload)
        return None

    return check


_UNLIMITED = 1 << 62


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _implausible(name: str, value: dt.date, low: dt.date, high: dt.date, low_time: dt.datetime,
                 high_time: dt.datetime, future: frozenset[str]) -> str | None:
    if isinstance(value, dt.datetime):
        early, late = value < low_time, value >= high_time and name not in future
    else:
        early, late = value < low, value > high and name not in future
    if early:
        return TOO_EARLY.format(date=low.isoformat(), rule=IMPLAUSIBLE)
    if late:
        return TOO_LATE.format(date=high.isoformat(), rule=IMPLAUSIBLE)
    return None


@lru_cache(maxsize=None)
def field_limits(entity: str) -> tuple[tuple[str, Limit], ...]:
    """Each canonical field of ``entity`` with the limits of the store column that holds it."""
    definition = REGISTRY[entity]
    out = []
    for name in definition.field_names:
        column = definition.column(name)  # None for a parent's key, which is looked up in the lineage
        out.append((name, column_limit(column if column is not None else lineage.c.source_key)))
    return tuple(out)


def unit_ref(record: dict[str, object], default_province: str | None) -> UnitRef:
    """The record's place as text (values read as numbers too); built for every record, so inline."""
    get = record.get
    province, district, commune, address = (get("province_code"), get("district_code"), get("commune_code"),
                                            get("address"))
    return UnitRef(
        (province if province.__class__ is str else str(province)) if province is not None and province != ""
        else default_province,
        district if district is None or district.__class__ is str else str(district),
        commune if commune is None or commune.__class__ is str else str(commune),
        address if address is None or address.__class__ is str else str(address),
    )
