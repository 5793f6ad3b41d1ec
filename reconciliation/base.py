"""What a reconciliation check hands to the report.

Every check (conservation, content, attachments, continuity, ...) returns one
object that follows :class:`CheckResult`. The report renders them generically:
a section per check in the HTML page (its ``summary_lines`` first, then its
tables), one XLSX sheet and one CSV file per table, and ``as_dict`` in
``report.json``. A new check plugs in by returning such an object; the report
code does not change.

Values in ``tables`` rows should be plain (str, int, float, bool, None); the
report masks personal identifiers in columns named in :data:`PERSONAL_COLUMNS`
unless the operator asks for an unmasked report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from migrate.core.masking import PERSONAL_FIELDS

if TYPE_CHECKING:
    from migrate.core.i18n import Language

# Columns whose values the report masks (unless --unmask): the one masking policy's
# personal fields (:mod:`migrate.core.masking`). A check may also mask its own values.
PERSONAL_COLUMNS = PERSONAL_FIELDS


@runtime_checkable
class CheckResult(Protocol):
    """One check's outcome, as the report needs it."""

    @property
    def name(self) -> str:
        """Short, stable, file-name safe: "conservation", "content", "attachments", "continuity"."""
        ...

    @property
    def ok(self) -> bool: ...

    def summary_lines(self, lang: Language | None = None) -> list[str]:
        """A few plain sentences for the top of the report and the terminal, in ``lang`` (default: the locale's)."""
        ...

    def as_dict(self) -> dict:
        """Everything the check found, JSON-ready, for report.json."""
        ...

    def tables(self) -> dict[str, list[dict]]:
        """Sheet/CSV name -> rows (each a flat dict). Names are unique across checks:
        prefix them with the check's name when in doubt ("content-mismatches")."""
        ...
