"""Texts kept in the store or written into files, said in the reader's language when shown.

A remap decision's explanation and a quarantine or exclusion reason are recorded as
English text, as they always were: the stores and review files written before keep
showing, scripts and SQL read the same text, and writing one costs nothing more. Each
such text is built from *templates*, message ids of the catalogue with ``str.format``
fields, one sentence or clause after another::

    "Old commune code 00123 is not in the official table. "      # a template of its own
    "Found by name: "                                              # another
    "Phường Duy Hải, Thị xã Duy Tiên, Tỉnh Hà Nam → ... (Nhập toàn bộ)."

Shown in another language, a :class:`Phrasebook` reads the text back into its templates
and their values (:meth:`Phrasebook.read`, a :class:`~migrate.core.messages.Message`),
and each template is said in the catalogue's words. Fields named *nested* hold recorded
text themselves (a quarantine reason quoting a remap explanation, a change word) and are
read in turn. A text no template reads (a database driver's message, the reason a profile
gives for an exclusion) is shown as it is, never half-translated.

Reading tries, at each point of the text, the templates that begin with the longest literal
words first; a template's fields take the shortest text up to its next literal words, so the
literal words between fields must not be written inside a value (addresses are quoted). A field
holding recorded text itself is also tried at its longest; a value holding the literal words that
follow it in the middle of other such words is not split right, and that part is shown in English.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from migrate.core.i18n import Language
from migrate.core.messages import Message, say

_CACHE_LIMIT = 50_000
_MAX_PIECES = 12


@dataclass(frozen=True)
class Template:
    """One message id as a pattern: literal words matched as written, each field as the shortest text
    (or as the longest, see :meth:`variants`), or as one of its ``choices``."""

    text: str
    fields: tuple[str, ...]
    lead: str                    # the literal words before the first field (how specific the template is)
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @staticmethod
    def of(text: str, choices: Mapping[str, Iterable[str]] | None = None) -> Template:
        """``choices``: the only texts a field may hold (a noun among a few); any other field takes the
        shortest text up to the template's next literal words."""
        fields: list[str] = []
        lead = None
        for literal, name, spec, conversion in string.Formatter().parse(text):
            lead = literal if lead is None else lead
            if name is None:
                continue
            if spec or conversion or not name.isidentifier():
                raise ValueError(f"template {text!r}: field {name!r} must be a plain name")
            if name not in fields:
                fields.append(name)
        among = tuple((n, tuple(sorted(v, key=len, reverse=True))) for n, v in (choices or {}).items() if n in fields)
        return Template(text, tuple(fields), lead or "", among)

    @cached_property
    def head(self) -> re.Pattern[str]:
        """Matched at a position; the text may go on after it. Compiled when first needed."""
        return self._pattern(None)

    def variants(self, nested: frozenset[str]) -> list[re.Pattern[str]]:
        """:attr:`head`, then one pattern for each nested field taking the longest text instead: a value
        holding the literal words that follow it (``MaXa='9: 9': ...``) is read whole by one of them."""
        return [self.head] + [self._longest[name] for name in self.fields if name in nested]

    @cached_property
    def _longest(self) -> dict[str, re.Pattern[str]]:
        return {name: self._pattern(name) for name in self.fields}

    def _pattern(self, longest: str | None) -> re.Pattern[str]:
        fixed = dict(self.choices)
        pattern, seen = [], set()
        for literal, name, _, _ in string.Formatter().parse(self.text):
            pattern.append(re.escape(literal))
            if name is None:
                continue
            if name in seen:  # written twice: the same value both times
                pattern.append(f"(?P={name})")
                continue
            seen.add(name)
            if name in fixed:
                pattern.append(f"(?P<{name}>{'|'.join(map(re.escape, fixed[name]))})")
            else:
                pattern.append(f"(?P<{name}>.+)" if name == longest else f"(?P<{name}>.+?)")
        return re.compile("".join(pattern), re.DOTALL)


@dataclass(frozen=True)
class Phrasebook:
    """The templates recorded texts are built from, and the fields holding recorded text themselves."""

    templates: tuple[Template, ...]            # whole texts, and the sentences they are made of
    values: tuple[Template, ...] = ()          # what a nested field may also hold (a change word, a code problem)
    nested: frozenset[str] = frozenset()
    _cache: dict[tuple[str, bool], Message | str] = field(default_factory=dict, compare=False, repr=False)

    @staticmethod
    def of(texts: Iterable[str], nested: Iterable[str] = (), values: Iterable[str] = (),
           choices: Mapping[str, Iterable[str]] | None = None) -> Phrasebook:
        """``choices``: fields that hold one of a few texts (see :meth:`Template.of`)."""
        fixed = {name: tuple(among) for name, among in (choices or {}).items()}
        return Phrasebook(_ordered(texts, fixed), _ordered(values, fixed), frozenset(nested))

    def recorded(self, text: str) -> Message:
        """``text`` as a message to pass on (``msg(..., detail=book.recorded(text))``): read only when it is
        said in another language than English, so English output costs nothing more."""
        return _Recorded(text, self)

    def say(self, text: object, lang: Language) -> str:
        """``text`` in ``lang``: a message is worded again, recorded English is read first (see :meth:`read`)."""
        if isinstance(text, Message) or lang.code == "en" or not text:
            return say(text, lang) if text is not None else ""
        return say(self.read(str(text)), lang)

    def read(self, text: str, *, inner: bool = False) -> Message | str:
        """The templates and values ``text`` was written from, as one message; ``text`` itself when none fits.
        ``inner``: ``text`` is a nested field's value, which may also be one of the :attr:`values`."""
        hit = self._cache.get((text, inner))
        if hit is None:
            templates = self.values + self.templates if inner else self.templates
            pieces = self._pieces(templates, text, 0, {}, 0)
            if pieces is None:
                hit = text
            elif len(pieces) == 1:
                hit = pieces[0]
            else:
                hit = Message("".join(f"{{p{i}}}" for i in range(len(pieces))),
                              {f"p{i}": piece for i, piece in enumerate(pieces)})
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[(text, inner)] = hit
        return hit

    def _pieces(self, templates: tuple[Template, ...], text: str, at: int, failed: dict[int, bool],
                depth: int) -> list[Message] | None:
        if depth >= _MAX_PIECES or failed.get(at):
            return None
        for template in templates:
            whole = self._whole(template, text, at)
            if whole is not None:
                return [whole]
            head = template.head.match(text, at)
            if head is None or head.end() == at or head.end() == len(text):
                continue
            rest = self._pieces(templates, text, head.end(), failed, depth + 1)
            if rest is not None:
                return [self._message(template, head), *rest]
        failed[at] = True
        return None

    def _whole(self, template: Template, text: str, at: int) -> Message | None:
        """The rest of ``text`` as one ``template``: the reading whose nested fields all read, else the first."""
        first = None
        for pattern in template.variants(self.nested):
            found = pattern.fullmatch(text, at)
            if found is None:
                continue
            message = self._message(template, found)
            if all(isinstance(message.values[n], Message) for n in template.fields if n in self.nested):
                return message
            first = first or message
        return first

    def _message(self, template: Template, found: re.Match[str]) -> Message:
        values: dict[str, object] = {}
        for name in template.fields:
            value = found.group(name)
            values[name] = self.read(value, inner=True) if name in self.nested else value
        return Message(template.text, values)


def _ordered(texts: Iterable[str], choices: Mapping[str, Iterable[str]]) -> tuple[Template, ...]:
    """The templates, those beginning with the longest literal words first (the most specific)."""
    templates = (Template.of(t, choices) for t in dict.fromkeys(texts))
    return tuple(sorted(templates, key=lambda t: (-len(t.lead), -len(t.text))))


class _Recorded(Message):
    """Recorded English text, said in another language by its phrasebook when it is shown."""

    book: Phrasebook

    def __new__(cls, text: str, book: Phrasebook) -> _Recorded:
        self = str.__new__(cls, text)
        self.text, self.values, self.book = text, {}, book
        return self

    def __reduce__(self):
        return (_Recorded, (self.text, self.book))

    def render(self, lang: Language) -> str:
        return self.text if lang.code == "en" else say(self.book.read(self.text), lang)
