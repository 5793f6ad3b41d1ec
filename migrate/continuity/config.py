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
from dataclasses import dataclass, field
from pathlib import Path

from migrate.continuity.passwords import DEFAULT_VERIFIABLE
from migrate.core.errors import ConfigError
from migrate.core.tomlfile import read_toml

OLD_FIELDS = frozenset({"dossier_no", "source_key"})
NEW_FIELDS = frozenset({"new_id", "dossier_no", "source_key", "source_system", "new_commune_code"})
_TEMPLATE_KEYS = {"old": OLD_FIELDS, "new": NEW_FIELDS, "file_old": OLD_FIELDS - {"dossier_no"},
                  "file_new": NEW_FIELDS}


@dataclass(frozen=True)
class SourceLinks:
    """URL templates of one former portal's tracking page (and attachment links) and their new targets."""

    source: str
    old: str | None = None
    new: str | None = None
    file_old: str | None = None
    file_new: str | None = None


@dataclass(frozen=True)
class ContinuityConfig:
    links: Mapping[str, SourceLinks] = field(default_factory=dict)
    verifiable: frozenset[str] = DEFAULT_VERIFIABLE
    path: Path | None = None


def load_config(path: str | Path | None) -> ContinuityConfig:
    """Read a continuity TOML; ``None`` gives no redirects and the default verifiable schemes."""
    if path is None:
        return ContinuityConfig()
    path = Path(path)
    data, _ = read_toml(path, "continuity config")
    problems: list[str] = []
    for unknown in sorted(set(data) - {"defaults", "source", "accounts"}):
        problems.append(f"{path}: unknown table [{unknown}]; known: [defaults], [source.NAME], [accounts]")
    defaults = _templates(path, "defaults", data.get("defaults") or {}, problems)
    links = {}
    for name, spec in (data.get("source") or {}).items():
        templates = {**defaults, **_templates(path, f"source.{name}", spec, problems)}
        if "old" in templates and "new" not in templates:
            problems.append(f"{path}: [source.{name}] has 'old' but no 'new' (here or in [defaults])")
        if "file_old" in templates and "file_new" not in templates:
            problems.append(f"{path}: [source.{name}] has 'file_old' but no 'file_new'")
        links[name] = SourceLinks(name, **templates)
    accounts = data.get("accounts") or {}
    for unknown in sorted(set(accounts) - {"verifiable"}):
        problems.append(f"{path}: [accounts] has unknown key '{unknown}'; known: verifiable")
    verifiable = accounts.get("verifiable", sorted(DEFAULT_VERIFIABLE))
    if not isinstance(verifiable, list) or not all(isinstance(v, str) for v in verifiable):
        problems.append(f"{path}: [accounts] verifiable must be a list of scheme names")
        verifiable = []
    if problems:
        raise ConfigError(problems)
    return ContinuityConfig(links, frozenset(verifiable), path)


def _templates(path: Path, where: str, spec: object, problems: list[str]) -> dict[str, str]:
    if not isinstance(spec, dict):
        problems.append(f"{path}: [{where}] must be a table")
        return {}
    out = {}
    for key, value in spec.items():
        if key not in _TEMPLATE_KEYS:
            problems.append(f"{path}: [{where}] has unknown key '{key}'; known: {', '.join(_TEMPLATE_KEYS)}")
            continue
        if not isinstance(value, str) or not value.startswith(("http://", "https://", "/")):
            problems.append(f"{path}: [{where}] {key} must be a URL template starting with https://, http:// or /")
            continue
        allowed = _TEMPLATE_KEYS[key]
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            problems.append(f"{path}: [{where}] {key}: {exc}")
            continue
        for name in sorted(names - allowed):
            problems.append(f"{path}: [{where}] {key} uses {{{name}}}; known: "
                            + ", ".join(f"{{{n}}}" for n in sorted(allowed)))
        if key in ("old", "file_old") and not names:
            problems.append(f"{path}: [{where}] {key} has no placeholder; every old link would be the same")
        out[key] = value
    return out
