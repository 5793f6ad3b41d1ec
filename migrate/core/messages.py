"""Messages worded when they are shown, in the language the user chose.

An error raised deep in the engine does not know whether the operator reads
English or Vietnamese; the CLI does. So a message is kept as its gettext id
(English, ``str.format`` fields) and its values::

    raise StoreError(msg("There is no batch {ids} in the store {store}.", ids="8 9", store=shown))

A :class:`Message` *is* the English text (a ``str``): logs, ``str(exc)``,
joins and ``in`` tests see English as before, and :func:`say` words it again
in another language. Values that are ``int`` or ``float`` are written as numbers of
that language (``1.234.567``, ``1,5`` in Vietnamese), a ``tuple`` of messages is
said one after the other (``"; "`` between them); pass identifiers a user types back
(batch and run ids) as ``str`` so they stay plain digits. A message built by
concatenating a Message with other text is plain English again: put every part
in the message id instead.

``msg`` is a gettext keyword: ``pybabel extract -k msg`` (see migrate/core/i18n.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from migrate.core.i18n import Language, language


class Message(str):
    """English text that can be said again in another language: its message id and values."""

    text: str
    values: Mapping[str, object]

    def __new__(cls, text: str, values: Mapping[str, object]) -> Message:
        self = super().__new__(cls, _format(text, values, language("en")))
        self.text = text
        self.values = dict(values)
        return self

    def __reduce__(self):  # workers send errors between processes
        return (Message, (self.text, self.values))

    def render(self, lang: Language) -> str:
        return _format(lang.gettext(self.text), self.values, lang)


def msg(text: str, /, **values: object) -> Message:
    """The message ``text`` (a gettext id) with its values, English until said in another language."""
    return Message(text, values)


def N_(text: str, /) -> str:
    """Marks ``text`` as a message id of the catalogue (``pybabel extract`` finds it); worded where it is shown."""
    return text


def say(text: object, lang: Language) -> str:
    """``text`` in ``lang`` when it is a :class:`Message`; any other text as it is."""
    return text.render(lang) if isinstance(text, Message) else str(text)


def _format(template: str, values: Mapping[str, object], lang: Language) -> str:
    return template.format(**{name: _shown(value, lang) for name, value in values.items()})


def _shown(value: object, lang: Language) -> str:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, tuple):  # several problems, each a message: one after the other
        return "; ".join(_shown(v, lang) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return lang.number(value)
    return str(value)
