"""Source profiles: TOML data saying which legacy tables and columns make up each entity.

A profile names the environment variable that holds the source URL, never
the URL itself. Every problem found is reported at once.

Beyond table, key and columns, an entity may have:

- ``[entity.X.join.TABLE] on = { mainColumn = "tableColumn" }``: a left outer
  join; columns then name ``"TABLE.column"``;
- ``[entity.X.lookups.FIELD]``: legacy code -> canonical value;
- ``[entity.X.convert]``: conversions (see ``migrate.core.canonical``);
- ``[entity.X.constants]``: fixed values (``kind = "staff"``);
- ``[entity.X.compose]``: text built from columns, ``"{companyId}/{DLFileEntry.name}"``;
- ``[entity.X.choose.FIELD] column = "idNo", when = { idType = ["citizen"] }``: a
  column's value only on rows where another column holds one of the values;
- ``modified``: the watermark column for delta extraction;
- ``text``: overrides ``[source] text_encoding`` (none, nfc, auto, tcvn3, vni, cp1258).

``[export.TABLE]`` (engine ``files``) says how a clerk saved one export file: the header
row under title rows, the sheets read, merged blocks filled or refused, totals-row labels.

Several legacy tables can feed one canonical entity: ``[entity."dossier_event.log"]``
is another part of ``dossier_event`` with its own table; each part keeps its
own lineage (source table) and its own snapshot count.

Built-in profiles (``BUILTIN``) load by name: ``load_profile("opencps-v2")``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from migrate.core.entities import ENTITIES, REGISTRY
from migrate.core.records import DERIVED, MAIN_ACCOUNT, Choice, EntitySpec, Exclusion, Join, Link, SheetLayout, TOTALS, \
    fold, template_columns
from adapters.text import MODES
from migrate.core.canonical import ACCEPTS, FIELDS, KNOWN_CONVERSIONS, SIZE_UNITS
from migrate.core.errors import ConfigError
from migrate.core.tomlcheck import Problems, keys_of
from migrate.core.messages import msg
from migrate.core.tomlfile import read_toml

# every key a profile may hold, with what it means (``hopnhat source fields`` prints these)
SOURCE_KEYS = {
    "name": "source name, in lineage and reports (required)",
    "engine": "sqlite, postgresql, mssql or files (required)",
    "url_env": "environment variable holding the source URL; the URL never goes in a profile (required)",
    "old_province": "2-digit code of the former province, when records omit it",
    "files_root": "folder of the attachments, resolved against the profile's own folder",
    "files_root_env": "environment variable naming that folder instead",
    "description": "free text",
    "text_encoding": "none, nfc, auto, tcvn3, vni or cp1258: legacy Vietnamese encodings converted to NFC",
}
ENTITY_KEYS = {
    "table": "legacy table; \"schema.table\" names another schema (PostgreSQL, SQL Server); names are quoted",
    "key": "list of key columns (keyset pages, lineage)",
    "columns": "field = \"column\", \"Join.column\", or [\"col1\", \"col2\"]: the first non-empty of several",
    "lookups": "[lookups.FIELD] legacy value = canonical value; case and surrounding spaces ignored",
    "convert": "field = conversion[:format]; accepted per field kind below (date:%d/%m/%Y, bytes:KB)",
    "nulls": "[\"N/A\", \"-1\"] for every field, or { \"*\" = [...], FIELD = [\"1900-01-01\"] }: values read as NULL",
    "null_columns": "{ column = [0] }: a column's values read as NULL wherever it is used (compose, choose, fields)",
    "exclude": "[[exclude]] column, values (or present = true: any value, a DeletedAt date), reason: rows set aside, counted as excluded in conservation",
    "links": "[links.applicant_account_key|owner_account_key] part = \"account.X\", or by = column with "
             "parts = { value = \"account.X\" }: the account part a key points into",
    "attachment": "\"required\" (default) or \"optional\": a dossier file naming no file loads without one",
    "remap": "false: the part's records get no new commune (staff)",
    "modified": "watermark column for delta extraction",
    "join": "[join.TABLE] on = { mainColumn = \"tableColumn\" }, several = \"quarantine\" (default) or "
            "\"latest:COLUMN\" when it matches several rows",
    "constants": "field = fixed value (kind = \"staff\")",
    "compose": "field = \"{col}/{Join.col}\" text built from columns",
    "choose": "[choose.FIELD] column, when = { column = [values] }; [[choose.FIELD]] for several, first applies",
    "text": "overrides [source] text_encoding for this part",
}
EXPORT_KEYS = {
    "header_row": "1-based row of the column names (title rows above it are no records; default 1)",
    "sheets": "\"all\" (every sheet holding data, hidden ones too, the same header on each) or [\"2023\", \"2024\"]; "
              "default: the workbook's only sheet holding data (several are refused, never one silently)",
    "merged": "\"refuse\" (default: a merged block over data rows is an error naming it) or \"fill\" "
              "(its value in every cell of the block)",
    "totals": "first-cell labels of totals rows, excluded with their reason (default: Tổng cộng, Tổng, Cộng, "
              "Total; [] for none)",
}
# entity -> its field naming an account (a link, which may name the account part it points into)
LINK_FIELDS = {e.name: e.parent.field for e in REGISTRY.values() if e.parent and REGISTRY[e.parent.entity].merges}
_PART = re.compile(r"^([a-z_]+)(?:\.([a-z0-9_]+))?$")
BUILTIN = ("demo-portal", "opencps-v2")


@dataclass(frozen=True)
class SourceProfile:
    name: str
    engine: str
    url_env: str
    old_province: str | None
    files_root: Path | None  # resolved against the profile's folder
    files_root_env: str | None
    entities: Mapping[str, EntitySpec]
    path: Path
    sha256: str
    text_encoding: str = "none"
    description: str = ""

    def parts(self, entity: str) -> tuple[EntitySpec, ...]:
        """Every part of one canonical entity, the main one first."""
        return tuple(spec for spec in self.entities.values() if spec.name == entity)

    def ordered(self) -> tuple[EntitySpec, ...]:
        """All parts in load order (parents before children: migrate.core.entities.ENTITIES)."""
        return tuple(spec for name in ENTITIES for spec in self.parts(name))


# The keys a [source] and an [entity.X] table may hold: the fields they are read into (a part's
# fallbacks are written as a list of columns in ``columns``; its layouts come from [export.*]); SOURCE_KEYS and
# ENTITY_KEYS describe each.
_SOURCE_KEYS = keys_of(SourceProfile, skip=("entities", "path", "sha256"))
_ENTITY_KEYS = keys_of(EntitySpec, skip=("name", "part", "fallbacks", "layouts", "delta"), rename={"joins": "join"})


def builtin_profile_path(name: str) -> Path:
    """The file of a built-in profile (shipped in ``adapters/profiles/``)."""
    if name not in BUILTIN:
        raise ConfigError(msg("no built-in profile {name}; built in: {known}", name=repr(name), known=", ".join(BUILTIN)))
    return Path(str(resources.files("adapters").joinpath("profiles", f"{name}.toml")))


def load_profile(path: str | Path) -> SourceProfile:
    """Read a profile file, or a built-in profile by name (``opencps-v2``)."""
    if isinstance(path, str) and path in BUILTIN and not Path(path).exists():
        path = builtin_profile_path(path)
    path = Path(path)
    data, raw = read_toml(path, msg("profile"))
    problems = Problems(msg("profile {path}", path=str(path)))
    source = data.get("source")
    if not isinstance(source, dict):
        raise ConfigError(msg("profile {path}: missing [source] table", path=str(path)))
    problems.unknown("[source]", source, _SOURCE_KEYS)
    problems.required("[source]", source, ("name", "engine", "url_env"))
    if "url" in source or "password" in source:
        problems.add("", msg("profiles must not hold URLs or passwords; use url_env"))
    text_encoding = source.get("text_encoding", "none")
    if not problems.one_of("[source]", "text_encoding", text_encoding, MODES):
        text_encoding = "none"
    for unknown in sorted(set(data) - {"source", "entity", "export"}):
        problems.add("", msg("unknown section [{section}]; known: [source], [entity.NAME], [export.TABLE]",
                             section=unknown))
    layouts = _layouts(problems, data.get("export"), source.get("engine"))
    entities = {}
    for name, spec in problems.table("[entity]", data.get("entity") or {}).items():
        entity = _entity(problems, name, spec, text_encoding)
        if entity is not None:
            tables = {entity.table, *(j.table for j in entity.joins)}
            entities[name] = replace(entity, layouts={t: layouts[t] for t in sorted(tables) if t in layouts})
    if not entities:
        problems.add("", msg("no [entity.*] tables"))
    used = {t for e in entities.values() for t in e.layouts}
    for table in sorted(set(layouts) - used) if entities else ():
        problems.add(f"[export.{table}]", msg("names no table of an [entity.*] (or its joins)"))
    _link_problems(problems, entities)
    problems.raise_any()
    files_root = source.get("files_root")
    return SourceProfile(
        name=source["name"],
        engine=source["engine"],
        url_env=source["url_env"],
        old_province=str(source["old_province"]) if source.get("old_province") else None,
        files_root=(path.parent / files_root).resolve() if files_root else None,
        files_root_env=source.get("files_root_env"),
        entities=entities,
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        text_encoding=text_encoding,
        description=str(source.get("description") or ""),
    )


def _entity(problems: Problems, label: str, spec: object, text_encoding: str) -> EntitySpec | None:
    where = f"[entity.{label}]"
    match = _PART.match(label)
    name = match.group(1) if match else label
    if match is None or name not in ENTITIES:
        problems.add(where, msg("unknown entity; known: {known} (another table for one of them: "
                                "\"dossier_event.log\")", known=", ".join(ENTITIES)))
        return None
    if not isinstance(spec, dict):
        problems.add(where, msg("must be a table"))
        return None
    found = len(problems.lines)
    problems.unknown(where, spec, _ENTITY_KEYS)
    table, key = spec.get("table"), spec.get("key")
    columns, fallbacks = {}, {}
    for field, column in (spec.get("columns") or {}).items():
        if isinstance(column, list) and column and all(isinstance(c, str) for c in column):
            fallbacks[str(field)] = tuple(column)  # the first non-empty of several columns
        elif isinstance(column, str) and column:
            columns[str(field)] = column
        else:
            problems.add(where, msg("column of '{field}' must be a column name or a list of them", field=field))
    constants = {str(f): str(v) for f, v in (spec.get("constants") or {}).items()}
    compose = {str(f): str(v) for f, v in (spec.get("compose") or {}).items()}
    choose = _choices(problems, where, spec.get("choose") or {})
    problems.required(where, spec, ("table",))
    if not key or not isinstance(key, list):
        problems.add(where, msg("needs 'key' as a list of columns"))
    joins = _joins(problems, where, spec.get("join") or {})
    derived = [*constants, *compose, *choose, *fallbacks]
    for field in sorted(set(derived) & set(columns)):
        problems.add(where, msg("field '{field}' has a column and a constant, compose or choose; keep one",
                                field=field))
    for field in sorted({f for f in derived if derived.count(f) > 1}):
        problems.add(where, msg("field '{field}' is derived twice (constants, compose, choose, a column list); "
                                "keep one", field=field))
    for field in derived:
        columns.setdefault(field, DERIVED + field)
    for field, template in compose.items():
        try:
            template_columns(template)
        except ValueError as exc:
            problems.add(where, msg("compose '{field}' is not a valid template: {problem}", field=field,
                                    problem=str(exc)))
    fields = FIELDS[name]
    for field in sorted(set(columns) - set(fields)):
        problems.add(where, msg("unknown field '{field}'; known: {known}", field=field, known=", ".join(fields)))
    for field, meta in fields.items():
        if meta.required and field not in columns:
            problems.add(where, msg("required field '{field}' has no column", field=field))
    convert = spec.get("convert") or {}
    for field, conversion in convert.items():
        how, _, unit = str(conversion).partition(":")
        if how not in KNOWN_CONVERSIONS:
            problems.add(where, msg("field '{field}' has unknown conversion '{conversion}'; known: {known}",
                                    field=field, conversion=conversion, known=", ".join(KNOWN_CONVERSIONS)))
        elif field in fields and how not in ACCEPTS[fields[field].kind]:
            problems.add(where, msg("field '{field}' is a {kind}: conversion '{how}' would not give one; "
                                    "accepted: {accepted}", field=field, kind=fields[field].kind, how=how,
                                    accepted=", ".join(ACCEPTS[fields[field].kind])))
        elif how == "bytes" and unit.lower() not in SIZE_UNITS:
            problems.add(where, msg("field '{field}' conversion '{conversion}': the unit must be one of "
                                    "{units} (bytes:MB)", field=field, conversion=conversion,
                                    units=", ".join(u.upper() for u in SIZE_UNITS)))
    text = spec.get("text", text_encoding)
    problems.one_of(where, "text", text, MODES)
    lookups = {f: {str(k): str(v) for k, v in m.items()} for f, m in (spec.get("lookups") or {}).items()}
    for field, mapping in lookups.items():
        folded: dict[str, str] = {}
        for k, v in mapping.items():
            if folded.setdefault(fold(k), v) != v:
                problems.add(where, msg("lookups.{field} has '{value}' and another value differing only in case "
                                        "or spaces, with different results; lookups ignore case and spaces: "
                                        "keep one", field=field, value=k))
    nulls = _nulls(problems, where, spec.get("nulls"), fields)
    null_columns = spec.get("null_columns") or {}
    if not isinstance(null_columns, dict) or not all(isinstance(v, list) for v in null_columns.values()):
        problems.add(where, msg("null_columns must be a table column = [values] (a legacy column's "
                                "values that mean NULL wherever the column is used: compose, choose, fields)"))
        null_columns = {}
    exclude = _exclusions(problems, where, spec.get("exclude"))
    links = _links(problems, where, name, spec.get("links"))
    attachment = spec.get("attachment", "required")
    if attachment not in ("required", "optional"):
        problems.add(where, msg("attachment must be \"required\" or \"optional\" (a record naming no file "
                                "is loaded without one)"))
    remap = spec.get("remap", True)
    if not isinstance(remap, bool):
        problems.add(where, msg("remap must be true or false"))
    if len(problems.lines) > found:
        return None
    return EntitySpec(
        name=name,
        table=str(table),
        key=tuple(key or ()),
        columns=columns,
        lookups=lookups,
        convert=dict(convert),
        modified=spec.get("modified"),
        joins=joins,
        constants=constants,
        compose=compose,
        choose=choose,
        text=text,
        part=label if label != name else "",
        fallbacks=fallbacks,
        nulls=nulls,
        null_columns={str(c): tuple(fold(v) for v in vs) for c, vs in null_columns.items()},
        exclude=exclude,
        links=links,
        attachment=attachment,
        remap=remap,
    )


def _layouts(problems: Problems, raw: object, engine: object) -> dict[str, SheetLayout]:
    """``[export.HoSo] header_row = 3, sheets = "all", merged = "fill", totals = ["Tổng cộng"]``."""
    if raw is None:
        return {}
    if engine != "files":
        problems.add("[export.*]", msg("describes spreadsheet and CSV exports: only for engine = \"files\""))
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        problems.add("[export.TABLE]", msg("must be tables (header_row, sheets, merged, totals)"))
        return {}
    out: dict[str, SheetLayout] = {}
    for table, body in raw.items():
        where = f"[export.{table}]"
        problems.unknown(where, body, EXPORT_KEYS)
        header = body.get("header_row", 1)
        if isinstance(header, bool) or not isinstance(header, int) or header < 1:
            problems.add(where, msg("header_row must be a row number (1 = the first row)"))
            header = 1
        sheets = body.get("sheets", ())
        if sheets == "all":
            sheets = ("*",)
        elif isinstance(sheets, list) and sheets and all(isinstance(x, str) and x for x in sheets):
            sheets = tuple(sheets)
        elif sheets != ():
            problems.add(where, msg("sheets must be \"all\" or a list of sheet names"))
            sheets = ()
        merged = body.get("merged", "refuse")
        if merged not in ("refuse", "fill"):
            problems.add(where, msg("merged must be \"refuse\" or \"fill\""))
            merged = "refuse"
        totals = body.get("totals")
        if totals is not None and not (isinstance(totals, list) and all(isinstance(x, str) for x in totals)):
            problems.add(where, msg("totals must be a list of labels ([] for none)"))
            totals = None
        labels = TOTALS if totals is None else tuple(fold(x) for x in totals)
        out[str(table)] = SheetLayout(header_row=header, sheets=sheets, merged=merged, totals=labels)
    return out


def _joins(problems: Problems, where: str, raw: object) -> tuple[Join, ...]:
    if not isinstance(raw, dict):
        problems.add(where, msg("'join' must be tables: [entity.X.join.TABLE] on = {{ column = \"column\" }}"))
        return ()
    joins = []
    for table, body in raw.items():
        on = body.get("on") if isinstance(body, dict) else None
        if not isinstance(on, dict) or not on:
            problems.add(where, msg("join {table} needs on = {{ mainColumn = \"{table}Column\" }}", table=table))
            continue
        problems.unknown(f"{where} join {table}", body, keys_of(Join, skip=("table",)))
        several = str(body.get("several", "quarantine"))
        if several != "quarantine" and not (several.startswith("latest:") and len(several) > len("latest:")):
            problems.add(where, msg("join {table} several = \"{several}\": use \"quarantine\" (a record whose "
                                    "join matches several rows is quarantined) or \"latest:COLUMN\" (the row with "
                                    "the highest COLUMN is kept)", table=table, several=several))
        joins.append(Join(table, tuple((str(a), str(b)) for a, b in on.items()), several))
    return tuple(joins)


def _choices(problems: Problems, where: str, raw: object) -> dict[str, tuple[Choice, ...]]:
    out = {}
    for field, bodies in (raw.items() if isinstance(raw, dict) else ()):
        choices = []
        for body in (bodies if isinstance(bodies, list) else [bodies]):
            when = body.get("when") if isinstance(body, dict) else None
            if not isinstance(body, dict) or not body.get("column") or not isinstance(when, dict) or len(when) != 1:
                problems.add(where, msg("choose.{field} needs column = \"...\" and when = {{ column = [values] }} "
                                        "([[...choose.{field}]] for several, the first that applies wins)",
                                        field=field))
                continue
            (column, values), = when.items()
            values = values if isinstance(values, list) else [values]
            choices.append(Choice(str(body["column"]), str(column), tuple(fold(v) for v in values)))
        if choices:
            out[field] = tuple(choices)
    return out


def _nulls(problems: Problems, where: str, raw: object, fields: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """``nulls = ["N/A"]`` (every field) or ``[entity.X.nulls] "*" = [...], birth_date = ["1900-01-01"]``."""
    if raw is None:
        return {}
    table = {"*": raw} if isinstance(raw, list) else raw
    if not isinstance(table, dict):
        problems.add(where, msg("nulls must be a list of values, or a table field = [values] (\"*\": every field)"))
        return {}
    out = {}
    for field, values in table.items():
        if field != "*" and field not in fields:
            problems.add(where, msg("nulls.{field}: unknown field; known: {known}", field=field,
                                    known=", ".join(fields)))
        elif not isinstance(values, list):
            problems.add(where, msg("nulls.{field} must be a list of values", field=field))
        else:
            out[str(field)] = tuple(fold(v) for v in values)
    return out


def _exclusions(problems: Problems, where: str, raw: object) -> tuple[Exclusion, ...]:
    """``[[entity.X.exclude]] column = "removed", values = [1], reason = "soft-deleted"``; ``present = true``
    instead of values sets aside every row whose column holds a value (``DeletedAt`` set: soft-deleted)."""
    if raw is None:
        return ()
    out = []
    for body in (raw if isinstance(raw, list) else [raw]):
        values = body.get("values") if isinstance(body, dict) else None
        present = body.get("present") if isinstance(body, dict) else None
        chosen = (isinstance(values, list) and bool(values) and present is None) or (values is None and present is True)
        if (not isinstance(body, dict) or not body.get("column") or not body.get("reason") or not chosen
                or set(body) - set(keys_of(Exclusion))):
            problems.add(where, msg("exclude needs column = \"...\", values = [...] (or present = true: any value) "
                                    "and reason = \"...\" (the reason is reported with every excluded record)"))
            continue
        out.append(Exclusion(str(body["column"]), tuple(fold(v) for v in values or ()), str(body["reason"]),
                             present=present is True))
    return tuple(out)


def _links(problems: Problems, where: str, entity: str, raw: object) -> dict[str, Link]:
    """``[entity.dossier.links.applicant_account_key] part = "account.business"`` or ``by = ..., parts = {...}``."""
    if raw is None:
        return {}
    link_field = LINK_FIELDS.get(entity)
    if link_field is None or not isinstance(raw, dict):
        problems.add(where, msg("links are for {fields}", fields=", ".join(f"{e}.{f}" for e, f in LINK_FIELDS.items())))
        return {}
    out = {}
    for field, body in raw.items():
        if field != link_field:
            problems.add(where, msg("links.{field}: only {link_field} links to an account part here", field=field,
                                    link_field=link_field))
            continue
        ok = isinstance(body, dict) and not set(body) - set(keys_of(Link)) and (
            (body.get("part") and not body.get("by") and not body.get("parts"))
            or (body.get("by") and isinstance(body.get("parts"), dict) and body["parts"] and not body.get("part")))
        if not ok:
            problems.add(where, msg("links.{field} needs part = \"account.PART\", or by = \"column\" with "
                                    "parts = {{ value = \"account.PART\" }}", field=field))
            continue
        parts = {fold(k): str(v) for k, v in (body.get("parts") or {}).items()}
        out[field] = Link(part=body.get("part"), by=body.get("by"), parts=parts)
    return out


def _link_problems(problems: Problems, entities: Mapping[str, EntitySpec]) -> None:
    accounts = {label for label, spec in entities.items() if spec.name == MAIN_ACCOUNT}
    for label, spec in entities.items():
        for field, link in spec.links.items():
            for part in ([link.part] if link.part else list(link.parts.values())):
                if part not in accounts:
                    problems.add(f"[entity.{label}]", msg("links.{field} names part '{part}', which is no account "
                                                          "part of this profile; account parts: {parts}", field=field,
                                                          part=part, parts=", ".join(sorted(accounts))))
