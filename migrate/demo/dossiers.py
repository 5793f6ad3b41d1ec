"""Dossiers of a demo portal: the HoSo row, its processing history and its attachments.

Dossier ids ascend with submission time. Every block of ``BLOCK`` dossiers holds
one dossier of each forced awkward kind at positions drawn from the seed, so
each kind is present from the first 50 dossiers on and its share is the same
at any scale.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from migrate.demo import catalog
from migrate.demo._units import LegacyCommune
from migrate.demo.catalog import Procedure
from migrate.demo.files import Payload, payload
from migrate.demo.people import (
    PROVINCES, STREAM_BLOCK, STREAM_DOSSIER, PortalContext, account, address_text, first_account_before,
    make_person,
)

BLOCK = 50
FORCED_KINDS = ("district-only", "unknown-code", "split-commune", "non-nfc", "missing-dates",
                "missing-attachment")
UNKNOWN_CODES = ("99999", "123", "abc", "00000", "1328")
_STATUS_OF_STEP = MappingProxyType({
    "NOP": "1", "CHO_TIEP_NHAN": "1", "TIEP_NHAN": "2", "CHUYEN_XU_LY": "2", "THAM_DINH": "2",
    "YEU_CAU_BO_SUNG": "3", "PHE_DUYET": "4", "TRA_KET_QUA": "5", "TU_CHOI": "6",
})
_ATTACHMENTS = (0, 1, 1, 1, 2, 2, 2, 3, 3, 1)  # 0-3 per dossier, about 1.6 on average


@dataclass(frozen=True)
class StaffDirectory:
    """Names of staff accounts by agency code, for the NguoiXuLy of history rows."""

    by_agency: Mapping[str, tuple[str, ...]]
    everyone: tuple[str, ...]

    @classmethod
    def of(cls, ctx: PortalContext) -> StaffDirectory:
        by_agency: dict[str, list[str]] = {}
        names = []
        for staff_id in range(1, ctx.layout.staff + 1):
            staff = account(ctx, staff_id)
            by_agency.setdefault(staff.agency_code or "", []).append(staff.full_name)
            names.append(staff.full_name)
        return cls({k: tuple(v) for k, v in by_agency.items()}, tuple(names))

    def pick(self, rng: random.Random, agency_code: str) -> str:
        return rng.choice(self.by_agency.get(agency_code) or self.everyone)


@dataclass(frozen=True)
class Attachment:
    name: str
    path: str
    payload: Payload
    missing: bool             # recorded by the portal, absent on disk


@dataclass(frozen=True)
class DossierRecord:
    row: tuple[object, ...]                     # HoSo row
    events: tuple[tuple[object, ...], ...]      # QuaTrinhXuLy rows without Id
    attachments: tuple[Attachment, ...]
    kinds: tuple[str, ...]                      # awkward kinds this dossier shows


def block_kinds(ctx: PortalContext, block: int) -> dict[int, str]:
    """Position in block -> forced awkward kind, for dossier block ``block`` (0-based)."""
    rng = ctx.rng(STREAM_BLOCK, block)
    kinds = [k for k in FORCED_KINDS if k != "split-commune" or ctx.units.split_codes]
    return dict(zip(rng.sample(range(BLOCK), len(kinds)), kinds))


def make_dossier(ctx: PortalContext, staff: StaffDirectory, dossier_id: int, scale: int, forced: str | None,
                 sequence: dict[str, tuple[str, int]]) -> DossierRecord:
    """Dossier ``dossier_id`` of ``scale``; ``sequence`` numbers dossiers per agency and day."""
    rng = ctx.rng(STREAM_DOSSIER, dossier_id)
    fraction = (dossier_id - 1 + rng.random()) / scale
    submitted = ctx.timeline.at(fraction)
    procedure = _pick_procedure(rng, forced)
    online = rng.random() < 0.6
    if not online:
        submitted = _office_hours(rng, submitted)

    account_id, applicant, id_number, commune, address = _applicant(ctx, rng, procedure, fraction)
    if forced == "split-commune":
        commune = rng.choice(ctx.units.split_communes)
        address = address_text(rng, commune, ctx.units, hamlet=True)
    district_code = commune.district_code
    commune_code: str | None = commune.code
    if forced == "district-only":
        commune_code = "" if rng.random() < 0.6 else None
    elif forced == "unknown-code":
        commune_code = rng.choice(UNKNOWN_CODES)

    agency = ctx.agencies.for_procedure(procedure, commune)
    steps = _steps(rng, fraction, online, settled=forced == "missing-dates")
    online = online or steps[0] == "NOP"
    times = _step_times(rng, submitted, steps, online)
    while len(steps) > 2 and times[-1] > ctx.timeline.end + timedelta(days=2):
        steps, times = steps[:-1], times[:-1]  # the portal closed before these steps happened
    status = _STATUS_OF_STEP[steps[-1]]
    received = next((t for s, t in zip(steps, times) if s == "TIEP_NHAN"), None)
    due = _add_working_days(received, procedure.days) if received else None
    finished = times[-1] if status in ("5", "6") else None

    received_txt, due_txt, finished_txt = _fmt(received), _fmt(due), _fmt(finished)
    if forced == "missing-dates":
        gap = rng.randrange(3)
        if gap == 0:
            received_txt = ""
        elif gap == 1:
            received_txt, due_txt = None, None
        else:
            due_txt, finished_txt = "", ("" if finished else finished_txt)
    title = procedure.name
    if forced == "non-nfc":
        applicant, address, title = (unicodedata.normalize("NFD", t) for t in (applicant, address, title))

    day = submitted.strftime("%y%m%d")
    last_day, count = sequence.get(agency.code, ("", 0))
    count = count + 1 if last_day == day else 1
    sequence[agency.code] = (day, count)
    dossier_no = f"{agency.code}-{day}-{count:04d}"

    row = (dossier_id, dossier_no, procedure.code, title, agency.code, agency.name, account_id, applicant,
           id_number, address, ctx.province_code, district_code, commune_code, _fmt(submitted), received_txt,
           due_txt, finished_txt, status, _fmt(times[-1]), "TRUC_TUYEN" if online else "TRUC_TIEP")
    events = tuple(
        (dossier_id, step, catalog.STEPS[step], _actor(rng, staff, step, applicant, agency.code), _fmt(moment),
         rng.choice(catalog.STEP_NOTES[step]))
        for step, moment in zip(steps, times)
    )
    attachments = _attachments(rng, procedure, dossier_id, dossier_no, submitted, forced == "missing-attachment")
    return DossierRecord(row, events, attachments, _kinds(ctx, forced, row))


def _kinds(ctx: PortalContext, forced: str | None, row: tuple[object, ...]) -> tuple[str, ...]:
    kinds = [forced] if forced and forced != "split-commune" and forced != "non-nfc" else []
    if row[12] in ctx.units.split_codes:
        kinds.append("split-commune")
    if any(isinstance(v, str) and not unicodedata.is_normalized("NFC", v) for v in row):
        kinds.append("non-nfc")
    return tuple(kinds)


def _pick_procedure(rng: random.Random, forced: str | None) -> Procedure:
    choices = [p for p in catalog.PROCEDURES if p.level == "huyen"] if forced == "district-only" \
        else catalog.PROCEDURES
    return rng.choices(choices, weights=[p.weight for p in choices])[0]


def _applicant(ctx: PortalContext, rng: random.Random, procedure: Procedure,
               fraction: float) -> tuple[int | None, str, str, LegacyCommune, str]:
    """(account id or None, name, id number, commune, address) of the dossier's applicant."""
    layout = ctx.layout
    cap = first_account_before(ctx, fraction)
    want_business = procedure.for_business and rng.random() < 0.8
    if rng.random() < 0.75 and cap > layout.staff:
        for _ in range(6):
            candidate = rng.randint(layout.staff + 1, cap)
            if layout.is_business(candidate, ctx.seed) == want_business:
                owner = account(ctx, candidate)
                if rng.random() < 0.8:
                    return candidate, owner.full_name, owner.id_number, owner.commune, owner.address
                commune = rng.choice(ctx.units.communes)
                return candidate, owner.full_name, owner.id_number, commune, address_text(rng, commune, ctx.units)
    person = make_person(rng, ctx.province_code if rng.random() < 0.9 else rng.choice(PROVINCES),
                         3 + rng.randrange(3))
    commune = rng.choice(ctx.units.communes)
    id_number = person.cmnd if person.cmnd and rng.random() < 0.3 else person.cccd
    return None, person.full_name, id_number, commune, address_text(rng, commune, ctx.units)


def _steps(rng: random.Random, fraction: float, online: bool, *, settled: bool) -> list[str]:
    recent = fraction > 0.97
    weights = (15, 35, 10, 15, 20, 5) if recent else (0, 3, 2, 4, 85, 6)
    status = "5" if settled else rng.choices("123456", weights=weights)[0]
    if status == "1":
        return ["NOP", "CHO_TIEP_NHAN"]
    steps = {
        "2": ["TIEP_NHAN", "CHUYEN_XU_LY"] + (["THAM_DINH"] if rng.random() < 0.5 else []),
        "3": ["TIEP_NHAN", "CHUYEN_XU_LY", "YEU_CAU_BO_SUNG"],
        "4": ["TIEP_NHAN", "CHUYEN_XU_LY", "THAM_DINH", "PHE_DUYET"],
        "5": ["TIEP_NHAN"] + [s for s in ("CHUYEN_XU_LY", "THAM_DINH") if rng.random() < 0.6]
             + ["PHE_DUYET", "TRA_KET_QUA"],
        "6": ["TIEP_NHAN"] + (["CHUYEN_XU_LY"] if rng.random() < 0.5 else []) + ["TU_CHOI"],
    }[status]
    return ["NOP", *steps] if online and len(steps) < 5 else steps


def _step_times(rng: random.Random, submitted: datetime, steps: list[str], online: bool) -> list[datetime]:
    times, moment = [], submitted
    for step in steps:
        if step == "TIEP_NHAN" and online:
            moment = _office_hours(rng, moment + timedelta(minutes=rng.randrange(10, 2 * 24 * 60)))
        elif step == "TIEP_NHAN":
            moment += timedelta(minutes=rng.randrange(2, 40))
        elif step not in ("NOP", "CHO_TIEP_NHAN"):
            moment = _office_hours(rng, moment + timedelta(minutes=rng.randrange(30, 4 * 24 * 60)))
        elif step == "CHO_TIEP_NHAN":
            moment += timedelta(seconds=rng.randrange(1, 30))
        times.append(moment)
    return times


def _actor(rng: random.Random, staff: StaffDirectory, step: str, applicant: str, agency_code: str) -> str:
    if step == "NOP":
        return applicant
    if step == "CHO_TIEP_NHAN":
        return "Hệ thống"
    return staff.pick(rng, agency_code)


def _attachments(rng: random.Random, procedure: Procedure, dossier_id: int, dossier_no: str,
                 submitted: datetime, one_missing: bool) -> tuple[Attachment, ...]:
    count = min(len(procedure.files), rng.choice(_ATTACHMENTS))
    if one_missing:
        count = max(1, count)
    folder = f"{submitted:%Y}/{submitted:%m}/{dossier_id}"
    return tuple(
        Attachment(name, f"{folder}/{n + 1}_{name}", payload(rng, name, dossier_no), one_missing and n == 0)
        for n, name in enumerate(procedure.files[:count])
    )


def _office_hours(rng: random.Random, moment: datetime) -> datetime:
    """The same moment if in office hours, else a time on the next working day."""
    if moment.weekday() < 5 and 7 <= moment.hour < 17:
        return moment
    day = moment.date() + timedelta(days=1) if moment.hour >= 17 else moment.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 7, 30) + timedelta(minutes=rng.randrange(9 * 60))


def _add_working_days(moment: datetime, days: int) -> datetime:
    day = moment
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day.replace(hour=16, minute=30, second=0, microsecond=0)


def _fmt(moment: datetime | None) -> str | None:
    return moment.isoformat(" ", "seconds") if moment else None
