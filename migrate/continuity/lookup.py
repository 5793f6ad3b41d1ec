"""Find records by any old identifier and say where they are now.

A lookup is one search on ``old_identifier.normalized`` (an index), then
primary-key reads of the records found. Old dossier numbers collide between
former provinces: every match is listed with its source, none is picked.
When nothing matches, the closest identifiers come from index range scans
(the neighbours of the value in index order and the values sharing its first
half), ranked with rapidfuzz: never a scan of a whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import Connection, Row, Select, select

from migrate.continuity.identifiers import KINDS, looks_like, mask, mask_typed, normalize, upper_bound
from migrate.store.inlist import each_one_of
from migrate.store.models import account, dossier, dossier_file, document, new_unit, old_identifier, quarantine

NEIGHBOURS = 25
PREFIX_ROWS = 200
MIN_SCORE = 50.0


@dataclass(frozen=True)
class Match:
    """One old identifier and where its record is now."""

    kind: str
    value: str
    source_system: str
    source_table: str
    source_key: str
    state: str  # migrated, merged, quarantined
    target_table: str | None
    target_id: int | None
    dossier_id: int | None = None  # for a file: the dossier it is attached to
    dossier_no: str | None = None
    status: str | None = None
    new_commune_code: str | None = None
    new_commune_name: str | None = None
    new_province_name: str | None = None
    note: str | None = None  # quarantine reason, file state

    def describe(self, *, unmask: bool = False) -> list[str]:
        value = self.value if unmask else mask(self.kind, self.value)
        lines = [f"{KINDS.get(self.kind, self.kind)} {value}",
                 f"  source:  {self.source_system} / {self.source_table} / {self.source_key}"]
        if self.target_table is None:
            lines.append(f"  now:     not in the new system: held in quarantine ({self.note or 'no reason recorded'})")
            return lines
        now = f"{self.target_table} {self.target_id}"
        if self.target_table == "dossier_file" and self.dossier_id is not None:
            now += f" of dossier {self.dossier_id}"
        if self.state == "merged":
            now += " (this old account was merged into it)"
        lines.append(f"  now:     {now}")
        if self.dossier_no and self.kind != "dossier-no":
            lines.append(f"  dossier: {self.dossier_no}")
        if self.status:
            lines.append(f"  status:  {self.status}")
        commune = "-" if not self.new_commune_code else \
            f"{self.new_commune_code} {self.new_commune_name or '(not in the new unit table)'}" \
            + (f", {self.new_province_name}" if self.new_province_name else "")
        lines.append(f"  commune: {commune}")
        if self.note:
            lines.append(f"  note:    {self.note}")
        return lines

    def as_dict(self, *, unmask: bool = False) -> dict:
        out = dict(self.__dict__)
        out["value"] = self.value if unmask else mask(self.kind, self.value)
        return out


@dataclass(frozen=True)
class Candidate:
    kind: str
    value: str
    source_system: str
    score: float


@dataclass(frozen=True)
class LookupResult:
    query: str
    normalized: str
    matches: tuple[Match, ...]
    closest: tuple[Candidate, ...] = ()
    truncated: bool = False

    @property
    def found(self) -> bool:
        return bool(self.matches)

    @property
    def records(self) -> int:
        return len({(m.target_table, m.target_id) if m.target_id is not None
                    else (m.source_system, m.source_table, m.source_key) for m in self.matches})

    def describe(self, *, unmask: bool = False) -> list[str]:
        if not self.found:
            shown = self.query if unmask else mask_typed(self.query)
            lines = [f"Not found: {shown!r} (looks like {looks_like(self.query)})" if self.normalized
                     else f"Not found: {shown!r} has nothing left once spaces and dashes are removed"]
            if self.closest:
                lines.append("Closest matches:")
                lines += [f"  {c.value if unmask else mask(c.kind, c.value):<34} {KINDS.get(c.kind, c.kind):<20} "
                          f"{c.source_system:<20} score {c.score:.0f}" for c in self.closest]
            else:
                lines.append("No close match either. Check the value, or list what the store holds with: "
                             "hopnhat continuity export")
            return lines
        sources = sorted({m.source_system for m in self.matches})
        head = f"{self.query if unmask else mask_typed(self.query)}: {len(self.matches)} match(es), " \
               f"{self.records} record(s), from {', '.join(sources)}"
        lines = [head]
        if self.records > 1:
            lines.append("  Several records carry this identifier: each is listed with its source; none is picked.")
        for n, m in enumerate(self.matches, 1):
            block = m.describe(unmask=unmask)
            lines.append(f"[{n}] {block[0]}")
            lines += [f"    {line}" for line in block[1:]]
        if self.truncated:
            lines.append(f"(only the first {len(self.matches)} shown; narrow with --kind or --source)")
        return lines


def lookup(conn: Connection, value: str, *, kinds: Sequence[str] = (), sources: Sequence[str] = (),
           limit: int = 100, closest: int = 5) -> LookupResult:
    """Every record whose old identifier matches ``value`` (normalized), or the closest identifiers."""
    norm = normalize(value)
    if not norm:
        return LookupResult(value, norm, ())
    rows = conn.execute(match_statement(norm, kinds=kinds, sources=sources, limit=limit + 1)).all()
    matches = resolve(conn, rows[:limit])
    if matches:
        return LookupResult(value, norm, tuple(matches), truncated=len(rows) > limit)
    return LookupResult(value, norm, (), tuple(closest_matches(conn, norm, limit=closest)))


def closest_matches(conn: Connection, norm: str, *, limit: int = 5) -> list[Candidate]:
    """Identifiers near ``norm``: neighbours in index order and those sharing its first half, ranked."""
    seen: dict[tuple[str, str], Candidate] = {}
    for stmt in closest_statements(norm):
        for normalized, kind, value, source in conn.execute(stmt):
            key = (normalized, kind)
            if key not in seen:
                seen[key] = Candidate(kind, value, source, fuzz.ratio(norm, normalized))
    ranked = sorted((c for c in seen.values() if c.score >= MIN_SCORE), key=lambda c: (-c.score, c.value, c.kind))
    return ranked[:limit]


def match_statement(norm: str, *, kinds: Sequence[str] = (), sources: Sequence[str] = (), limit: int = 101) -> Select:
    """The identifiers equal to ``norm``: one search on the normalized index."""
    o = old_identifier.c
    stmt = select(old_identifier).where(o.normalized == norm)
    if kinds:
        stmt = stmt.where(o.kind.in_(list(kinds)))
    if sources:
        stmt = stmt.where(o.source_system.in_(list(sources)))
    return stmt.order_by(o.normalized, o.kind, o.source_system, o.source_table, o.source_key).limit(limit)


def closest_statements(norm: str) -> list[Select]:
    """Range scans of the normalized index: neighbours before and after, values sharing the first half."""
    o = old_identifier.c
    cols = (o.normalized, o.kind, o.value, o.source_system)
    prefix = norm[:max(2, len(norm) // 2)]
    return [
        select(*cols).where(o.normalized < norm).order_by(o.normalized.desc()).limit(NEIGHBOURS),
        select(*cols).where(o.normalized > norm).order_by(o.normalized).limit(NEIGHBOURS),
        select(*cols).where(o.normalized >= prefix, o.normalized < upper_bound(prefix))
        .order_by(o.normalized).limit(PREFIX_ROWS),
    ]


def resolve(conn: Connection, rows: Iterable) -> list[Match]:
    """Old identifier rows -> matches with their new record, commune and status (primary-key reads)."""
    rows = list(rows)
    ids: dict[str, set[int]] = {}
    for r in rows:
        if r.target_table is not None:
            ids.setdefault(r.target_table, set()).add(int(r.target_id))
    files = _by_id(conn, dossier_file, ids.get("dossier_file"), dossier_file.c.dossier_id,
                   dossier_file.c.file_state)
    docs = _by_id(conn, document, ids.get("document"), document.c.account_id, document.c.file_state)
    dossier_ids = (ids.get("dossier") or set()) | {f.dossier_id for f in files.values()}
    dossiers = _by_id(conn, dossier, dossier_ids, dossier.c.dossier_no, dossier.c.status,
                      dossier.c.new_commune_code)
    account_ids = (ids.get("account") or set()) | {d.account_id for d in docs.values() if d.account_id}
    accounts = _by_id(conn, account, account_ids, account.c.kind, account.c.new_commune_code)
    communes = {c for c in (*(d.new_commune_code for d in dossiers.values()),
                            *(a.new_commune_code for a in accounts.values())) if c}
    units = {}
    if communes:
        units = {u.code: u for u in conn.execute(
            select(new_unit.c.code, new_unit.c.name, new_unit.c.province_name)
            .where(new_unit.c.code.in_(sorted(communes))))}
    reasons = _quarantine_reasons(conn, [r for r in rows if r.target_table is None])
    out = []
    for r in rows:
        extra: dict = {}
        d = a = None
        if r.target_table == "dossier":
            d = dossiers.get(r.target_id)
        elif r.target_table == "dossier_file":
            f = files.get(r.target_id)
            if f is not None:
                d = dossiers.get(f.dossier_id)
                extra.update(dossier_id=f.dossier_id, note=f"file {f.file_state}")
        elif r.target_table == "document":
            doc = docs.get(r.target_id)
            if doc is not None:
                a = accounts.get(doc.account_id)
                extra.update(note=f"document of account {doc.account_id}, file {doc.file_state}")
        elif r.target_table == "account":
            a = accounts.get(r.target_id)
            if a is not None:
                extra.update(status=f"{a.kind} account")
        else:
            extra.update(note=reasons.get((r.source_system, r.source_table, r.source_key)))
        if d is not None:
            extra.update(dossier_no=d.dossier_no, status=d.status, new_commune_code=d.new_commune_code)
        elif a is not None:
            extra.update(new_commune_code=a.new_commune_code)
        if r.target_table is not None and d is None and a is None:
            extra.update(note=f"{r.target_table} {r.target_id} is no longer in the store: "
                              "rebuild the index (hopnhat continuity index)")
        unit = units.get(extra.get("new_commune_code"))
        if unit is not None:
            extra.update(new_commune_name=unit.name, new_province_name=unit.province_name)
        out.append(Match(r.kind, r.value, r.source_system, r.source_table, r.source_key, r.state,
                         r.target_table, int(r.target_id) if r.target_id is not None else None, **extra))
    return out


def _by_id(conn: Connection, table, ids: set[int] | None, *columns) -> dict[int, Row]:
    if not ids:
        return {}
    out: dict[int, Row] = {}
    for wanted in each_one_of(conn, table.c.id, sorted(ids)):
        for row in conn.execute(select(table.c.id, *columns).where(wanted)):
            out[int(row.id)] = row
    return out


def _quarantine_reasons(conn: Connection, rows: list) -> dict[tuple[str, str, str], str]:
    by_table: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        by_table.setdefault((r.source_system, r.source_table), set()).add(r.source_key)
    q = quarantine.c
    out = {}
    for (system, table), keys in by_table.items():
        for wanted in each_one_of(conn, q.source_key, sorted(keys)):
            for found in conn.execute(select(q.source_key, q.field, q.reason).where(
                    q.source_system == system, q.source_table == table, wanted)):
                out[(system, table, found.source_key)] = f"{found.field}: {found.reason}"
    return out
