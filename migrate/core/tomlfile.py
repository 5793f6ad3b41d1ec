"""Reading the TOML files people write (profiles, runbooks, continuity configs), with one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

from migrate.core.errors import ConfigError
from migrate.core.messages import msg


def read_toml(path: Path, what: str) -> tuple[dict, bytes]:
    """The parsed document and its raw bytes (for hashing); ``what`` names the file in errors."""
    try:
        raw = path.read_bytes()
        return tomllib.loads(raw.decode("utf-8")), raw
    except FileNotFoundError as exc:
        raise ConfigError(msg("{what} {path} not found", what=what, path=str(path))) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(msg("{what} {path}: not valid TOML: {problem}", what=what, path=str(path),
                              problem=str(exc))) from exc
