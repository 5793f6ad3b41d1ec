"""Check a profile against a live source, and draft a profile from what a source holds.

``check_profile(profile, source)`` names every unknown table or column with the
closest existing names, and every legacy code that a lookup does not cover
(those records would be quarantined). ``inventory(source)`` lists tables, row
counts and candidate keys; ``draft_profile(inventory)`` proposes TOML to edit.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Literal

from migrate.core.entities import ENTITIES
from migrate.core.records import DERIVED, EntitySpec, fold, template_columns
from adapters.profiles import SourceProfile
from adapters import sheets
from migrate.core import canonical
from migrate.core.canonical import FIELDS, converter, excluder
from migrate.core.errors import SourceError
from migrate.core.i18n import Language, language
from migrate.core.messages import Message, msg, say
from migrate.core.recorded import Phrasebook
from migrate.store import limits

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    level: Level
    where: str  # entity part, e.g. "dossier_file"
    message: str  # a Message (English as text), said in the user's language by ProfileCheck.summary


@dataclass
class ProfileCheck:
    profile: str
    source: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def summary(self, lang: Language | None = None) -> str:
        """What ``hopnhat source check`` prints, in ``lang`` (English by default); parts stay profile names."""
        lang = lang or language()
        values = dict(profile=self.profile, source=self.source)
        lines = [say(msg("Profile {profile} against source {source}: OK", **values) if self.ok else
                     msg("Profile {profile} against source {source}: problems found", **values), lang)]
        words = {level: say(word, lang) for level, word in LEVELS.items()}
        width = max(8, *(len(w) + 1 for w in words.values()))
        for f in self.findings:
            lines.append(f"  {words[f.level]:<{width}}{f.where}: {say(f.message, lang)}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"profile": self.profile, "source": self.source, "ok": self.ok,
                "findings": [asdict(f) for f in self.findings]}


LEVELS: dict[str, Message] = {"error": msg("error"), "warning": msg("warning"), "info": msg("info")}


def closest(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """Closest names, ignoring case (difflib)."""
    lowered = {c.lower(): c for c in candidates}
    return [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)]


def _unknown(name: str, candidates: list[str], *, role: str = "", table: str = "") -> Message:
    """``unknown table 'x'`` or ``unknown column (role) in T 'x'``, with the closest names when there are some."""
    near = ", ".join(closest(name, candidates))
    if not role:
        return (msg("unknown table '{name}'; closest: {near}", name=name, near=near) if near
                else msg("unknown table '{name}'", name=name))
    return (msg("unknown column ({role}) in {table} '{name}'; closest: {near}", role=role, table=table, name=name,
                near=near) if near
            else msg("unknown column ({role}) in {table} '{name}'", role=role, table=table, name=name))


SAMPLE = 1000  # records per part whose values are converted by ``check_profile``


def check_profile(profile: SourceProfile, source, *, sample: int = SAMPLE) -> ProfileCheck:
    """Every problem the profile has against this source, at once.

    Unknown tables and columns are errors (``hopnhat run`` refuses to start on them: see
    :func:`schema_findings`); the first ``sample`` records of each part are converted as a
    run would, and fields whose conversion fails are warnings with an example value.
    """
    result = ProfileCheck(profile.name, source.name)
    catalog = _Catalog(source)
    for spec in profile.ordered():
        errors = _part_schema_findings(spec, catalog)
        result.findings += errors
        if not errors:
            result.findings += _lookup_findings(spec, source)
            result.findings += _conversion_findings(spec, source, sample)
            result.findings.append(Finding("info", spec.label, msg("{table}: {n} rows", table=spec.table,
                                                                   n=source.count(spec))))
    return result


def schema_findings(profile: SourceProfile, source) -> list[Finding]:
    """The errors of :func:`check_profile` alone: every table and column the profile names that the
    source lacks (with the closest names). Reads no rows."""
    catalog = _Catalog(source)
    return [f for spec in profile.ordered() for f in _part_schema_findings(spec, catalog)]


class _Catalog:
    """The source's table names and each table's columns, read once (None: the table cannot be read)."""

    def __init__(self, source) -> None:
        self.source = source
        self._names: list[str] | None = None
        self._columns: dict[str, list[str] | None] = {}
        self.errors: dict[str, SourceError] = {}

    def names(self) -> list[str]:
        if self._names is None:
            self._names = self.source.table_names()
        return self._names

    def columns(self, table: str, spec: EntitySpec) -> list[str] | None:
        if table not in self._columns:
            try:
                self._columns[table] = list(self.source.columns(table, entity=spec))
            except SourceError as exc:
                self._columns[table] = None
                self.errors[table] = exc
        return self._columns[table]

    def problem(self, table: str) -> Message:
        """Why a table cannot be read: unknown (with the closest names), or what reading it said."""
        listed = {n.lower() for n in self.names()}
        if table.lower() in listed and table in self.errors:  # it exists: an export the layout cannot read
            return self.errors[table].as_message()
        return _unknown(table, self.names())


def _part_schema_findings(spec: EntitySpec, catalog: _Catalog) -> list[Finding]:
    where = spec.label
    names = [spec.table, *(j.table for j in spec.joins)]
    missing_tables = [t for t in names if catalog.columns(t, spec) is None]
    if missing_tables:
        return [Finding("error", where, catalog.problem(t)) for t in missing_tables]
    out = []
    joined = sorted((j.table for j in spec.joins), key=len, reverse=True)
    for ref, role in _references(spec):
        table = next((j for j in joined if ref.startswith(j + ".") and j != spec.table), spec.table)
        column = ref[len(table) + 1:] if table != spec.table else ref
        columns = catalog.columns(table, spec) or []
        if column.lower() not in {c.lower() for c in columns}:
            out.append(Finding("error", where, _unknown(column, columns, role=role, table=table)))
    return out


# a conversion's quarantine reason and an export row's exclusion reason, said in the reader's language (a profile's
# own exclusion reason stays as it is written)
_REASONS = Phrasebook.of((*canonical.REASONS, *sheets.EXCLUDED), ("problem",), (*canonical.PROBLEMS, *limits.PROBLEMS))


def _conversion_findings(spec: EntitySpec, source, sample: int) -> list[Finding]:
    """Fields whose conversion fails on some of the first ``sample`` records (they would be quarantined),
    and how many of them are excluded, per reason (exclude rules; blank and totals rows of an export)."""
    convert, exclude = converter(spec), excluder(spec)
    failed: dict[str, list[str]] = {}
    excluded: dict[str, int] = {}
    seen = 0
    for page in source.read(spec, after=None, batch_size=min(sample, 1000)):
        for raw in page:
            seen += 1
            reason = exclude(raw)
            if reason is not None:
                excluded[reason] = excluded.get(reason, 0) + 1
                continue
            _, rejection = convert(raw)
            if rejection is not None:
                failed.setdefault(rejection.field, []).append(rejection.reason)
        if seen >= sample:
            break
    out = [Finding("warning", spec.label, msg("{field}: {n} of the first {seen} records would be quarantined, "
                                              "e.g. {reason}", field=field, n=len(reasons), seen=seen,
                                              reason=_REASONS.recorded(reasons[0])))
           for field, reasons in sorted(failed.items())]
    if excluded:
        out.append(Finding("info", spec.label, msg("{n} of the first {seen} records excluded: {reasons}",
                                                   n=sum(excluded.values()), seen=seen, reasons=tuple(
                                                       msg("{reason}: {n}", reason=_REASONS.recorded(reason), n=n)
                                                       for reason, n in sorted(excluded.items())))))
    return out


def _references(spec: EntitySpec) -> list[tuple[str, str]]:
    refs = [(k, "key") for k in spec.key]
    refs += [(c, f"field {f}") for f, c in spec.columns.items() if not c.startswith(DERIVED)]
    refs += [(c, f"compose {f}") for f, t in spec.compose.items() for c in template_columns(t)]
    refs += [(c, f"choose {f}") for f, chs in spec.choose.items() for ch in chs for c in (ch.column, ch.when)]
    refs += [(c, f"field {f}") for f, cs in spec.fallbacks.items() for c in cs]
    refs += [(e.column, f"exclude ({e.reason})") for e in spec.exclude]
    refs += [(link.by, f"links {f}") for f, link in spec.links.items() if link.by]
    refs += [(f"{j.table}.{j.latest}", f"join {j.table} several") for j in spec.joins if j.latest]
    refs += [(left, f"join {j.table}") for j in spec.joins for left, _ in j.on]
    refs += [(f"{j.table}.{right}", f"join {j.table}") for j in spec.joins for _, right in j.on]
    if spec.modified:
        refs.append((spec.modified, "modified"))
    return refs


def _lookup_findings(spec: EntitySpec, source) -> list[Finding]:
    out = []
    for field_name, lookup in spec.lookups.items():
        column = spec.columns.get(field_name, "")
        if not column or column.startswith(DERIVED) or "." in column:
            continue
        try:
            values = source.distinct_values(spec.table, column)
        except SourceError:
            continue
        known = {fold(k) for k in lookup}
        nulls = set(spec.nulls.get(field_name, ())) | set(spec.nulls.get("*", ()))
        uncovered = sorted({str(v).strip() for v in values if v is not None and str(v).strip()
                            and fold(v) not in known and fold(v) not in nulls})
        if uncovered:
            out.append(Finding("warning", spec.label,
                               msg("{column} values with no lookup for {field} (their records will be "
                                   "quarantined): {values}", column=column, field=field_name,
                                   values=", ".join(uncovered[:20]))))
    return out


# --- inventory and draft ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    columns: dict[str, str]
    keys: list[tuple[str, ...]]


def inventory(source) -> list[TableInfo]:
    out = []
    for name in source.table_names():
        columns = source.columns(name)
        keys = source.candidate_keys(name) or _guess_keys(name, list(columns))
        out.append(TableInfo(name, source.row_count(name), columns, keys))
    return out


def _guess_keys(table: str, columns: list[str]) -> list[tuple[str, ...]]:
    """Without constraints (exports): a column named id, <table>id or <table>_id."""
    wanted = {"id", f"{table.lower()}id", f"{table.lower()}_id"}
    return [(c,) for c in columns if c.lower() in wanted]


def render_inventory(tables: list[TableInfo], lang: Language | None = None) -> str:
    """The table of ``hopnhat source inspect``: headings and row counts in ``lang`` (table names as they are)."""
    lang = lang or language()
    table, rows, keys_head = (say(word, lang) for word in (msg("table"), msg("rows"), msg("candidate keys")))
    lines = [f"{table:<32}{rows:>10}  {keys_head}"]
    for t in tables:
        keys = "; ".join(", ".join(k) for k in t.keys) or "-"
        lines.append(f"{t.name:<32}{lang.number(t.rows):>10}  {keys}")
    return "\n".join(lines)


TABLE_HINTS = {  # words legacy table names hold for each entity (a test keeps it to the registry's)
    "account": ("applicant", "account", "taikhoan", "user", "congdan", "nguoidung"),
    "dossier": ("dossier", "hoso"),
    "dossier_event": ("action", "log", "history", "quatrinh", "xuly", "event"),
    "dossier_file": ("file", "tep", "dinhkem", "attach"),
    "document": ("deliverable", "document", "khodulieu", "giayto", "ketqua"),
}
_SYNONYMS = {
    "kind": ("applicantidtype", "loaitaikhoan", "kind", "type"),
    "username": ("username", "tendangnhap", "screenname", "login"),
    "full_name": ("fullname", "applicantname", "hoten", "name"),
    "id_number": ("cccd", "socccd", "idno", "applicantidno", "socmnd"),
    "tax_code": ("taxcode", "masothue", "mst"),
    "birth_date": ("birthdate", "ngaysinh", "dob"),
    "phone": ("phone", "telno", "contacttelno", "mobile", "dienthoai"),
    "email": ("email", "contactemail"),
    "address": ("address", "diachi"),
    "province_code": ("citycode", "matinh", "provincecode"),
    "district_code": ("districtcode", "mahuyen"),
    "commune_code": ("wardcode", "maxa", "communecode"),
    "created_at": ("createdate", "ngaytao", "createdat"),
    "dossier_no": ("dossierno", "sohoso"),
    "procedure_code": ("servicecode", "mathutuc", "procedurecode"),
    "procedure_name": ("servicename", "tenthutuc"),
    "agency_code": ("govagencycode", "macoquan", "agencycode"),
    "agency_name": ("govagencyname", "tencoquan"),
    "applicant_account_key": ("applicantid", "taikhoanid", "accountid"),
    "applicant_id_number": ("applicantidno", "sogiayto"),
    "applicant_name": ("applicantname", "tennguoinop"),
    "submitted_at": ("submitdate", "ngaynop"),
    "received_at": ("receivedate", "ngaytiepnhan"),
    "due_at": ("duedate", "ngayhentra"),
    "finished_at": ("finishdate", "ngaytra"),
    "status": ("dossierstatus", "trangthai", "status"),
    "modified_at": ("modifieddate", "ngaycapnhat"),
    "dossier_key": ("dossierid", "hosoid"),
    "action_code": ("actioncode", "mabuoc"),
    "action_name": ("actionname", "tenbuoc"),
    "actor": ("actionuser", "author", "nguoixuly"),
    "occurred_at": ("createdate", "thoigian"),
    "note": ("actionnote", "content", "noidung", "note"),
    "file_name": ("filename", "tentep", "displayname"),
    "path": ("path", "duongdan", "filepath"),
    "size": ("size", "size_", "kichthuoc"),
    "sha256": ("sha256", "mahash", "checksum"),
    "owner_account_key": ("applicantid", "taikhoanid", "ownerid"),
    "owner_id_number": ("applicantidno", "sogiayto"),
    "doc_type": ("deliverabletype", "loaigiayto", "doctype"),
    "title": ("deliverablename", "tengiayto", "title"),
    "doc_no": ("deliverablecode", "sokyhieu", "docno"),
    "issued_at": ("issuedate", "ngaycap"),
    "issuer": ("govagencyname", "coquancap", "issuer"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _match(field_name: str, columns: list[str]) -> str | None:
    by_norm = {_norm(c): c for c in columns}
    for synonym in _SYNONYMS.get(field_name, ()) + (_norm(field_name),):
        if _norm(synonym) in by_norm:
            return by_norm[_norm(synonym)]
    return None


def draft_profile(tables: list[TableInfo], *, name: str, engine: str) -> str:
    """A profile to edit: the likeliest table for each entity and the columns that match by name."""
    lines = [f"# Draft source profile for {_comment(name)}, written by `hopnhat source inspect`.",
             "# Review every mapping; fields left commented out had no column matching by name.",
             "", "[source]", f"name = {_toml(name)}", f"engine = {_toml(engine)}",
             f'url_env = "HOPNHAT_SOURCE_{_norm(name).upper()}_URL"', '# old_province = "35"',
             '# files_root = "attachments"', '# text_encoding = "auto"']
    used: set[str] = set()
    for entity in ENTITIES:
        best = _best_table(entity, tables, used)
        if best is None:
            lines += ["", f"# [entity.{entity}]: no table looks like it; add one if the source has it"]
            continue
        used.add(best.name)
        cols = list(best.columns)
        key = best.keys[0] if best.keys else ()
        lines += ["", f"[entity.{entity}]", f"table = {_toml(best.name)}  # {best.rows} rows",
                  "key = [" + ", ".join(_toml(k) for k in key) + "]" + ("" if key else "  # name the key columns")]
        modified = _match("modified_at", cols)
        if modified:
            lines.append(f"modified = {_toml(modified)}")
        lines.append(f"[entity.{entity}.columns]")
        for field_name, meta in FIELDS[entity].items():
            column = _match(field_name, cols)
            if column:
                lines.append(f"{field_name} = {_toml(column)}")
            else:
                lines.append(f'# {field_name} = ""' + ("  # required" if meta.required else ""))
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    """One TOML value, quoted and escaped by a TOML writer (names may hold quotes, backslashes, newlines)."""
    import tomli_w

    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def _best_table(entity: str, tables: list[TableInfo], used: set[str]) -> TableInfo | None:
    scored = []
    for t in tables:
        if t.name in used:
            continue
        hint = any(h in _norm(t.name) for h in TABLE_HINTS.get(entity, (_norm(entity),)))
        matched = sum(1 for f in FIELDS[entity] if _match(f, list(t.columns)))
        if hint or matched >= 3:
            scored.append((hint * 5 + matched, t.rows, t.name, t))
    return max(scored)[3] if scored else None
