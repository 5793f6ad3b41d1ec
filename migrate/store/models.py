"""The unified store schema: one MetaData, the same on SQLite and PostgreSQL.

Every entity row carries its lineage (source system, source table, source key,
the batch that loaded it and the content hash of the source record). The
bookkeeping tables (batch, lineage with each record's remap decision, quarantine,
review_item, source_snapshot, reconciliation_run) are what the invariants are proven from.

The schema is only ever created or changed through the alembic revisions in
``migrate/store/alembic``; these models are what the revisions are checked
against.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.schema import SchemaItem

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _batch_key() -> ForeignKeyConstraint:
    """A row's ``batch_id`` as a foreign key to ``batch``: on SQLite only.

    No invariant needs it (batches are never deleted, and a batch's rows commit
    with its ledger row), and on PostgreSQL it costs a check per row written;
    SQLite keeps it because dropping it means rebuilding tables that other rows
    reference (revision 0005 drops it on PostgreSQL).
    """
    return ForeignKeyConstraint(["batch_id"], ["batch.id"]).ddl_if(dialect="sqlite")


# Free room in each page of the tables whose rows a delta rewrites (a record changed in the source: its entity
# row and its lineage row), so the new version of a row stays on its page: PostgreSQL then writes no index entry
# for it (a heap-only tuple), as long as no indexed column changed. 10% of the page: a 1% delta of a settled
# store finds room for each of its rows. SQLite ignores it (revision 0007).
ROOM: dict[str, Any] = {"postgresql_with": {"fillfactor": 90}}


def _lineage_columns() -> list[SchemaItem]:
    """The columns every migrated entity row carries (invariant 2), with its batch key."""
    return [
        Column("source_system", String(100), nullable=False),
        Column("source_table", String(200), nullable=False),
        Column("source_key", String(400), nullable=False),
        Column("batch_id", Id, nullable=False),
        Column("content_hash", String(64), nullable=False),
        _batch_key(),
    ]


# --- reference: the new administrative units, agencies, procedures -----------

new_unit = Table(
    "new_unit",
    metadata,
    Column("code", String(5), primary_key=True),
    Column("name", Text, nullable=False),
    Column("province_code", String(2), nullable=False, index=True),
    Column("province_name", Text, nullable=False),
    Column("table_version", String(40), nullable=False),
)

agency = Table(
    "agency",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(100), nullable=False),
    Column("name", Text),
    Column("level", String(20)),  # province, district, commune, unknown
    Column("new_code", String(100)),
    Column("new_unit_code", String(5)),
    Column("source_system", String(100), nullable=False),
    UniqueConstraint("source_system", "code"),
)

procedure = Table(
    "procedure",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(100), nullable=False),
    Column("name", Text),
    Column("new_code", String(100)),
    Column("source_system", String(100), nullable=False),
    UniqueConstraint("source_system", "code"),
)

# --- migrated entities --------------------------------------------------------

account = Table(
    "account",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_lineage_columns(),
    Column("kind", String(20), nullable=False),  # citizen, business, staff
    Column("full_name", Text),
    Column("id_number", String(20), index=True),  # 12-digit CCCD
    Column("legacy_id_number", String(20), index=True),  # 9-digit CMND
    Column("tax_code", String(20), index=True),
    Column("birth_date", Date),
    Column("gender", String(20)),
    Column("phone", String(40)),
    Column("email", Text),
    Column("address", Text),
    Column("agency_code", String(100)),
    Column("old_province_code", String(20)),
    Column("old_district_code", String(20)),
    Column("old_commune_code", String(20)),
    Column("new_commune_code", String(5)),
    Column("created_at", DateTime),
    UniqueConstraint("source_system", "source_table", "source_key"),
    **ROOM,
)

# Every source account, including those merged into an account of another
# former province: their old usernames, identifiers and password hashes.
account_alias = Table(
    "account_alias",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("account.id"), nullable=False, index=True),
    *_lineage_columns(),
    Column("username", String(200), index=True),
    Column("password_hash", Text),
    Column("match_rule", String(40), nullable=False),  # self, cccd, cmnd-cccd, tax-code, ...
    Column("match_score", Float),
    UniqueConstraint("source_system", "source_table", "source_key"),
)

dossier = Table(
    "dossier",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_lineage_columns(),
    Column("dossier_no", String(200)),  # looked up by number through old_identifier.normalized (revision 0008)
    Column("procedure_code", String(100)),
    Column("procedure_name", Text),
    Column("agency_code", String(100)),
    Column("agency_name", Text),
    Column("account_id", Id, ForeignKey("account.id")),
    Column("applicant_name", Text),
    Column("applicant_id_number", String(40)),
    Column("address", Text),
    Column("old_province_code", String(20)),
    Column("old_district_code", String(20)),
    Column("old_commune_code", String(20)),
    Column("new_commune_code", String(5), index=True),
    Column("new_province_code", String(2)),
    Column("submitted_at", DateTime),
    Column("received_at", DateTime),
    Column("due_at", DateTime),
    Column("finished_at", DateTime),
    Column("status", String(40)),
    Column("modified_at", DateTime),
    UniqueConstraint("source_system", "source_table", "source_key"),
    **ROOM,
)

dossier_event = Table(
    "dossier_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_lineage_columns(),
    Column("dossier_id", Id, ForeignKey("dossier.id"), nullable=False, index=True),
    Column("action_code", String(100)),
    Column("action_name", Text),
    Column("actor", Text),
    Column("occurred_at", DateTime),
    Column("note", Text),
    UniqueConstraint("source_system", "source_table", "source_key"),
    **ROOM,
)

dossier_file = Table(
    "dossier_file",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_lineage_columns(),
    Column("dossier_id", Id, ForeignKey("dossier.id"), nullable=False, index=True),
    Column("file_name", Text),
    Column("source_path", Text),
    Column("size", BigInteger),
    Column("recorded_sha256", String(64)),  # what the source said
    Column("sha256", String(64)),  # of the stored content
    Column("file_state", String(20), nullable=False),  # stored, missing, unreadable, mismatch
    UniqueConstraint("source_system", "source_table", "source_key"),
    **ROOM,
)

document = Table(
    "document",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_lineage_columns(),
    Column("account_id", Id, ForeignKey("account.id"), index=True),
    Column("owner_id_number", String(40)),
    Column("doc_type", Text),
    Column("title", Text),
    Column("doc_no", Text),
    Column("issued_at", Date),
    Column("issuer", Text),
    Column("source_path", Text),
    Column("size", BigInteger),
    Column("recorded_sha256", String(64)),
    Column("sha256", String(64)),
    Column("file_state", String(20), nullable=False),
    UniqueConstraint("source_system", "source_table", "source_key"),
    **ROOM,
)

# --- bookkeeping ----------------------------------------------------------------

migration_run = Table(
    "migration_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("tool_version", String(40), nullable=False),
    Column("mapping_version", String(40)),
    Column("mapping_sha256", String(64)),
    Column("profiles", JSON, nullable=False),  # [{name, path, sha256}]
    Column("state", String(20), nullable=False),  # running, done, failed
)

batch = Table(
    "batch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("migration_run.id"), nullable=False, index=True),
    Column("source_system", String(100), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("key_lo", Text, nullable=False),  # JSON-encoded key tuple
    Column("key_hi", Text, nullable=False),
    Column("state", String(20), nullable=False),  # planned, running, loaded, failed, verified
    Column("attempts", Integer, nullable=False, default=0),
    Column("extracted", Integer, nullable=False, default=0),
    Column("loaded", Integer, nullable=False, default=0),
    Column("merged", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("excluded", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("worker", String(200)),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
    UniqueConstraint("run_id", "source_system", "entity", "seq"),
    Index(None, "state"),
)

# One row per extracted source record: what happened to it (invariant 1).
lineage = Table(
    "lineage",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_system", String(100), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("source_key", String(400), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("batch_id", Id, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),  # loaded, merged, quarantined, excluded
    Column("target_id", Id),  # row id in the entity table (merged: the account kept)
    Column("rule", String(100)),  # merge or exclusion rule, when there is one
    Column("old_province_code", String(20)),
    Column("old_district_code", String(20)),
    Column("old_commune_code", String(20)),
    Column("new_commune_code", String(5)),
    # The remap decision of a record whose place was remapped (invariant 4), NULL for the others: the rule
    # that chose its new commune (exact code, official table, split rule, address match, manual), its
    # score, what it weighed, the address it read and the new province. Once a table of its own
    # (remap_decision, until revision 0006): a row and three index entries more per record.
    Column("remap_rule", String(60)),
    Column("remap_score", Float),
    Column("remap_detail", Text),
    Column("remap_address", Text),
    Column("new_province_code", String(2)),
    UniqueConstraint("source_system", "source_table", "source_key"),
    Index(None, "source_system", "entity", "outcome"),
    Index(None, "batch_id").ddl_if(dialect="sqlite"),  # no query reads lineage by batch (revision 0005)
    _batch_key(),
    **ROOM,
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_id", Id, nullable=False, index=True),
    Column("source_system", String(100), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("source_key", String(400), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("field", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw_payload", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("released_at", DateTime),  # set when a later rerun loads the record
    UniqueConstraint("source_system", "source_table", "source_key"),
    _batch_key(),
)

review_item = Table(
    "review_item",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),  # remap, account-conflict
    Column("source_system", String(100), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("source_key", String(400), nullable=False),
    Column("reason", Text, nullable=False),
    Column("candidates", JSON),
    Column("context", JSON),
    Column("state", String(20), nullable=False),  # open, decided
    Column("decision", String(100)),
    Column("decided_by", String(200)),
    Column("decided_at", DateTime),
    UniqueConstraint("kind", "source_system", "source_table", "source_key"),
)

source_snapshot = Table(
    "source_snapshot",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("migration_run.id"), nullable=False),
    Column("source_system", String(100), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("source_count", BigInteger, nullable=False),
    Column("taken_at", DateTime, nullable=False),
    Column("planned_at", DateTime),  # set when every batch of the entity is planned (keys read to the end)
    # how the run reads the part: full or delta, why, the watermark taken, the key comparison's figures
    # (migrate.delta.ReadPlan); NULL in runs from before delta reads
    Column("read_plan", JSON),
    UniqueConstraint("run_id", "source_system", "entity"),
)

# Records the store holds that the source no longer has: found by a run's key comparison
# (migrate.delta) and kept in the store, marked here; a record back in the source loses its mark.
source_deletion = Table(
    "source_deletion",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_system", String(100), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("source_key", String(400), nullable=False),
    Column("run_id", Id, ForeignKey("migration_run.id"), nullable=False),  # the run that found it gone
    Column("found_at", DateTime, nullable=False),
    UniqueConstraint("source_system", "source_table", "source_key"),
)

reconciliation_run = Table(
    "reconciliation_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("ok", Boolean),
    Column("report_dir", Text),
    Column("summary", JSON),
)

# --- continuity: old identifiers that must keep working after cutover -----------

# Every identifier a citizen or an old link may carry (dossier number, old record
# id, old file id, username, ID number), normalized into one indexed column so a
# lookup is one index search. Rebuilt from the entity tables, the aliases and the
# quarantine by ``hopnhat continuity index``. The "C" collation on PostgreSQL
# makes prefix ranges (closest matches) byte-ordered, as they are on SQLite.
# A row is keyed by its record's lineage row and its kind (revision 0009): one
# narrow index entry, rising with the lineage ids a load writes, where the source
# key and an id of its own cost two wide ones; the source columns stay for reading.
old_identifier = Table(
    "old_identifier",
    metadata,
    Column("lineage_id", Id, primary_key=True, autoincrement=False),  # the record's lineage row
    Column("kind", String(40), primary_key=True),  # dossier-no, dossier-id, file-id, username, id-number, ...
    Column("value", String(400), nullable=False),  # as the source held it (NFC)
    Column("normalized", String(400).with_variant(String(400, collation="C"), "postgresql"), nullable=False,
           index=True),
    Column("source_system", String(100), nullable=False),
    Column("source_table", String(200), nullable=False),
    Column("source_key", String(400), nullable=False),
    Column("state", String(20), nullable=False),  # migrated, merged, quarantined
    Column("target_table", String(40)),  # dossier, dossier_file, document, account; None when quarantined
    Column("target_id", Id),
)
