"""The canonical entities hopnhat migrates, in load order (parents before children)."""

from __future__ import annotations

ENTITIES = ("account", "dossier", "dossier_event", "dossier_file", "document")
