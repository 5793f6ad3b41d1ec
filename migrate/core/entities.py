"""The canonical entities hopnhat migrates, each defined once.

An :class:`Entity` is what the unified store holds (an account, a dossier, ...):
its canonical fields (kind, required, the store column holding each), its store
table, the parent it hangs from, whether its own fields place it in a commune,
and its stage in the load order. A profile *part* (:class:`migrate.core.records.Part`)
is one legacy table feeding an entity; an entity may have several parts
(``dossier_event`` and ``dossier_event.log``), each with its own lineage.

Everything that used to list entities by hand derives from ``REGISTRY``: the load
order (``ENTITIES``), the stages of the ledger, the canonical fields and their
conversions, what the loader does with each record (merge it, link it to its parent
or to an id number's owner, place it, store its attachment) and the rows it writes,
the parent links the quarantine and the rebuild follow, the placement of records by
unit, the old identifiers the continuity index keeps, the records the continuity
check follows and lookups show, the report's chart per new commune.

Adding an entity: its table in ``migrate.store.models`` with an alembic revision,
its entry here, and the words people read for it (``reconciliation.labels``) and
that legacy table names hold for it (``adapters.inspect``); a test fails while
either is missing.

The store's column types and lengths are read from the models
(``migrate.store.models``), never repeated here: ``Entity.column(field)`` is the
store column of a field and ``Entity.length(field)`` its limit.
"""

from __future__ import annotations

from collections.abc import Mapping
import string
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Column, Table

from migrate.store import models

Kind = str  # text, code, date, datetime, int, id_number, legacy_id_number, tax_code, enum
KINDS = ("text", "code", "date", "datetime", "int", "id_number", "legacy_id_number", "tax_code", "enum")


@dataclass(frozen=True)
class Field:
    """One canonical field: its kind (how legacy values are converted and checked) and where the store keeps it.

    ``column`` is the store column (the field's own name when empty); ``table`` the store
    table holding it when it is not the entity's own (an account's username lives in
    ``account_alias``). A parent link's field has no column: its value is the parent's
    source key, found again through the parent row.
    """

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    column: str = ""
    table: str = ""
    identifier: str = ""  # the kind of old identifier its value is in the continuity index ("dossier-no")
    unique: bool = False  # an identifier meant to name one record across every former province (shared: ambiguous)

    @property
    def store_column(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class ParentLink:
    """A child names its parent by the parent's source key in ``field``; the store keeps the parent row id
    in ``column``. A record naming a parent the store does not hold goes to quarantine; so does one naming
    none when ``required``, unless ``by_number`` names the field whose id number owns it instead (a walk-in
    applicant's document, linked to the one account holding that number)."""

    field: str
    entity: str
    column: str
    required: bool = True
    noun: str = ""  # how a quarantine reason names the parent ("applicant account"; the entity's name if empty)
    by_number: str = ""

    @property
    def named(self) -> str:
        return self.noun or self.entity


@dataclass(frozen=True)
class Entity:
    """One canonical entity: fields, store table, parent, placement."""

    name: str
    fields: tuple[Field, ...]
    parent: ParentLink | None = None
    placed: bool = False  # its own place fields say where it belongs (others take their parent's place)
    commune_required: bool = False  # a record whose place resolves to no new commune goes to quarantine
    merges: bool = False  # records of several sources may merge into one row (their lineage says "merged")
    files: bool = False  # carries an attachment (path, size, sha256) the loader copies into the file area
    file_optional: bool = False  # a record naming no file loads without one (else only if its part says so)
    table: str = ""  # store table (the entity's name when empty)
    key_kind: str = ""  # the kind of old identifier its source key is in the continuity index ("dossier-id")
    number: str = ""  # the field of the number people know the record by (a dossier's tracking number)
    status: str = ""  # how a lookup states a record's status, from its fields ("{kind} account")

    @property
    def store_table_name(self) -> str:
        return self.table or self.name

    @property
    def store_table(self) -> Table:
        return models.metadata.tables[self.store_table_name]

    @property
    def stage(self) -> int:
        """0 for an entity without parent, else one more than its parent's: parents load first."""
        return 0 if self.parent is None else REGISTRY[self.parent.entity].stage + 1

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return self._by_name()[name]

    def _by_name(self) -> Mapping[str, Field]:
        return {f.name: f for f in self.fields}

    def is_parent_field(self, name: str) -> bool:
        return self.parent is not None and self.parent.field == name

    def row_fields(self) -> tuple[Field, ...]:
        """The fields stored in the entity's own row (neither a parent key nor in another table)."""
        return tuple(f for f in self.fields if not f.table and not self.is_parent_field(f.name))

    def identifier_fields(self) -> tuple[Field, ...]:
        """The fields whose values are old identifiers an official can look the record up by after cutover."""
        return tuple(f for f in self.fields if f.identifier)

    @property
    def continued(self) -> bool:
        """Its old records must still lead somewhere after cutover: it holds an identifier meant to be unique."""
        return any(f.unique for f in self.identifier_fields())

    def status_fields(self) -> tuple[str, ...]:
        """The fields ``status`` names."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.status) if name)

    def side_fields(self, table: str) -> tuple[Field, ...]:
        """The fields stored in another store table (``account_alias``)."""
        return tuple(f for f in self.fields if f.table == table)

    def store_row(self, record: Mapping[str, object], **more: object) -> dict[str, object]:
        """The entity row's columns for one canonical record (parent id, place and file columns not included),
        then the columns in ``more``."""
        row = {column: record[name] for name, column in self._row_pairs}
        if more:
            row.update(more)
        return row

    @cached_property
    def _row_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((f.name, f.store_column) for f in self.row_fields())

    def column(self, name: str) -> Column | None:
        """The store column holding a field; None for a parent key (no column of its own)."""
        f = self.field(name)
        if self.is_parent_field(name):
            return None
        table = models.metadata.tables[f.table] if f.table else self.store_table
        return table.c[f.store_column]

    def length(self, name: str) -> int | None:
        """The store's length limit of a field (None: unlimited text, a number, a date or a parent key)."""
        column = self.column(name)
        return getattr(column.type, "length", None) if column is not None else None


def _f(name: str, kind: Kind, required: bool = False, **kw: object) -> Field:
    return Field(name, kind, required, **kw)  # type: ignore[arg-type]


_PLACE = (_f("province_code", "code", column="old_province_code"),
          _f("district_code", "code", column="old_district_code"),
          _f("commune_code", "code", column="old_commune_code"))

# In load order: parents before children (and within a stage, this order).
_DEFINED = (
    Entity("account", (
        _f("kind", "enum", True, choices=("citizen", "business", "staff")),
        _f("username", "text", table="account_alias", identifier="username", unique=True),
        _f("password_hash", "text", table="account_alias"),
        _f("full_name", "text"),
        _f("id_number", "id_number", identifier="id-number", unique=True),
        _f("legacy_id_number", "legacy_id_number", identifier="legacy-id-number", unique=True),
        _f("tax_code", "tax_code", identifier="tax-code", unique=True),
        _f("birth_date", "date"),
        _f("gender", "text"),
        _f("phone", "text"),
        _f("email", "text"),
        _f("address", "text"),
        *_PLACE,
        _f("created_at", "datetime"),
        _f("agency_code", "code"),
    ), placed=True, merges=True, key_kind="account-id", status="{kind} account"),
    Entity("dossier", (
        # a dossier not numbered yet (online, not received) is still a dossier
        _f("dossier_no", "text", identifier="dossier-no", unique=True),
        _f("procedure_code", "code"),
        _f("procedure_name", "text"),
        _f("agency_code", "code"),
        _f("agency_name", "text"),
        _f("applicant_account_key", "code"),
        _f("applicant_name", "text"),
        _f("applicant_id_number", "text", identifier="applicant-id-number"),
        _f("address", "text"),
        *_PLACE,
        _f("submitted_at", "datetime"),
        _f("received_at", "datetime"),
        _f("due_at", "datetime"),
        _f("finished_at", "datetime"),
        _f("status", "text"),
        _f("modified_at", "datetime"),
    ), parent=ParentLink("applicant_account_key", "account", "account_id", required=False, noun="applicant account"),
        placed=True, commune_required=True, key_kind="dossier-id", number="dossier_no", status="{status}"),
    Entity("dossier_event", (
        _f("dossier_key", "code", True),
        _f("action_code", "code"),
        _f("action_name", "text"),
        _f("actor", "text"),
        _f("occurred_at", "datetime"),
        _f("note", "text"),
    ), parent=ParentLink("dossier_key", "dossier", "dossier_id")),
    Entity("dossier_file", (
        _f("dossier_key", "code", True),
        _f("file_name", "text"),
        _f("path", "text", column="source_path"),
        _f("size", "int"),
        _f("sha256", "code", column="recorded_sha256"),
    ), parent=ParentLink("dossier_key", "dossier", "dossier_id"), files=True, key_kind="file-id"),
    Entity("document", (
        _f("owner_account_key", "code"),
        _f("owner_id_number", "text"),
        _f("doc_type", "text"),
        _f("title", "text"),
        _f("doc_no", "text"),
        _f("issued_at", "date"),
        _f("issuer", "text"),
        _f("path", "text", column="source_path"),
        _f("size", "int"),
        _f("sha256", "code", column="recorded_sha256"),
    ), parent=ParentLink("owner_account_key", "account", "account_id", noun="owner account",
                         by_number="owner_id_number"),
        files=True, file_optional=True, key_kind="document-id"),
)

REGISTRY: dict[str, Entity] = {e.name: e for e in _DEFINED}

ENTITIES: tuple[str, ...] = tuple(REGISTRY)
"""The entity names in load order (parents before children)."""

STAGES: tuple[tuple[str, ...], ...] = tuple(
    tuple(e.name for e in _DEFINED if e.stage == n) for n in range(max(e.stage for e in _DEFINED) + 1)
)
"""Entities grouped by stage: each stage looks up the one before."""

FILE_ENTITIES: tuple[str, ...] = tuple(e.name for e in _DEFINED if e.files)
"""The entities whose records carry an attachment."""

ENTITY_TABLES: dict[str, Table] = {e.name: e.store_table for e in _DEFINED}
"""entity -> its store table."""


ALIAS = "@alias"    # the value lives in the record's own account_alias row
PARENT = "@parent"  # the value is the parent row's source key


def store_column(entity: str, name: str) -> str:
    """The entity row's column holding canonical field ``name`` of ``entity``, or ALIAS / PARENT."""
    definition = REGISTRY[entity]
    if definition.is_parent_field(name):
        return PARENT
    field = definition.field(name)
    return ALIAS if field.table == models.account_alias.name else field.store_column


def entity_of(label: str) -> Entity:
    """The entity of a part label ('dossier_event.log' -> dossier_event)."""
    return REGISTRY[base_name(label)]


def base_name(label: str) -> str:
    """The entity name of a part label: the text before the first dot."""
    return label.split(".", 1)[0]


def children(name: str) -> tuple[Entity, ...]:
    """The entities whose parent is ``name``."""
    return tuple(e for e in _DEFINED if e.parent is not None and e.parent.entity == name)
