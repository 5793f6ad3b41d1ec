"""The profile authors' reference, generated from the code that reads profiles, so it cannot drift.

Every ``[source]`` and ``[entity.X]`` key (``adapters.profiles``), every canonical field with its
kind, whether it is required and the conversions it accepts (``migrate.core.canonical``).
``hopnhat source fields`` prints it.
"""

from __future__ import annotations

from adapters.profiles import ENTITY_KEYS, EXPORT_KEYS, SOURCE_KEYS
from migrate.core.canonical import ACCEPTS, FIELDS, SIZE_UNITS
from migrate.core.entities import ENTITIES


def reference() -> str:
    """The whole reference as Markdown-like text."""
    lines = ["# Profile reference", "", "## [source]", ""]
    lines += [f"- `{key}`: {text}" for key, text in SOURCE_KEYS.items()]
    lines += ["", "## [entity.NAME] and [entity.\"NAME.PART\"]", ""]
    lines += [f"- `{key}`: {text}" for key, text in ENTITY_KEYS.items()]
    lines += ["", "## [export.TABLE] (engine = \"files\": CSV and XLSX exports)", ""]
    lines += [f"- `{key}`: {text}" for key, text in EXPORT_KEYS.items()]
    lines += ["", f"Size units for `bytes:UNIT`: {', '.join(u.upper() for u in SIZE_UNITS)}.", "",
              "## Canonical fields", ""]
    for entity in ENTITIES:
        lines += [f"### {entity}", "", "| field | kind | required | conversions |", "|---|---|---|---|"]
        for name, meta in FIELDS[entity].items():
            lines.append(f"| {name} | {meta.kind}{' (' + ', '.join(meta.choices) + ')' if meta.choices else ''} | "
                         f"{'yes' if meta.required else 'no'} | {', '.join(ACCEPTS[meta.kind])} |")
        lines.append("")
    return "\n".join(lines)
