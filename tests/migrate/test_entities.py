"""The entity registry against the store models: every field has a store column of a fitting type."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Date, DateTime, Integer, String, Text

from adapters.profiles import load_profile
from migrate import ledger
from migrate.core.canonical import FIELDS
from migrate.core.entities import ENTITIES, ENTITY_TABLES, REGISTRY, STAGES, entity_of
from migrate.store import models

STORE_TYPES = {"date": (Date,), "datetime": (DateTime,), "int": (BigInteger, Integer)}
# store columns an entity row has besides its canonical fields: filled by the loader
LOADER_COLUMNS = {"id", "source_system", "source_table", "source_key", "batch_id", "content_hash",
                  "new_commune_code", "new_province_code", "sha256", "file_state"}


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_field_has_a_store_column_of_its_kind(entity):
    definition = REGISTRY[entity]
    for field in definition.fields:
        column = definition.column(field.name)
        if definition.is_parent_field(field.name):
            assert column is None
            continue
        assert column is not None, f"{entity}.{field.name}"
        wanted = STORE_TYPES.get(field.kind, (String, Text))
        assert isinstance(column.type, wanted), f"{entity}.{field.name}: {column.type!r} for kind {field.kind}"
        if isinstance(column.type, String) and not isinstance(column.type, Text) and column.type.length:
            assert definition.length(field.name) == column.type.length


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_store_column_is_a_field_a_parent_or_a_loader_column(entity):
    definition = REGISTRY[entity]
    covered = {f.store_column for f in definition.row_fields()} | LOADER_COLUMNS
    if definition.parent is not None:
        covered.add(definition.parent.column)
        assert definition.parent.column in definition.store_table.c
        assert definition.parent.entity in REGISTRY
    assert set(definition.store_table.c.keys()) <= covered, set(definition.store_table.c.keys()) - covered
    assert ENTITY_TABLES[entity] is models.metadata.tables[entity]


def test_stages_follow_parent_links():
    assert STAGES == (("account",), ("dossier", "document"), ("dossier_event", "dossier_file"))
    for name in ENTITIES:
        link = REGISTRY[name].parent
        if link is not None:
            assert ledger.stage_of(name) == ledger.stage_of(link.entity) + 1
            assert ENTITIES.index(link.entity) < ENTITIES.index(name)  # parents load first
    assert ledger.stage_of("dossier_event.log") == ledger.stage_of("dossier_event") == 2


def test_canonical_fields_come_from_the_registry():
    assert list(FIELDS) == list(ENTITIES)
    for name in ENTITIES:
        assert tuple(FIELDS[name]) == REGISTRY[name].field_names
    assert FIELDS["account"]["kind"].choices == ("citizen", "business", "staff")
    assert REGISTRY["account"].length("username") == 200  # in account_alias, read from the model


def test_a_part_is_not_its_entity():
    profile = load_profile("opencps-v2")
    log = profile.entities["dossier_event.log"]
    assert (log.name, log.label, log.table) == ("dossier_event", "dossier_event.log", "opencps_dossierlog")
    assert log.entity is REGISTRY["dossier_event"] is entity_of("dossier_event.log")
    assert [p.table for p in profile.parts("account")] == ["opencps_applicant", "opencps_employee"]


def test_every_entity_is_named_for_readers_and_recognised_by_source_inspect():
    """The per-entity words outside the registry (what people read, what legacy table names hold) cover it."""
    from adapters.inspect import TABLE_HINTS
    from reconciliation import labels

    assert set(labels.ENTITIES) == set(REGISTRY)
    assert set(TABLE_HINTS) == set(REGISTRY)
