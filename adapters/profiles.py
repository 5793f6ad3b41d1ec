"""Source profiles: TOML data saying which legacy tables and columns make up each entity.

A profile names the environment variable that holds the source URL, never
the URL itself. Every problem found is reported at once.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from adapters.base import ENTITIES, EntitySpec
from migrate.canonical import FIELDS, KNOWN_CONVERSIONS
from migrate.errors import ConfigError

_SOURCE_KEYS = {"name", "engine", "url_env", "old_province", "files_root", "files_root_env", "description"}
_ENTITY_KEYS = {"table", "key", "columns", "lookups", "convert", "modified"}


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


def load_profile(path: str | Path) -> SourceProfile:
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"profile {path} not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"profile {path}: not valid TOML: {exc}") from exc
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
    entities = {}
    for name, spec in (data.get("entity") or {}).items():
        entity, entity_problems = _entity(path, name, spec)
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
    )


def _entity(path: Path, name: str, spec: object) -> tuple[EntitySpec | None, list[str]]:
    where = f"profile {path}: [entity.{name}]"
    if name not in ENTITIES:
        return None, [f"{where}: unknown entity; known: {', '.join(ENTITIES)}"]
    if not isinstance(spec, dict):
        return None, [f"{where}: must be a table"]
    problems = [f"{where}: unknown key '{k}'" for k in sorted(set(spec) - _ENTITY_KEYS)]
    table, key, columns = spec.get("table"), spec.get("key"), spec.get("columns") or {}
    if not table:
        problems.append(f"{where}: needs 'table'")
    if not key or not isinstance(key, list):
        problems.append(f"{where}: needs 'key' as a list of columns")
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
    lookups = {f: {str(k): str(v) for k, v in m.items()} for f, m in (spec.get("lookups") or {}).items()}
    if problems:
        return None, problems
    return EntitySpec(
        name=name,
        table=table,
        key=tuple(key),
        columns=dict(columns),
        lookups=lookups,
        convert=dict(convert),
        modified=spec.get("modified"),
    ), []
