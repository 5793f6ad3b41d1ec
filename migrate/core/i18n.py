"""The language reports and summaries speak: English or Vietnamese, with Vietnamese number and date forms.

Messages are gettext message ids (English) looked up in the catalogue
``migrate/locale/<lang>/LC_MESSAGES/hopnhat.po``. The catalogue is read with
Babel when first needed, so no compiled ``.mo`` file has to be built or kept
in step with its ``.po``. Placeholders are ``str.format`` names:
``lang.gettext("{n} records").format(n=lang.number(5))``.

Numbers and dates follow the language's conventions: Vietnamese writes
``1.234.567`` and ``31/12/2025``; English keeps ``1234567`` and ``2025-12-31``
(what scripts reading the English output have always parsed).

To add or change messages: ``pybabel extract -F babel.cfg -k msg -o hopnhat.pot .``
(``msg`` marks the CLI's messages and errors, see migrate/core/messages.py),
``pybabel update -i hopnhat.pot -d migrate/locale -D hopnhat``, translate,
and run ``tests/test_i18n.py``, which fails on any message without a translation.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LANGUAGES = ("en", "vi")
DEFAULT = "en"
DOMAIN = "hopnhat"
_LOCALES = {"en": "en_US", "vi": "vi_VN"}


@dataclass(frozen=True)
class Language:
    """Translations and number/date forms of one language."""

    code: str
    translations: gettext.NullTranslations

    @property
    def locale(self) -> str:
        return _LOCALES[self.code]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def number(self, value: int | float | None) -> str:
        """``1234567`` -> ``1.234.567`` (vi); English keeps plain digits (``1234567``) as scripts read them."""
        if value is None:
            return ""
        if self.code == DEFAULT:
            return str(value)
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.locale)

    def percent(self, share: float) -> str:
        """``0.5`` -> ``50%``; one decimal below 10%: ``4,5%`` (vi), ``4.5%`` (en)."""
        from babel.numbers import format_decimal

        value = share * 100
        pattern = "#,##0.#" if 0 < value < 10 else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale) + "%"

    def date(self, value: dt.date | str | None) -> str:
        """A date as ``dd/mm/yyyy`` (vi) or ``yyyy-mm-dd`` (en); text in ISO form is parsed first."""
        parsed = _parse(value)
        if parsed is None:
            return "" if value is None else str(value)
        day = parsed.date() if isinstance(parsed, dt.datetime) else parsed
        return day.strftime("%d/%m/%Y") if self.code == "vi" else day.isoformat()

    def datetime(self, value: dt.datetime | str | None) -> str:
        """A time as ``dd/mm/yyyy HH:MM:SS UTC`` (vi) or ``yyyy-mm-dd HH:MM:SS UTC`` (en)."""
        parsed = _parse(value)
        if not isinstance(parsed, dt.datetime):
            return self.date(value)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc)
        return f"{self.date(parsed)} {parsed.strftime('%H:%M:%S')}" + (" UTC" if parsed.tzinfo else "")


def language(code: str | None = None) -> Language:
    """The language named by ``code`` ('vi', 'en', or a locale such as 'vi_VN.UTF-8'); English otherwise."""
    return _load(normalize(code))


def normalize(code: str | None) -> str:
    """'vi_VN.UTF-8' -> 'vi'; anything not supported -> 'en'."""
    head = (code or "").replace("-", "_").split("_")[0].split(".")[0].lower()
    return head if head in LANGUAGES else DEFAULT


@lru_cache(maxsize=None)
def _load(code: str) -> Language:
    if code == DEFAULT:
        return Language(code, gettext.NullTranslations())
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = resources.files("migrate").joinpath("locale", code, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Language(code, gettext.GNUTranslations(buffer))


def _parse(value: object) -> dt.date | dt.datetime | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
    except ValueError:
        return None
