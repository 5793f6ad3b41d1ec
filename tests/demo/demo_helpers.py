"""Small readers the demo tests share."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from migrate.demo.generate import PortalManifest
from migrate.demo.schema import TABLES


@contextmanager
def open_portal(manifest: PortalManifest) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(manifest.db_path)) as connection:
        yield connection


def rows(manifest: PortalManifest, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with open_portal(manifest) as connection:
        return connection.execute(sql, params).fetchall()


def files_on_disk(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def content_digest(manifest: PortalManifest) -> str:
    """SHA-256 over every table's rows in key order."""
    digest = hashlib.sha256()
    with open_portal(manifest) as connection:
        for table in TABLES:
            for row in connection.execute(f"SELECT * FROM {table} ORDER BY Id"):  # noqa: S608 - fixed names
                digest.update(repr(row).encode())
    return digest.hexdigest()


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in files_on_disk(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
