"""Accounts of a demo portal: citizens, businesses, staff, and people registered in several portals.

Every account is a pure function of (seed, province, account id), so the dossier
generator can look up its applicant without keeping the accounts in memory.
People registered in two or three former provinces are a pure function of
(seed, person number) alone, so the three portals agree about them.
"""

from __future__ import annotations

import base64
import itertools
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from migrate.demo import catalog
from migrate.demo._units import LegacyCommune, ProvinceUnits
from migrate.demo.catalog import AgencyCatalog

# Streams of the per-record random generators.
STREAM_ACCOUNT, STREAM_PERSON, STREAM_DOSSIER, STREAM_DOCUMENT, STREAM_BLOCK, STREAM_FILE = range(6)
PROVINCES = ("35", "36", "37")
# Which former provinces a shared person is registered in, and how the records differ.
_SHARED_PROVINCES = (("35", "36"), ("36", "37"), ("35", "37"), ("35", "36", "37"))
SHARED_MODES = ("same-cccd", "cmnd-only", "unaccented-name", "nfd-name")
_BCRYPT = bytes.maketrans(b"+/=", b"./.")


def record_seed(seed: int, province_code: str, stream: int, index: int) -> int:
    """The seed of one record's random generator; distinct for every (province, stream, index)."""
    return ((seed * 1000 + int(province_code)) * 16 + stream) * 10**10 + index


@dataclass(frozen=True)
class Timeline:
    """The fixed period a portal was in service, derived from the seed (never the clock)."""

    start: datetime
    end: datetime

    @classmethod
    def for_seed(cls, seed: int) -> Timeline:
        return cls(datetime(2021, 1, 4, 7, 30) + timedelta(days=seed % 60), datetime(2025, 6, 27, 17, 0))

    def at(self, fraction: float) -> datetime:
        return self.start + (self.end - self.start) * fraction


@dataclass(frozen=True)
class AccountLayout:
    """How account ids are laid out: staff first, then citizens and businesses over time."""

    total: int
    staff: int
    shared: int

    @classmethod
    def for_scale(cls, scale: int) -> AccountLayout:
        total = max(60, scale // 2)
        return cls(total=total, staff=min(400, max(8, total // 10)), shared=max(8, total // 40))

    @property
    def stride(self) -> int:
        return max(1, (self.total - self.staff) // self.shared)

    def shared_slot(self, person: int, province_code: str) -> int:
        """Account id of shared person ``person`` in the portal of ``province_code``."""
        offset = (person * 7 + int(province_code) * 13) % self.stride
        return self.staff + 1 + person * self.stride + offset

    def person_at(self, account_id: int, province_code: str) -> int | None:
        """The shared person whose slot is ``account_id`` in this portal, if any."""
        rel = account_id - self.staff - 1
        if rel < 0:
            return None
        person = rel // self.stride
        if person >= self.shared or self.shared_slot(person, province_code) != account_id:
            return None
        return person if province_code in _SHARED_PROVINCES[person % len(_SHARED_PROVINCES)] else None

    def is_business(self, account_id: int, seed: int) -> bool:
        return account_id > self.staff and (account_id * 2654435761 + seed * 97) % 1000 < 150


@dataclass(frozen=True)
class Person:
    full_name: str
    male: bool
    birth: date | None
    cccd: str
    cmnd: str | None


@dataclass(frozen=True)
class Account:
    id: int
    kind: str                      # "1" citizen, "2" business, "3" staff
    username: str
    password_hash: str
    full_name: str
    cccd: str | None
    cmnd: str | None
    tax_code: str | None
    birth_date: str                # dd/mm/yyyy or ""
    gender: str
    phone: str
    email: str | None
    address: str
    commune: LegacyCommune
    created_at: str
    agency_code: str | None

    @property
    def id_number(self) -> str:
        return self.tax_code or self.cccd or self.cmnd or ""

    def row(self, province_code: str) -> tuple[object, ...]:
        return (self.id, self.kind, self.username, self.password_hash, self.full_name, self.cccd, self.cmnd,
                self.tax_code, self.birth_date, self.gender, self.phone, self.email, self.address,
                province_code, self.commune.district_code, self.commune.code, self.created_at, self.agency_code)


@dataclass(frozen=True)
class SharedPerson:
    number: int
    person: Person
    provinces: tuple[str, ...]
    mode: str
    phone: str
    email: str


@dataclass(frozen=True)
class PortalContext:
    """Everything a record generator needs about one portal; built once per portal."""

    seed: int
    province_code: str
    units: ProvinceUnits
    agencies: AgencyCatalog
    layout: AccountLayout
    timeline: Timeline
    staff_agencies: tuple[str, ...]      # agency code of staff account 1..layout.staff

    def rng(self, stream: int, index: int) -> random.Random:
        return random.Random(record_seed(self.seed, self.province_code, stream, index))


def make_context(seed: int, province_code: str, units: ProvinceUnits, agencies: AgencyCatalog,
                 scale: int) -> PortalContext:
    layout = AccountLayout.for_scale(scale)
    ordered = [a.code for a in agencies.all()]
    staff = tuple(ordered[n % len(ordered)] for n in range(layout.staff))
    return PortalContext(seed, province_code, units, agencies, layout, Timeline.for_seed(seed), staff)


_FAMILY = tuple(name for name, _ in catalog.FAMILY_NAMES)
_FAMILY_CUMULATIVE = tuple(itertools.accumulate(weight for _, weight in catalog.FAMILY_NAMES))


def weighted_family(rng: random.Random) -> str:
    return rng.choices(_FAMILY, cum_weights=_FAMILY_CUMULATIVE)[0]


def make_person(rng: random.Random, birth_province: str, serial_digit: int, serial: int | None = None) -> Person:
    """A person with a realistic name and CCCD; ``serial_digit`` keeps id ranges apart."""
    male = rng.random() < 0.5
    middle = rng.choice(catalog.MIDDLE_MALE if male else catalog.MIDDLE_FEMALE)
    given = rng.choice(catalog.GIVEN_MALE if male else catalog.GIVEN_FEMALE)
    name = f"{weighted_family(rng)} {middle} {given}"
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))
    century = 0 if birth.year < 2000 else 2
    tail = serial if serial is not None else rng.randrange(100_000)
    cccd = f"0{birth_province}{century + (0 if male else 1)}{birth.year % 100:02d}" \
           f"{serial_digit}{tail % 100_000:05d}"
    cmnd = None
    if birth.year < 1995 and rng.random() < 0.5:
        cmnd = f"{catalog.CMND_PREFIX[birth_province]}{serial_digit}{tail % 100_000:05d}"
    return Person(name, male, birth, cccd, cmnd)


def shared_person(seed: int, number: int) -> SharedPerson:
    """Shared person ``number``: the same in every portal (independent of province and scale)."""
    rng = random.Random(record_seed(seed, "0", STREAM_PERSON, number))
    birth_province = PROVINCES[rng.randrange(3)]
    person = make_person(rng, birth_province, 7 + number % 3, serial=(number + 1) * 7919)
    if person.cmnd is None:  # everyone shared has an old 9-digit card, so "cmnd-only" is possible
        person = Person(person.full_name, person.male, person.birth, person.cccd,
                        f"{catalog.CMND_PREFIX[birth_province]}{7 + number % 3}{(number + 1) * 7919 % 100_000:05d}")
    provinces = _SHARED_PROVINCES[number % len(_SHARED_PROVINCES)]
    mode = SHARED_MODES[(number + number // len(_SHARED_PROVINCES)) % len(SHARED_MODES)]
    return SharedPerson(number, person, provinces, mode, _phone(rng), _email(rng, person.full_name))


def account(ctx: PortalContext, account_id: int) -> Account:
    """Account ``account_id`` of the portal (1 <= account_id <= ctx.layout.total)."""
    rng = ctx.rng(STREAM_ACCOUNT, account_id)
    layout = ctx.layout
    commune = rng.choice(ctx.units.communes)
    address = address_text(rng, commune, ctx.units)
    password = _password_hash(rng)
    if account_id <= layout.staff:
        return _staff(ctx, rng, account_id, password)
    created = _created_at(ctx, account_id)
    person_no = layout.person_at(account_id, ctx.province_code)
    if person_no is not None:
        return _shared_account(ctx, shared_person(ctx.seed, person_no), account_id, password, commune,
                               address, created)
    if layout.is_business(account_id, ctx.seed):
        return _business(ctx, rng, account_id, password, commune, address, created)
    person = make_person(rng, ctx.province_code if rng.random() < 0.85 else rng.choice(PROVINCES),
                         PROVINCES.index(ctx.province_code), serial=account_id * 7919)
    birth = "" if rng.random() < 0.04 else _dmy(person.birth)
    username = person.cccd if rng.random() < 0.8 else _phone(rng)
    name = person.full_name
    if rng.random() < 0.02:  # typed with a decomposing input method
        name, address = unicodedata.normalize("NFD", name), unicodedata.normalize("NFD", address)
    return Account(account_id, "1", username, password, name, person.cccd, person.cmnd, None, birth,
                   "Nam" if person.male else "Nữ", _phone(rng),
                   _email(rng, person.full_name) if rng.random() < 0.6 else None, address, commune, created, None)


def _staff(ctx: PortalContext, rng: random.Random, account_id: int, password: str) -> Account:
    agency_code = ctx.staff_agencies[account_id - 1]
    person = make_person(rng, ctx.province_code, 6, serial=account_id)
    words = catalog.unaccent(person.full_name).lower().split()
    username = f"{words[-1]}{''.join(w[0] for w in words[:-1])}.{account_id}"
    commune = ctx.units.communes[account_id % len(ctx.units.communes)]
    created = _fmt(ctx.timeline.start - timedelta(days=200) + timedelta(minutes=37 * account_id))
    return Account(account_id, "3", username, password, person.full_name, person.cccd, None, None,
                   _dmy(person.birth), "Nam" if person.male else "Nữ", _phone(rng),
                   f"{username.split('.')[0]}@{ctx.province_code}.gov.vn", address_text(rng, commune, ctx.units),
                   commune, created, agency_code)


def _business(ctx: PortalContext, rng: random.Random, account_id: int, password: str, commune: LegacyCommune,
              address: str, created: str) -> Account:
    tax = tax_code(catalog.TAX_PREFIX[ctx.province_code], account_id * 7919 % 10_000_000)
    if rng.random() < 0.3:
        name = f"Hộ kinh doanh {make_person(rng, ctx.province_code, 5).full_name}"
    else:
        name = f"{rng.choice(catalog.BUSINESS_FORMS)} {rng.choice(catalog.BUSINESS_TRADES)} " \
               f"{rng.choice(catalog.BUSINESS_BRANDS)}"
    if rng.random() < 0.1:  # a branch: 13-digit code, sometimes written with a dash
        tax = f"{tax}-{rng.randrange(1, 20):03d}" if rng.random() < 0.5 else f"{tax}{rng.randrange(1, 20):03d}"
    email = f"{catalog.unaccent(name.split()[-1]).lower()}{account_id}@gmail.com" if rng.random() < 0.7 else None
    return Account(account_id, "2", tax.replace("-", ""), password, name, None, None, tax, "", "", _phone(rng),
                   email, address, commune, created, None)


def _shared_account(ctx: PortalContext, shared: SharedPerson, account_id: int, password: str,
                    commune: LegacyCommune, address: str, created: str) -> Account:
    person = shared.person
    position = shared.provinces.index(ctx.province_code)
    name, birth = person.full_name, _dmy(person.birth)
    cccd: str | None = person.cccd
    if shared.mode == "cmnd-only" and position == 0:
        cccd = None
    elif shared.mode == "unaccented-name" and position == 1:
        name = catalog.unaccent(name).upper() if shared.number % 2 else catalog.unaccent(name)
    elif shared.mode == "nfd-name" and position == 1:
        name, address = unicodedata.normalize("NFD", name), unicodedata.normalize("NFD", address)
    if position == len(shared.provinces) - 1 and shared.mode == "same-cccd":
        birth = ""  # the last portal never asked for the birth date
    username = cccd or person.cmnd or ""
    return Account(account_id, "1", username, password, name, cccd, person.cmnd, None, birth,
                   "Nam" if person.male else "Nữ", shared.phone, shared.email, address, commune, created, None)


def address_text(rng: random.Random, commune: LegacyCommune, units: ProvinceUnits, *,
                 hamlet: bool = False) -> str:
    """'Xóm 3, xã Yên Khánh, huyện Ý Yên, tỉnh Nam Định' from the real unit names."""
    hamlet = hamlet or commune.code in units.split_codes  # split communes: the hamlet decides
    if hamlet or not commune.is_urban:
        pick = rng.random()
        if hamlet or pick < 0.45:
            local = f"Thôn {rng.choice(catalog.HAMLET_NAMES)}"
        elif pick < 0.9:
            local = f"Xóm {rng.randrange(1, 21)}"
        else:
            local = f"Đội {rng.randrange(1, 12)}"
    else:
        pick = rng.random()
        if pick < 0.5:
            local = f"Số {rng.randrange(1, 400)} đường {rng.choice(catalog.STREETS)}"
        elif pick < 0.8:
            local = f"Tổ dân phố {rng.randrange(1, 25)}"
        else:
            local = f"Số {rng.randrange(1, 80)} ngõ {rng.randrange(1, 200)} {rng.choice(catalog.STREETS)}"
    if rng.random() < 0.9:
        return f"{local}, {commune.label}, {commune.district_label}, {catalog.lower_kind(units.province_name)}"
    return f"{local}, {commune.label}, {commune.district_label}"


def tax_code(prefix: str, serial: int) -> str:
    """A 10-digit tax code with a check digit in the official weighting style."""
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    while True:
        body = f"{prefix}{serial % 10_000_000:07d}"
        check = 10 - sum(int(d) * w for d, w in zip(body, weights)) % 11
        if check < 10:
            return f"{body}{check}"
        serial += 1


def _created_at(ctx: PortalContext, account_id: int) -> str:
    layout = ctx.layout
    fraction = (account_id - layout.staff - 0.5) / max(1, layout.total - layout.staff)
    start = ctx.timeline.start - timedelta(days=150)
    span = (ctx.timeline.end - timedelta(days=30)) - start
    return _fmt(start + span * fraction)


def first_account_before(ctx: PortalContext, fraction: float) -> int:
    """The highest non-staff account id created before time ``fraction`` of the dossier timeline."""
    layout = ctx.layout
    start = ctx.timeline.start - timedelta(days=150)
    span = (ctx.timeline.end - timedelta(days=30)) - start
    at = (ctx.timeline.at(fraction) - start) / span
    return min(layout.total, layout.staff + int(at * (layout.total - layout.staff)))


def _password_hash(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.randbytes(16).hex()  # an md5 from the portal's first years
    return "$2a$10$" + base64.b64encode(rng.randbytes(40)).translate(_BCRYPT).decode()[:53]


def _phone(rng: random.Random) -> str:
    return f"0{rng.choice(('91', '94', '98', '97', '86', '88', '32', '33', '35', '36', '39', '83'))}" \
           f"{rng.randrange(10_000_000):07d}"


def _email(rng: random.Random, full_name: str) -> str:
    words = catalog.unaccent(full_name).lower().split()
    return f"{words[-1]}{''.join(w[0] for w in words[:-1])}{rng.randrange(60, 100)}@gmail.com"


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _fmt(moment: datetime) -> str:
    return moment.isoformat(" ", "seconds")
