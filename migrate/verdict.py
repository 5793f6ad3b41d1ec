"""The verdict of a run or a reconciliation: *accounted for* is not *migrated*.

Conservation proves every record is accounted for: loaded, merged,
quarantined or excluded. It does not prove the records were migrated: a
source whose 431 attachments all sit in quarantine balances perfectly. So the
verdict has three outcomes, each with its exit code:

- ``passed`` (exit 0): every check passed and nothing below was found;
- ``warnings`` (exit 4): every check passed, but a named warning says what was
  not migrated: an entity wholly or mostly (more than half) quarantined, an
  empty source table, no attachment verified although file records were read,
  or nothing migrated yet;
- ``failed`` (exit 3): a check failed.

A runbook gate stops on exit 4 as on exit 3 (``expect_exit = 0``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from migrate.core.entities import FILE_ENTITIES
from migrate.core.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_WARNINGS
from migrate.core.i18n import Language, language

EXIT_FAILED = EXIT_CHECK_FAILED
MOSTLY = 0.5  # an entity with more than this share of its records in quarantine is "mostly quarantined"


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


WARNING_TEXT = {
    "nothing-migrated": N_("Nothing migrated yet: the store holds no migration run. "
                           "Load the sources first: hopnhat run PROFILE..."),
    "empty-source-table": N_("{subject}: the source table {table} was empty at the snapshot (0 records). "
                             "Check that the profile names the right table."),
    "entity-wholly-quarantined": N_("{subject}: all {quarantined} of {extracted} records are in quarantine; "
                                    "none was migrated. See: hopnhat quarantine list --source {source}"),
    "entity-mostly-quarantined": N_("{subject}: {quarantined} of {extracted} records ({share}) are in quarantine. "
                                    "See: hopnhat quarantine list --source {source}"),
    "no-attachments-verified": N_("No attachment was verified although {expected} file record(s) were extracted: "
                                  "their files are quarantined or not stored."),
}


@dataclass(frozen=True)
class EntityShare:
    """How much of one source entity was migrated and how much sits in quarantine."""

    source: str
    entity: str
    source_count: int
    extracted: int
    migrated: int  # loaded + merged
    quarantined: int
    table: str = ""

    @property
    def subject(self) -> str:
        return f"{self.source}/{self.entity}"

    @property
    def share(self) -> float:
        return self.quarantined / self.extracted if self.extracted else 0.0

    def as_dict(self) -> dict:
        return {"source": self.source, "entity": self.entity, "source_count": self.source_count,
                "extracted": self.extracted, "migrated": self.migrated, "quarantined": self.quarantined,
                "quarantined_share": round(self.share, 4)}


@dataclass(frozen=True)
class NamedWarning:
    """A warning with a stable code (for scripts) and its figures (for the sentence)."""

    code: str
    subject: str = ""
    figures: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: Language | None = None) -> str:
        lang = lang or language()
        shown = {k: lang.number(v) if isinstance(v, int) and not isinstance(v, bool) else v
                 for k, v in self.figures.items()}
        if "share" in self.figures:
            shown["share"] = lang.percent(float(str(self.figures["share"])))
        return lang.gettext(WARNING_TEXT[self.code]).format(subject=self.subject, **shown)

    def as_dict(self) -> dict:
        return {"code": self.code, "subject": self.subject, "text": self.text(), **dict(self.figures)}


@dataclass(frozen=True)
class Verdict:
    failed: tuple[str, ...]  # names of the checks that failed
    warnings: tuple[NamedWarning, ...]
    shares: tuple[EntityShare, ...] = ()

    @property
    def outcome(self) -> str:
        return "failed" if self.failed else "warnings" if self.warnings else "passed"

    @property
    def exit_code(self) -> int:
        return {"failed": EXIT_FAILED, "warnings": EXIT_WARNINGS, "passed": EXIT_OK}[self.outcome]

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.shares)

    @property
    def extracted(self) -> int:
        return sum(s.extracted for s in self.shares)

    def word(self, lang: Language | None = None) -> str:
        """PASSED, PASSED WITH WARNINGS or FAILED, as the terminal's last line says it."""
        lang = lang or language()
        return {"passed": lang.gettext("PASSED"), "warnings": lang.gettext("PASSED WITH WARNINGS"),
                "failed": lang.gettext("FAILED: do not sign off")}[self.outcome]

    def exit_words(self, lang: Language | None = None) -> str:
        """The exit code a shell sees, as the verdict names it: ``(exit 4)``, ``(mã thoát 4)``."""
        return (lang or language()).gettext("(exit {code})").format(code=self.exit_code)

    def headline(self, lang: Language | None = None) -> str:
        lang = lang or language()
        if self.failed:
            return lang.gettext("At least one check FAILED: do not sign off. The failing records are named below.")
        if self.warnings:
            return lang.ngettext(
                "Every record is accounted for, but not everything was migrated: {n} warning. "
                "Read it before signing off.",
                "Every record is accounted for, but not everything was migrated: {n} warnings. "
                "Read them before signing off.", len(self.warnings)).format(n=len(self.warnings))
        return lang.gettext("Every check passed: nothing was lost or altered, and every entity was migrated.")

    def lines(self, lang: Language | None = None) -> list[str]:
        """The terminal's verdict lines: quarantine total, each warning, the verdict word and exit code."""
        lang = lang or language()
        out = []
        if self.shares:
            share = self.quarantined / self.extracted if self.extracted else 0.0
            out.append(lang.gettext("quarantine: {quarantined} of {extracted} extracted records ({share})").format(
                quarantined=lang.number(self.quarantined), extracted=lang.number(self.extracted),
                share=lang.percent(share)))
        warning, said = lang.gettext("warning"), lang.gettext("verdict")
        out += [f"{warning} {w.code}: {w.text(lang)}" for w in self.warnings]
        out.append(f"{said}: {self.word(lang)}" + (f" {self.exit_words(lang)}" if self.exit_code else ""))
        return out

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "exit_code": self.exit_code, "failed_checks": list(self.failed),
                "warnings": [w.as_dict() for w in self.warnings],
                "quarantine": [s.as_dict() for s in self.shares]}


def entity_warnings(shares: Iterable[EntityShare]) -> list[NamedWarning]:
    """Empty source tables, and entities wholly or mostly quarantined."""
    out = []
    for s in shares:
        if s.source_count == 0 and s.extracted == 0:
            out.append(NamedWarning("empty-source-table", s.subject, {"table": s.table or s.entity}))
        elif s.extracted and s.quarantined >= s.extracted:
            out.append(NamedWarning("entity-wholly-quarantined", s.subject,
                                    {"source": s.source, "quarantined": s.quarantined, "extracted": s.extracted}))
        elif s.extracted and s.share > MOSTLY:
            out.append(NamedWarning("entity-mostly-quarantined", s.subject,
                                    {"source": s.source, "quarantined": s.quarantined, "extracted": s.extracted,
                                     "share": round(s.share, 4)}))
    return out


def attachment_warning(shares: Sequence[EntityShare], files_verified: int) -> NamedWarning | None:
    """No stored file verified although file records (dossier files, documents) were extracted."""
    expected = sum(s.extracted for s in shares if s.entity.split(".", 1)[0] in FILE_ENTITIES)
    if files_verified == 0 and expected:
        return NamedWarning("no-attachments-verified", "", {"expected": expected})
    return None


def nothing_migrated() -> NamedWarning:
    return NamedWarning("nothing-migrated")
