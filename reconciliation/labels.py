"""What people read instead of machine names: checks, entities, tables and columns, per language.

CSV files and ``report.json`` keep the machine names (``source_count``,
``conservation-by-unit``) so scripts do not break; so do the English page and
workbook, as they always had. In another language the HTML page and the XLSX
workbook show these labels. Vietnamese uses the terms of the government's
texts: hồ sơ, thủ tục, đơn vị hành chính cấp xã, kho quản lý dữ liệu điện tử.
"""

from __future__ import annotations

from migrate import attachments, reasons
from migrate.continuity import passwords
from migrate.core.i18n import Language
from migrate.core.recorded import Phrasebook
from reconciliation.checks import BALANCE_PROBLEMS, HEADS, KINDS
from reconciliation.content import PROBLEMS as CONTENT_PROBLEMS
from migrate.verdict import N_

CHECKS = {
    "conservation": N_("conservation"),
    "content": N_("content"),
    "attachments": N_("attachments"),
    "continuity": N_("continuity"),
}

ENTITIES = {
    "account": N_("account"),
    "dossier": N_("dossier"),
    "dossier_event": N_("dossier processing history"),
    "dossier_file": N_("dossier attachment"),
    "document": N_("document in the electronic data store"),
}

TABLES = {
    "summary": N_("summary"),
    "conservation": N_("conservation"),
    "conservation-by-unit": N_("conservation by unit"),
    "quarantine-reasons": N_("quarantine reasons"),
    "content": N_("content"),
    "content-problems": N_("content problems"),
    "content-mismatches": N_("content mismatches"),
    "content-field-differences": N_("field differences"),
    "attachments": N_("attachments"),
    "attachment-problems": N_("attachment problems"),
    "continuity-unresolved": N_("old identifiers resolving to nothing"),
    "continuity-quarantined": N_("old identifiers set aside"),
    "continuity-ambiguous-dossier-numbers": N_("shared old dossier numbers"),
    "continuity-ambiguous-usernames": N_("shared old usernames"),
    "continuity-reset-notices": N_("password reset notices"),
}

COLUMNS = {
    "check": N_("check"), "ok": N_("passed"), "summary": N_("what it found"),
    "source": N_("source"), "entity": N_("entity"), "table": N_("source table"),
    "source_count": N_("source count"), "extracted": N_("extracted"), "loaded": N_("loaded"),
    "merged": N_("merged"), "quarantined": N_("quarantined"), "excluded": N_("excluded"),
    "accounted": N_("accounted for"), "carried": N_("carried over"),
    "deleted_in_source": N_("deleted in source"), "read": N_("read"), "problems": N_("problems"), "problem": N_("problem"),
    "old_province": N_("old province"), "old_district": N_("old district"), "old_commune": N_("old commune"),
    "old_commune_name": N_("old commune name"), "new_commune": N_("new commune"),
    "new_commune_name": N_("new commune name"), "in_store": N_("in the store"),
    "field": N_("field"), "reason": N_("reason"), "records": N_("records"),
    "source_key": N_("source key"), "source_value": N_("source value"), "store_value": N_("store value"),
    "rows": N_("rows"), "rows_intact": N_("rows intact"), "sha256": N_("SHA-256"),
    "source_table": N_("source table"), "lineage_records": N_("records with lineage"),
    "rows_rehashed": N_("rows rehashed"), "source_records_rehashed": N_("source records rehashed"),
    "segments": N_("segments"), "differing_segments": N_("differing segments"), "problem_kinds": N_("problem kinds"),
    "meaning": N_("meaning"), "store_row_id": N_("store row id"), "(no rows)": N_("(no rows)"),
    "source_system": N_("source system"), "outcome": N_("outcome"), "username": N_("username"),
    "new_account_id": N_("new account id"), "scheme": N_("password scheme"),
}

_IDENTIFYING = ("id", "key", "code", "no", "number", "year", "run")


def check_name(name: str, lang: Language) -> str:
    return lang.gettext(CHECKS[name]) if name in CHECKS and not _machine(lang) else name


def entity_name(label: str, lang: Language) -> str:
    """'dossier_event.log' (a second table feeding an entity) -> its entity's name and the part."""
    if _machine(lang):
        return label
    base, dot, part = label.partition(".")
    name = lang.gettext(ENTITIES[base]) if base in ENTITIES else base
    return f"{name} ({part})" if dot else name


# a lineage row's outcome, as a cell says it (report.json and the CSV files keep the machine name)
OUTCOMES = {"loaded": N_("loaded"), "merged": N_("merged"), "quarantined": N_("quarantined"), "excluded": N_("excluded")}

# the reasons of the quarantine tables: as kept (quarantine list), or counted by kind (checks.reason_kind); why an
# account needs a password reset notice (migrate.continuity.passwords)
REASONS = Phrasebook.of((*reasons.SENTENCES, *KINDS, *HEADS, *passwords.REASONS), (*reasons.NESTED, "head", "note"),
                        (*reasons.VALUES, *HEADS, *passwords.NOTES), reasons.CHOICES)

# an old identifier that resolves to nothing (reconciliation.continuity)
UNRESOLVED = N_("{outcome} per the lineage but not in the {table} table")
UNRESOLVED_ALIAS = N_("{outcome} per the lineage but not in the account aliases or {table}s")
# the problem and meaning cells of the problem tables: a stored file read again, a content problem, an old identifier
# (a balance's problems, one after the other: a conservation row's problems cell)
PROBLEMS = Phrasebook.of((*attachments.CHECKED, *CONTENT_PROBLEMS.values(), UNRESOLVED, UNRESOLVED_ALIAS,
                          *BALANCE_PROBLEMS, N_("{problem}; {more}")), ("outcome", "problem", "more"),
                         (*OUTCOMES.values(), *BALANCE_PROBLEMS))


def table_name(name: str, lang: Language) -> str:
    return lang.gettext(TABLES[name]) if name in TABLES and not _machine(lang) else name


def column_label(column: str, lang: Language) -> str:
    return lang.gettext(COLUMNS[column]) if column in COLUMNS and not _machine(lang) else column


def _machine(lang: Language) -> bool:
    """English shows the machine names scripts and earlier reports use."""
    return lang.code == "en"


def show(column: str, value: object, lang: Language) -> object:
    """A cell for people: what :func:`cell` says, with grouped digits for counts and nothing for None."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not _identifying(column):
        return lang.number(value)
    return cell(column, value, lang)


def _identifying(column: str) -> bool:
    return any(column == w or column.endswith("_" + w) or column.startswith(w + "_") for w in _IDENTIFYING)


def cell(column: str, value: object, lang: Language) -> object:
    """A workbook cell: yes/no for booleans and entity names in ``lang``; numbers stay numbers."""
    if isinstance(value, bool):
        return lang.gettext("yes") if value else lang.gettext("no")
    if column == "entity" and isinstance(value, str):
        return entity_name(value, lang)
    if column == "reason" and isinstance(value, str):
        return REASONS.say(value, lang)
    if column == "outcome" and isinstance(value, str) and value in OUTCOMES and not _machine(lang):
        return lang.gettext(OUTCOMES[value])
    if column in ("problem", "problems", "meaning") and isinstance(value, str):
        return PROBLEMS.say(value, lang)
    return value
