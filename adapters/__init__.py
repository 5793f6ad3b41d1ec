"""Source adapters: one per engine, chosen by the URL scheme of the source.

``ADAPTERS`` maps a scheme to the function that opens a source; each engine
module imports its driver lazily.
"""

from __future__ import annotations

from importlib import import_module

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from migrate.core.errors import ConfigError
from migrate.core.messages import msg

ADAPTERS = {
    "files": "adapters.files",
    "mssql": "adapters.mssql",
    "postgresql": "adapters.postgresql",
    "sqlite": "adapters.sqlite",
}


def open_source(name: str, url: str):
    """Open the legacy source at ``url`` with the adapter for its scheme."""
    try:
        scheme = make_url(url).get_backend_name()
    except ArgumentError:
        scheme = url.split(":", 1)[0]
    scheme = {"postgres": "postgresql", "file": "files"}.get(scheme, scheme)
    if scheme not in ADAPTERS:
        known = ", ".join(sorted(ADAPTERS))
        raise ConfigError(msg("Unknown engine '{engine}' for source {source}. Known: {known}.",
                              engine=scheme, source=name, known=known))
    return import_module(ADAPTERS[scheme]).open_source(name, url)
