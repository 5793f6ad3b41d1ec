"""Source profiles of the demo portals, written from ``profile-template.toml``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

TEMPLATE = "profile-template.toml"


def url_env(key: str) -> str:
    """The environment variable that holds the portal's URL: HOPNHAT_SOURCE_<KEY>_URL."""
    return f"HOPNHAT_SOURCE_{key.upper()}_URL"


def render_profile(key: str, name: str, province_code: str) -> str:
    template = Template(resources.files("migrate.demo").joinpath(TEMPLATE).read_text(encoding="utf-8"))
    return template.substitute(key=key, name=name, province=province_code, url_env=url_env(key))


def write_profile(path: Path, key: str, name: str, province_code: str) -> Path:
    path.write_text(render_profile(key, name, province_code), encoding="utf-8")
    return path
