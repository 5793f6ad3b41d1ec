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
from migrate.core.i18n import Language, language
from migrate.core.messages import Message, msg, say
from migrate.reasons import PHRASEBOOK as REASONS
from migrate.store.inlist import each_one_of
from migrate.core.entities import REGISTRY, Entity, ParentLink
from migrate.store.models import new_unit, old_identifier, quarantine

# The store tables of numbered records (dossiers) and the kinds of their numbers, from the entity registry.
NUMBERED_TABLES = frozenset(e.store_table_name for e in REGISTRY.values() if e.number)
NUMBER_KINDS = frozenset(e.field(e.number).identifier for e in REGISTRY.values() if e.number)
_LABELS = {"source": msg("source"), "now": msg("now"), "dossier": msg("dossier"), "status": msg("status"),
           "commune": msg("commune"), "note": msg("note")}
# a new record's table as a Vietnamese reader is told it (English names the table itself)
_TABLE_NOUNS = {"account": msg("account"), "dossier": msg("dossier"), "dossier_event": msg("dossier processing history"),
                "dossier_file": msg("dossier attachment"), "document": msg("document in the electronic data store")}
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

    def describe(self, *, unmask: bool = False, lang: Language | None = None) -> list[str]:
        """The match as ``hopnhat lookup`` prints it, in ``lang`` (English by default)."""
        lang = lang or language()
        value = self.value if unmask else mask(self.kind, self.value)
        labels = {name: say(word, lang) + ":" for name, word in _LABELS.items()}
        width = max(len(label) for label in labels.values()) + 1

        def line(name: str, text: object) -> str:
            return f"  {labels[name]:<{width}}{say(text, lang)}"

        lines = [f"{say(KINDS.get(self.kind, self.kind), lang)} {value}",
                 line("source", f"{self.source_system} / {self.source_table} / {self.source_key}")]
        if self.target_table is None:
            lines.append(line("now", msg("not in the new system: held in quarantine ({reason})",
                                         reason=self.note or msg("no reason recorded"))))
            return lines
        table = self.target_table if lang.code == "en" else say(_TABLE_NOUNS.get(self.target_table, self.target_table),
                                                                     lang)
        target = dict(table=table, id=str(self.target_id))
        if self.dossier_id is not None:  # a file: of its dossier
            now = msg("{table} {id} of dossier {dossier}", **target, dossier=str(self.dossier_id))
        else:
            now = msg("{table} {id}", **target)
        if self.state == "merged":
            now = msg("{now} (this old account was merged into it)", now=now)
        lines.append(line("now", now))
        if self.dossier_no and self.kind not in NUMBER_KINDS:
            lines.append(line("dossier", self.dossier_no))
        if self.status:
            lines.append(line("status", self.status))
        if not self.new_commune_code:
            commune: object = "-"
        else:
            name = self.new_commune_name or msg("(not in the new unit table)")
            commune = (msg("{code} {name}, {province}", code=self.new_commune_code, name=name,
                           province=self.new_province_name) if self.new_province_name
                       else msg("{code} {name}", code=self.new_commune_code, name=name))
        lines.append(line("commune", commune))
        if self.note:
            lines.append(line("note", self.note))
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

    def describe(self, *, unmask: bool = False, lang: Language | None = None) -> list[str]:
        """What ``hopnhat lookup`` prints, in ``lang`` (English by default); identifiers masked unless ``unmask``."""
        lang = lang or language()
        if not self.found:
            shown = repr(self.query if unmask else mask_typed(self.query))
            lines = [say(msg("Not found: {value} (looks like {kind})", value=shown, kind=looks_like(self.query))
                         if self.normalized else
                         msg("Not found: {value} has nothing left once spaces and dashes are removed", value=shown),
                         lang)]
            if self.closest:
                lines.append(say(msg("Closest matches:"), lang))
                lines += [f"  {c.value if unmask else mask(c.kind, c.value):<34} "
                          f"{say(KINDS.get(c.kind, c.kind), lang):<20} {c.source_system:<20} "
                          + say(msg("score {score}", score=format(c.score, ".0f")), lang) for c in self.closest]
            else:
                lines.append(say(msg("No close match either. Check the value, or list what the store holds with: "
                                     "hopnhat continuity export"), lang))
            return lines
        sources = sorted({m.source_system for m in self.matches})
        lines = [say(msg("{value}: {matches} match(es), {records} record(s), from {sources}",
                         value=self.query if unmask else mask_typed(self.query), matches=len(self.matches),
                         records=self.records, sources=", ".join(sources)), lang)]
        if self.records > 1:
            lines.append(say(msg("  Several records carry this identifier: each is listed with its source; "
                                 "none is picked."), lang))
        for n, m in enumerate(self.matches, 1):
            block = m.describe(unmask=unmask, lang=lang)
            lines.append(f"[{n}] {block[0]}")
            lines += [f"    {line}" for line in block[1:]]
        if self.truncated:
            lines.append(say(msg("(only the first {n} shown; narrow with --kind or --source)", n=len(self.matches)),
                             lang))
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
    """Old identifier rows -> matches with their new record, commune and status (primary-key reads).

    Follows the entity registry: a record not placed by its own fields (a file, a
    document) is shown with the record it hangs from (its dossier, its account),
    which gives the new commune; the numbered record reached (a dossier) gives the
    number and status.
    """
    rows = list(rows)
    ids: dict[str, set[int]] = {}
    for r in rows:
        if r.target_table is not None:
            ids.setdefault(r.target_table, set()).add(int(r.target_id))
    found: dict[str, dict[int, Row]] = {}
    for e in reversed(tuple(REGISTRY.values())):  # children before their parents: the parents' ids are known
        wanted = ids.get(e.store_table_name)
        if not wanted:
            continue
        table = e.store_table
        found[e.name] = _by_id(conn, table, wanted, *(table.c[c] for c in _shown(e)))
        link = _climbs(e)
        if link is not None:
            parent = REGISTRY[link.entity].store_table_name
            ids.setdefault(parent, set()).update(
                getattr(row, link.column) for row in found[e.name].values() if getattr(row, link.column))
    placed = {row.new_commune_code for e in REGISTRY.values() if e.placed for row in found.get(e.name, {}).values()}
    communes = {c for c in placed if c}
    units = {}
    if communes:
        units = {u.code: u for part in each_one_of(conn, new_unit.c.code, sorted(communes)) for u in conn.execute(
            select(new_unit.c.code, new_unit.c.name, new_unit.c.province_name).where(part))}
    reasons = _quarantine_reasons(conn, [r for r in rows if r.target_table is None])
    out = []
    for r in rows:
        extra: dict = {}
        if r.target_table is None:
            extra.update(note=reasons.get((r.source_system, r.source_table, r.source_key)))
        else:
            extra.update(_where_now(_BY_TABLE[r.target_table], int(r.target_id), found))
        unit = units.get(extra.get("new_commune_code"))
        if unit is not None:
            extra.update(new_commune_name=unit.name, new_province_name=unit.province_name)
        out.append(Match(r.kind, r.value, r.source_system, r.source_table, r.source_key, r.state,
                         r.target_table, int(r.target_id) if r.target_id is not None else None, **extra))
    return out


_BY_TABLE = {e.store_table_name: e for e in REGISTRY.values()}


def _climbs(e: Entity) -> ParentLink | None:
    """The link a lookup follows from a record of ``e``: to its parent, unless its own fields place it."""
    return e.parent if e.parent is not None and not e.placed else None


def _shown(e: Entity) -> tuple[str, ...]:
    """The columns of ``e`` a lookup reads: the link it follows, file state, new commune, number, status."""
    link = _climbs(e)
    return tuple(dict.fromkeys((
        *((link.column,) if link else ()), *(("file_state",) if e.files else ()),
        *(("new_commune_code",) if e.placed else ()), *((e.field(e.number).store_column,) if e.number else ()),
        *(e.field(f).store_column for f in e.status_fields()))))


def _where_now(e: Entity, target_id: int, found: dict[str, dict[int, Row]]) -> dict:
    """What a match shows of its record: the record it hangs from, the numbered one's number and status (or
    its own status), the placed one's new commune; a note when it, or the record placing it, is gone."""
    row = found.get(e.name, {}).get(target_id)
    extra: dict = {}
    status = _status(e, row)
    gone = msg("{table} {id} is no longer in the store: rebuild the index (hopnhat continuity index)",
               table=e.store_table_name, id=str(target_id))
    link = _climbs(e)
    if row is not None:
        notes = []
        if link is not None:
            parent_id = getattr(row, link.column)
            if REGISTRY[link.entity].number:  # a file of a dossier: the dossier's id
                extra.update(dossier_id=parent_id)
            else:
                notes.append(msg("{entity} of {parent} {id}", entity=e.name, parent=link.entity, id=str(parent_id)))
        if e.files:
            notes.append(msg("file {state}", state=row.file_state))  # the state is a machine name (stored, missing)
        if notes:
            extra.update(note=notes[0] if len(notes) == 1 else msg("{first}, {second}", first=notes[0],
                                                                   second=notes[1]))
    while row is not None and link is not None:  # up to the record its place comes from
        e = REGISTRY[link.entity]
        parent_id = getattr(row, link.column)
        row = found.get(e.name, {}).get(parent_id) if parent_id else None
        status = status or (_status(e, row) if e.number else None)
        link = _climbs(e)
    if row is None:
        return extra | {"note": gone}
    if e.number:
        extra.update(dossier_no=getattr(row, e.field(e.number).store_column))
    if status is not None:
        extra.update(status=status)
    extra.update(new_commune_code=row.new_commune_code)
    return extra


def _status(e: Entity, row: Row | None) -> str | None:
    if row is None or not e.status:
        return None
    return e.status.format(**{f: getattr(row, e.field(f).store_column) for f in e.status_fields()})


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
    out: dict[tuple[str, str, str], str] = {}
    for (system, table), keys in by_table.items():
        for wanted in each_one_of(conn, q.source_key, sorted(keys)):
            for found in conn.execute(select(q.source_key, q.field, q.reason).where(
                    q.source_system == system, q.source_table == table, wanted)):
                out[(system, table, found.source_key)] = Message(  # a layout: the reason is said where shown
                    "{field}: {reason}", {"field": found.field, "reason": REASONS.recorded(found.reason)})
    return out
