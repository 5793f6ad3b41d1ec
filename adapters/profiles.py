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

Several legacy tables can feed one canonical entity: ``[entity."dossier_event.log"]``
is another part of ``dossier_event`` with its own table; each part keeps its
own lineage (source table) and its own snapshot count.

Built-in profiles (``BUILTIN``) load by name: ``load_profile("opencps-v2")``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from migrate.core.entities import ENTITIES
from migrate.core.records import DERIVED, Choice, EntitySpec, Join, template_columns
from adapters.text import MODES
from migrate.core.canonical import FIELDS, KNOWN_CONVERSIONS
from migrate.core.errors import ConfigError
from migrate.core.tomlfile import read_toml

_SOURCE_KEYS = {"name", "engine", "url_env", "old_province", "files_root", "files_root_env", "description",
                "text_encoding"}
_ENTITY_KEYS = {"table", "key", "columns", "lookups", "convert", "modified", "join", "constants", "compose", "choose",
                "text"}
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
    entities = {}
    for name, spec in (data.get("entity") or {}).items():
        entity, entity_problems = _entity(path, name, spec, text_encoding)
        problems += entity_problems
        if entity is not None:
            entities[name] = entity
    if not entities:
        problems.append(f"profile {path}: no [entity.*] tables")
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
    columns = dict(spec.get("columns") or {})
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
    derived = [*constants, *compose, *choose]
    for field in sorted(set(derived) & set(columns)):
        problems.append(f"{where}: field '{field}' has a column and a constant, compose or choose; keep one")
    for field in sorted({f for f in derived if derived.count(f) > 1}):
        problems.append(f"{where}: field '{field}' is derived twice (constants, compose, choose); keep one")
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
        if conversion.split(":", 1)[0] not in KNOWN_CONVERSIONS:
            problems.append(f"{where}: field '{field}' has unknown conversion '{conversion}'; "
                            f"known: {', '.join(KNOWN_CONVERSIONS)}")
    text = spec.get("text", text_encoding)
    if text not in MODES:
        problems.append(f"{where}: text '{text}' unknown; known: {', '.join(MODES)}")
    lookups = {f: {str(k): str(v) for k, v in m.items()} for f, m in (spec.get("lookups") or {}).items()}
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
    ), []


def _joins(where: str, raw: object) -> tuple[tuple[Join, ...], list[str]]:
    if not isinstance(raw, dict):
        return (), [f"{where}: 'join' must be tables: [entity.X.join.TABLE] on = {{ column = \"column\" }}"]
    joins, problems = [], []
    for table, body in raw.items():
        on = body.get("on") if isinstance(body, dict) else None
        if not isinstance(on, dict) or not on:
            problems.append(f"{where}: join {table} needs on = {{ mainColumn = \"{table}Column\" }}")
            continue
        unknown = sorted(set(body) - {"on"})
        problems += [f"{where}: join {table} has unknown key '{k}'" for k in unknown]
        joins.append(Join(table, tuple((str(a), str(b)) for a, b in on.items())))
    return tuple(joins), problems


def _choices(where: str, raw: object) -> tuple[dict[str, Choice], list[str]]:
    out, problems = {}, []
    for field, body in (raw.items() if isinstance(raw, dict) else ()):
        when = body.get("when") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not body.get("column") or not isinstance(when, dict) or len(when) != 1:
            problems.append(f"{where}: choose.{field} needs column = \"...\" and when = {{ column = [values] }}")
            continue
        (column, values), = when.items()
        values = values if isinstance(values, list) else [values]
        out[field] = Choice(str(body["column"]), str(column), tuple(str(v) for v in values))
    return out, problems
