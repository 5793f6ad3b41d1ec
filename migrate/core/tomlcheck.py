"""Checking the tables of the TOML files people write (profiles, runbooks, continuity configs).

One way for the three kinds of file: the keys a table may hold are the fields of
the dataclass it becomes (:func:`keys_of`), never a second list kept by hand;
every problem is collected in one :class:`Problems` with where it is, and all of
them are raised together as one :class:`ConfigError`, each line in the same form
(a catalogue message: said in the user's language, the keys and tables as written)::

    profile hanam.toml: [entity.dossier] has unknown key 'colums'; known: table, key, columns, ...
    runbook cutover.toml: step 3 (freeze-gate) needs 'run' (a command) or manual = true
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrate.core.errors import ConfigError
from migrate.core.messages import msg


_ABOUT_THE_TABLE = ("has ", "needs ", "must ", "is ", "names ", "describes ")


def keys_of(cls: type, *, skip: Iterable[str] = (), rename: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The TOML keys of a table read into dataclass ``cls``: its fields, in order, less ``skip``
    (what is not written in the file), some spelled otherwise in the file (``rename``)."""
    rename = rename or {}
    skipped = set(skip)
    return tuple(rename.get(f.name, f.name) for f in dataclasses.fields(cls) if f.name not in skipped)


@dataclass
class Problems:
    """Every problem found in one file; ``file`` starts each line (``profile hanam.toml``, a message)."""

    file: str
    lines: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        """One problem: ``where`` is the table (``[source]``, ``step 3``), empty for the whole file.

        A message about the table itself reads on from it (``[source.b] has 'old' but no 'new'``);
        one about something inside it follows a colon (``[entity.dossier]: field 'x' ...``).
        ``message`` is a :class:`~migrate.core.messages.Message` (its English text decides the form).
        """
        if not where:
            self.lines.append(msg("{file}: {problem}", file=self.file, problem=message))
        elif message.startswith(_ABOUT_THE_TABLE):
            self.lines.append(msg("{file}: {where} {problem}", file=self.file, where=where, problem=message))
        else:
            self.lines.append(msg("{file}: {where}: {problem}", file=self.file, where=where, problem=message))

    def table(self, where: str, value: object) -> Mapping[str, Any]:
        """``value`` when it is a TOML table; else a problem and an empty table."""
        if isinstance(value, dict):
            return value
        self.add(where, msg("must be a table"))
        return {}

    def unknown(self, where: str, table: Mapping[str, object], known: Iterable[str]) -> list[str]:
        """A problem per key of ``table`` not in ``known`` (listing the known ones); the unknown keys."""
        names = tuple(known)
        unknown = sorted(set(table) - set(names))
        for key in unknown:
            self.add(where, msg("has unknown key '{key}'; known: {known}", key=key, known=", ".join(names)))
        return unknown

    def required(self, where: str, table: Mapping[str, object], keys: Iterable[str]) -> None:
        """A problem per key of ``keys`` missing or empty in ``table``."""
        for key in keys:
            if not table.get(key):
                self.add(where, msg("needs '{key}'", key=key))

    def one_of(self, where: str, what: str, value: object, known: Iterable[str]) -> bool:
        """False (and a problem listing the known values) when ``value`` is not one of ``known``."""
        names = tuple(known)
        if value in names:
            return True
        self.add(where, msg("{what} '{value}' unknown; known: {known}", what=what, value=str(value),
                            known=", ".join(names)))
        return False

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_any(self) -> None:
        """Raise every problem found, at once."""
        if self.lines:
            raise ConfigError(self.lines)
