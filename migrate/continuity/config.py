"""Continuity settings (TOML): tracking-page URL templates per source, schemes the new system verifies.

    [defaults]
    new = "https://dichvucong.ninhbinh.gov.vn/tra-cuu-ho-so/{new_id}"

    [source.hanam-portal]
    old = "https://dichvucong.hanam.gov.vn/tra-cuu-ho-so?ma={dossier_no}"
    file_old = "https://dichvucong.hanam.gov.vn/tep-dinh-kem?id={source_key}"   # optional
    file_new = "https://dichvucong.ninhbinh.gov.vn/tep/{new_id}"               # optional

    [accounts]
    verifiable = ["bcrypt", "argon2id", "pbkdf2-sha256"]

Every problem is reported at once, as a :class:`ConfigError`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from migrate.continuity.passwords import DEFAULT_VERIFIABLE
from migrate.core.tomlcheck import Problems, keys_of
from migrate.core.messages import msg
from migrate.core.tomlfile import read_toml

OLD_FIELDS = frozenset({"dossier_no", "source_key"})
NEW_FIELDS = frozenset({"new_id", "dossier_no", "source_key", "source_system", "new_commune_code"})


def _template(placeholders: frozenset[str]):
    """A URL template field; ``placeholders`` are the names it may use."""
    return field(default=None, metadata={"placeholders": placeholders})


@dataclass(frozen=True)
class SourceLinks:
    """URL templates of one former portal's tracking page (and attachment links) and their new targets."""

    source: str
    old: str | None = _template(OLD_FIELDS)
    new: str | None = _template(NEW_FIELDS)
    file_old: str | None = _template(OLD_FIELDS - {"dossier_no"})
    file_new: str | None = _template(NEW_FIELDS)


@dataclass(frozen=True)
class ContinuityConfig:
    links: Mapping[str, SourceLinks] = field(default_factory=dict)
    verifiable: frozenset[str] = DEFAULT_VERIFIABLE
    path: Path | None = None


# What each table may hold: the fields it is read into.
_TEMPLATE_KEYS = {f.name: f.metadata["placeholders"] for f in fields(SourceLinks) if "placeholders" in f.metadata}
_ACCOUNT_KEYS = keys_of(ContinuityConfig, skip=("links", "path"))
_TABLES = ("defaults", "source", "accounts")


def load_config(path: str | Path | None) -> ContinuityConfig:
    """Read a continuity TOML; ``None`` gives no redirects and the default verifiable schemes."""
    if path is None:
        return ContinuityConfig()
    path = Path(path)
    data, _ = read_toml(path, msg("continuity config"))
    problems = Problems(str(path))
    for unknown in sorted(set(data) - set(_TABLES)):
        problems.add("", msg("unknown table [{table}]; known: [defaults], [source.NAME], [accounts]", table=unknown))
    defaults = _templates(problems, "[defaults]", data.get("defaults") or {})
    links = {}
    for name, spec in problems.table("[source]", data.get("source") or {}).items():
        where = f"[source.{name}]"
        templates = {**defaults, **_templates(problems, where, spec)}
        if "old" in templates and "new" not in templates:
            problems.add(where, msg("has 'old' but no 'new' (here or in [defaults])"))
        if "file_old" in templates and "file_new" not in templates:
            problems.add(where, msg("has 'file_old' but no 'file_new'"))
        links[name] = SourceLinks(name, **templates)
    accounts = problems.table("[accounts]", data.get("accounts") or {})
    problems.unknown("[accounts]", accounts, _ACCOUNT_KEYS)
    verifiable = accounts.get("verifiable", sorted(DEFAULT_VERIFIABLE))
    if not isinstance(verifiable, list) or not all(isinstance(v, str) for v in verifiable):
        problems.add("[accounts]", msg("verifiable must be a list of scheme names"))
        verifiable = []
    problems.raise_any()
    return ContinuityConfig(links, frozenset(verifiable), path)


def _templates(problems: Problems, where: str, spec: object) -> dict[str, str]:
    table = problems.table(where, spec)
    unknown = problems.unknown(where, table, _TEMPLATE_KEYS)
    out = {}
    for key, value in table.items():
        if key in unknown:
            continue
        if not isinstance(value, str) or not value.startswith(("http://", "https://", "/")):
            problems.add(where, msg("{key} must be a URL template starting with https://, http:// or /", key=key))
            continue
        allowed = _TEMPLATE_KEYS[key]
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            problems.add(where, msg("{key}: {problem}", key=key, problem=str(exc)))
            continue
        for name in sorted(names - allowed):
            problems.add(where, msg("{key} uses {name}; known: {known}", key=key, name="{" + name + "}",
                                    known=", ".join("{" + n + "}" for n in sorted(allowed))))
        if key in ("old", "file_old") and not names:
            problems.add(where, msg("{key} has no placeholder; every old link would be the same", key=key))
        out[key] = value
    return out
