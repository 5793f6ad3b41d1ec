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

from migrate.core.entities import ENTITIES
from migrate.core.records import DERIVED, MAIN_ACCOUNT, Choice, EntitySpec, Exclusion, Join, Link, SheetLayout, TOTALS, \
    fold, template_columns
from adapters.text import MODES
from migrate.core.canonical import ACCEPTS, FIELDS, KNOWN_CONVERSIONS, SIZE_UNITS
from migrate.core.errors import ConfigError
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
    "exclude": "[[exclude]] column, values, reason: rows set aside, counted as excluded in conservation",
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
_SOURCE_KEYS = set(SOURCE_KEYS)
_ENTITY_KEYS = set(ENTITY_KEYS)
LINK_FIELDS = {"dossier": "applicant_account_key", "document": "owner_account_key"}
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

    def parts(self, entity: str) -> tuple[EntitySpec, ...]:
        """Every part of one canonical entity, the main one first."""
        return tuple(spec for spec in self.entities.values() if spec.name == entity)

    def ordered(self) -> tuple[EntitySpec, ...]:
        """All parts in load order (parents before children: migrate.core.entities.ENTITIES)."""
        return tuple(spec for name in ENTITIES for spec in self.parts(name))


def builtin_profile_path(name: str) -> Path:
    """The file of a built-in profile (shipped in ``adapters/profiles/``)."""
    if name not in BUILTIN:
        raise ConfigError(f"no built-in profile {name!r}; built in: {', '.join(BUILTIN)}")
    return Path(str(resources.files("adapters").joinpath("profiles", f"{name}.toml")))


def load_profile(path: str | Path) -> SourceProfile:
    """Read a profile file, or a built-in profile by name (``opencps-v2``)."""
    if isinstance(path, str) and path in BUILTIN and not Path(path).exists():
        path = builtin_profile_path(path)
    path = Path(path)
    data, raw = read_toml(path, "profile")
    problems: list[str] = []
    source = data.get("source")
    if not isinstance(source, dict):
        raise ConfigError(f"profile {path}: missing [source] table")
    for unknown in sorted(set(source) - _SOURCE_KEYS):
        problems.append(f"profile {path}: [source] has unknown key '{unknown}'")
    for required in ("name", "engine", "url_env"):
        if not source.get(required):
            problems.append(f"profile {path}: [source] needs '{required}'")
    if "url" in source or "password" in source:
        problems.append(f"profile {path}: profiles must not hold URLs or passwords; use url_env")
    text_encoding = source.get("text_encoding", "none")
    if text_encoding not in MODES:
        problems.append(f"profile {path}: [source] text_encoding '{text_encoding}' unknown; known: "
                        f"{', '.join(MODES)}")
        text_encoding = "none"
    for unknown in sorted(set(data) - {"source", "entity", "export"}):
        problems.append(f"profile {path}: unknown section [{unknown}]; known: [source], [entity.NAME], "
                        "[export.TABLE]")
    layouts, layout_problems = _layouts(path, data.get("export"), source.get("engine"))
    problems += layout_problems
    entities = {}
    for name, spec in (data.get("entity") or {}).items():
        entity, entity_problems = _entity(path, name, spec, text_encoding)
        problems += entity_problems
        if entity is not None:
            tables = {entity.table, *(j.table for j in entity.joins)}
            entities[name] = replace(entity, layouts={t: layouts[t] for t in sorted(tables) if t in layouts})
    if not entities:
        problems.append(f"profile {path}: no [entity.*] tables")
    used = {t for e in entities.values() for t in e.layouts}
    for table in sorted(set(layouts) - used) if entities else ():
        problems.append(f"profile {path}: [export.{table}] names no table of an [entity.*] (or its joins)")
    problems += _link_problems(path, entities)
    if problems:
        raise ConfigError(problems)
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
    )


def _entity(path: Path, label: str, spec: object, text_encoding: str) -> tuple[EntitySpec | None, list[str]]:
    where = f"profile {path}: [entity.{label}]"
    match = _PART.match(label)
    name = match.group(1) if match else label
    if match is None or name not in ENTITIES:
        return None, [f"{where}: unknown entity; known: {', '.join(ENTITIES)} "
                      f"(another table for one of them: \"dossier_event.log\")"]
    if not isinstance(spec, dict):
        return None, [f"{where}: must be a table"]
    problems = [f"{where}: unknown key '{k}'" for k in sorted(set(spec) - _ENTITY_KEYS)]
    table, key = spec.get("table"), spec.get("key")
    columns, fallbacks = {}, {}
    for field, column in (spec.get("columns") or {}).items():
        if isinstance(column, list) and column and all(isinstance(c, str) for c in column):
            fallbacks[str(field)] = tuple(column)  # the first non-empty of several columns
        elif isinstance(column, str) and column:
            columns[str(field)] = column
        else:
            problems.append(f"{where}: column of '{field}' must be a column name or a list of them")
    constants = {str(f): str(v) for f, v in (spec.get("constants") or {}).items()}
    compose = {str(f): str(v) for f, v in (spec.get("compose") or {}).items()}
    choose, choose_problems = _choices(where, spec.get("choose") or {})
    problems += choose_problems
    if not table:
        problems.append(f"{where}: needs 'table'")
    if not key or not isinstance(key, list):
        problems.append(f"{where}: needs 'key' as a list of columns")
    joins, join_problems = _joins(where, spec.get("join") or {})
    problems += join_problems
    derived = [*constants, *compose, *choose, *fallbacks]
    for field in sorted(set(derived) & set(columns)):
        problems.append(f"{where}: field '{field}' has a column and a constant, compose or choose; keep one")
    for field in sorted({f for f in derived if derived.count(f) > 1}):
        problems.append(f"{where}: field '{field}' is derived twice (constants, compose, choose, a column list); "
                        "keep one")
    for field in derived:
        columns.setdefault(field, DERIVED + field)
    for field, template in compose.items():
        try:
            template_columns(template)
        except ValueError as exc:
            problems.append(f"{where}: compose '{field}' is not a valid template: {exc}")
    fields = FIELDS[name]
    for field in sorted(set(columns) - set(fields)):
        problems.append(f"{where}: unknown field '{field}'; known: {', '.join(fields)}")
    for field, meta in fields.items():
        if meta.required and field not in columns:
            problems.append(f"{where}: required field '{field}' has no column")
    convert = spec.get("convert") or {}
    for field, conversion in convert.items():
        how, _, unit = str(conversion).partition(":")
        if how not in KNOWN_CONVERSIONS:
            problems.append(f"{where}: field '{field}' has unknown conversion '{conversion}'; "
                            f"known: {', '.join(KNOWN_CONVERSIONS)}")
        elif field in fields and how not in ACCEPTS[fields[field].kind]:
            problems.append(f"{where}: field '{field}' is a {fields[field].kind}: conversion '{how}' would not "
                            f"give one; accepted: {', '.join(ACCEPTS[fields[field].kind])}")
        elif how == "bytes" and unit.lower() not in SIZE_UNITS:
            problems.append(f"{where}: field '{field}' conversion '{conversion}': the unit must be one of "
                            f"{', '.join(u.upper() for u in SIZE_UNITS)} (bytes:MB)")
    text = spec.get("text", text_encoding)
    if text not in MODES:
        problems.append(f"{where}: text '{text}' unknown; known: {', '.join(MODES)}")
    lookups = {f: {str(k): str(v) for k, v in m.items()} for f, m in (spec.get("lookups") or {}).items()}
    for field, mapping in lookups.items():
        folded: dict[str, str] = {}
        for k, v in mapping.items():
            if folded.setdefault(fold(k), v) != v:
                problems.append(f"{where}: lookups.{field} has '{k}' and another value differing only in case or "
                                "spaces, with different results; lookups ignore case and spaces: keep one")
    nulls, null_problems = _nulls(where, spec.get("nulls"), fields)
    null_columns = spec.get("null_columns") or {}
    if not isinstance(null_columns, dict) or not all(isinstance(v, list) for v in null_columns.values()):
        null_problems.append(f"{where}: null_columns must be a table column = [values] (a legacy column's "
                             "values that mean NULL wherever the column is used: compose, choose, fields)")
        null_columns = {}
    exclude, exclude_problems = _exclusions(where, spec.get("exclude"))
    links, link_problems = _links(where, name, spec.get("links"))
    problems += null_problems + exclude_problems + link_problems
    attachment = spec.get("attachment", "required")
    if attachment not in ("required", "optional"):
        problems.append(f"{where}: attachment must be \"required\" or \"optional\" (a record naming no file "
                        "is loaded without one)")
    remap = spec.get("remap", True)
    if not isinstance(remap, bool):
        problems.append(f"{where}: remap must be true or false")
    if problems:
        return None, problems
    return EntitySpec(
        name=name,
        table=table,
        key=tuple(key),
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
    ), []


def _layouts(path: Path, raw: object, engine: object) -> tuple[dict[str, SheetLayout], list[str]]:
    """``[export.HoSo] header_row = 3, sheets = "all", merged = "fill", totals = ["Tổng cộng"]``."""
    if raw is None:
        return {}, []
    if engine != "files":
        return {}, [f"profile {path}: [export.*] describes spreadsheet and CSV exports: only for engine = \"files\""]
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        return {}, [f"profile {path}: [export.TABLE] must be tables (header_row, sheets, merged, totals)"]
    out, problems = {}, []
    for table, body in raw.items():
        where = f"profile {path}: [export.{table}]"
        problems += [f"{where}: unknown key '{k}'; known: {', '.join(EXPORT_KEYS)}"
                     for k in sorted(set(body) - set(EXPORT_KEYS))]
        header = body.get("header_row", 1)
        if isinstance(header, bool) or not isinstance(header, int) or header < 1:
            problems.append(f"{where}: header_row must be a row number (1 = the first row)")
            header = 1
        sheets = body.get("sheets", ())
        if sheets == "all":
            sheets = ("*",)
        elif isinstance(sheets, list) and sheets and all(isinstance(x, str) and x for x in sheets):
            sheets = tuple(sheets)
        elif sheets != ():
            problems.append(f"{where}: sheets must be \"all\" or a list of sheet names")
            sheets = ()
        merged = body.get("merged", "refuse")
        if merged not in ("refuse", "fill"):
            problems.append(f"{where}: merged must be \"refuse\" or \"fill\"")
            merged = "refuse"
        totals = body.get("totals")
        if totals is not None and not (isinstance(totals, list) and all(isinstance(x, str) for x in totals)):
            problems.append(f"{where}: totals must be a list of labels ([] for none)")
            totals = None
        labels = TOTALS if totals is None else tuple(fold(x) for x in totals)
        out[str(table)] = SheetLayout(header_row=header, sheets=sheets, merged=merged, totals=labels)
    return out, problems


def _joins(where: str, raw: object) -> tuple[tuple[Join, ...], list[str]]:
    if not isinstance(raw, dict):
        return (), [f"{where}: 'join' must be tables: [entity.X.join.TABLE] on = {{ column = \"column\" }}"]
    joins, problems = [], []
    for table, body in raw.items():
        on = body.get("on") if isinstance(body, dict) else None
        if not isinstance(on, dict) or not on:
            problems.append(f"{where}: join {table} needs on = {{ mainColumn = \"{table}Column\" }}")
            continue
        unknown = sorted(set(body) - {"on", "several"})
        problems += [f"{where}: join {table} has unknown key '{k}'" for k in unknown]
        several = str(body.get("several", "quarantine"))
        if several != "quarantine" and not (several.startswith("latest:") and len(several) > len("latest:")):
            problems.append(f"{where}: join {table} several = \"{several}\": use \"quarantine\" (a record whose "
                            "join matches several rows is quarantined) or \"latest:COLUMN\" (the row with the "
                            "highest COLUMN is kept)")
        joins.append(Join(table, tuple((str(a), str(b)) for a, b in on.items()), several))
    return tuple(joins), problems


def _choices(where: str, raw: object) -> tuple[dict[str, tuple[Choice, ...]], list[str]]:
    out, problems = {}, []
    for field, bodies in (raw.items() if isinstance(raw, dict) else ()):
        choices = []
        for body in (bodies if isinstance(bodies, list) else [bodies]):
            when = body.get("when") if isinstance(body, dict) else None
            if not isinstance(body, dict) or not body.get("column") or not isinstance(when, dict) or len(when) != 1:
                problems.append(f"{where}: choose.{field} needs column = \"...\" and when = {{ column = [values] }} "
                                f"([[...choose.{field}]] for several, the first that applies wins)")
                continue
            (column, values), = when.items()
            values = values if isinstance(values, list) else [values]
            choices.append(Choice(str(body["column"]), str(column), tuple(fold(v) for v in values)))
        if choices:
            out[field] = tuple(choices)
    return out, problems


def _nulls(where: str, raw: object, fields: Mapping[str, object]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """``nulls = ["N/A"]`` (every field) or ``[entity.X.nulls] "*" = [...], birth_date = ["1900-01-01"]``."""
    if raw is None:
        return {}, []
    table = {"*": raw} if isinstance(raw, list) else raw
    if not isinstance(table, dict):
        return {}, [f"{where}: nulls must be a list of values, or a table field = [values] (\"*\": every field)"]
    out, problems = {}, []
    for field, values in table.items():
        if field != "*" and field not in fields:
            problems.append(f"{where}: nulls.{field}: unknown field; known: {', '.join(fields)}")
        elif not isinstance(values, list):
            problems.append(f"{where}: nulls.{field} must be a list of values")
        else:
            out[str(field)] = tuple(fold(v) for v in values)
    return out, problems


def _exclusions(where: str, raw: object) -> tuple[tuple[Exclusion, ...], list[str]]:
    """``[[entity.X.exclude]] column = "removed", values = [1], reason = "soft-deleted"``."""
    if raw is None:
        return (), []
    out, problems = [], []
    for body in (raw if isinstance(raw, list) else [raw]):
        values = body.get("values") if isinstance(body, dict) else None
        if (not isinstance(body, dict) or not body.get("column") or not body.get("reason")
                or not isinstance(values, list) or not values or set(body) - {"column", "values", "reason"}):
            problems.append(f"{where}: exclude needs column = \"...\", values = [...] and reason = \"...\" "
                            "(the reason is reported with every excluded record)")
            continue
        out.append(Exclusion(str(body["column"]), tuple(fold(v) for v in values), str(body["reason"])))
    return tuple(out), problems


def _links(where: str, entity: str, raw: object) -> tuple[dict[str, Link], list[str]]:
    """``[entity.dossier.links.applicant_account_key] part = "account.business"`` or ``by = ..., parts = {...}``."""
    if raw is None:
        return {}, []
    link_field = LINK_FIELDS.get(entity)
    if link_field is None or not isinstance(raw, dict):
        return {}, [f"{where}: links are for {', '.join(f'{e}.{f}' for e, f in LINK_FIELDS.items())}"]
    out, problems = {}, []
    for field, body in raw.items():
        if field != link_field:
            problems.append(f"{where}: links.{field}: only {link_field} links to an account part here")
            continue
        ok = isinstance(body, dict) and not set(body) - {"part", "by", "parts"} and (
            (body.get("part") and not body.get("by") and not body.get("parts"))
            or (body.get("by") and isinstance(body.get("parts"), dict) and body["parts"] and not body.get("part")))
        if not ok:
            problems.append(f"{where}: links.{field} needs part = \"account.PART\", or by = \"column\" with "
                            "parts = { value = \"account.PART\" }")
            continue
        parts = {fold(k): str(v) for k, v in (body.get("parts") or {}).items()}
        out[field] = Link(part=body.get("part"), by=body.get("by"), parts=parts)
    return out, problems


def _link_problems(path: Path, entities: Mapping[str, EntitySpec]) -> list[str]:
    accounts = {label for label, spec in entities.items() if spec.name == MAIN_ACCOUNT}
    problems = []
    for label, spec in entities.items():
        for field, link in spec.links.items():
            for part in ([link.part] if link.part else list(link.parts.values())):
                if part not in accounts:
                    problems.append(f"profile {path}: [entity.{label}] links.{field} names part '{part}', which "
                                    f"is no account part of this profile; account parts: {', '.join(sorted(accounts))}")
    return problems
