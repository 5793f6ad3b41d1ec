"""The canonical entities hopnhat migrates, in load order (parents before children)."""

from __future__ import annotations

ENTITIES = ("account", "dossier", "dossier_event", "dossier_file", "document")

ALIAS = "@alias"    # the value lives in the record's own account_alias row
PARENT = "@parent"  # the value is the parent row's source key

# canonical field -> store column (same name when absent), per entity
STORE_COLUMNS: dict[str, dict[str, str]] = {
    "account": {"username": ALIAS, "password_hash": ALIAS, "province_code": "old_province_code",
                "district_code": "old_district_code", "commune_code": "old_commune_code"},
    "dossier": {"applicant_account_key": PARENT, "province_code": "old_province_code",
                "district_code": "old_district_code", "commune_code": "old_commune_code"},
    "dossier_event": {"dossier_key": PARENT},
    "dossier_file": {"dossier_key": PARENT, "path": "source_path", "sha256": "recorded_sha256"},
    "document": {"owner_account_key": PARENT, "path": "source_path", "sha256": "recorded_sha256"},
}


def store_column(entity: str, name: str) -> str:
    """The store column holding canonical field ``name`` of ``entity`` (or ALIAS, PARENT)."""
    return STORE_COLUMNS[entity].get(name, name)
