"""A benchmark's figures in the reader's language.

English keeps the forms the README and scripts quote (``1,234,567`` and
``12.5``, written with Python's format specs); Vietnamese writes ``1.234.567``
and ``12,5``. A :class:`Figure` is a value of a catalogue message
(:func:`migrate.core.messages.msg`) worded when the message is said::

    msg("  pipeline: {seconds} s {rate} rows/s", seconds=Figure(12.34, "8.1f"), rate=Figure(9876.5, ">10,.0f"))
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrate.core.i18n import DEFAULT, Language, language
from migrate.core.messages import Message, say

_SPEC = re.compile(r"^(?P<head>.*?)(?P<width>\d*)(?P<group>[,_]?)(?P<precision>\.\d+)?(?P<kind>[dfg%]?)$")
_SWAP = str.maketrans(",.", ".,")


class Figure(Message):
    """``value`` as ``format(value, spec)`` in English; in Vietnamese grouped by dots with a decimal comma."""

    value: float
    spec: str

    def __new__(cls, value: float, spec: str = "") -> Figure:
        self = str.__new__(cls, format(value, spec))
        self.text, self.values = str(self), {}
        self.value, self.spec = value, spec
        return self

    def __reduce__(self):
        return (Figure, (self.value, self.spec))

    def render(self, lang: Language) -> str:
        if lang.code == DEFAULT:
            return format(self.value, self.spec)
        parts = _SPEC.match(self.spec)
        if parts is None or isinstance(self.value, bool):
            return format(self.value, self.spec)
        spec = parts["head"] + parts["width"] + "," + (parts["precision"] or "") + parts["kind"]
        return format(self.value, spec).translate(_SWAP)


def said(lines: Iterable[object], lang: Language | None = None) -> str:
    """``lines`` (messages or text) one a line, in ``lang`` (English by default)."""
    lang = lang or language()
    return "\n".join(say(line, lang) for line in lines)
