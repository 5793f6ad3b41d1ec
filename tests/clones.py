"""A store migrated once, copied for each test that reads or changes it.

Migrating the demo portals is the expensive part of many tests; the copy is
cheap and private: SQLite's online backup of the file, or a PostgreSQL
``CREATE DATABASE ... TEMPLATE`` on the suite's server. The files folder the
run wrote goes along, so attachments verify against the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@contextmanager
def cloned(url: str, files_dir: Path, folder: Path) -> Iterator[tuple[str, Path]]:
    """A private copy of the store at ``url`` and of its files: (store URL, files folder), dropped after."""
    folder.mkdir(parents=True, exist_ok=True)
    files = folder / "files"
    if files_dir.exists():
        shutil.copytree(files_dir, files)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = folder / "store.sqlite"
        with sqlite3.connect(parsed.database) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        yield f"sqlite:///{target}", files
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:  # a template must have no other session
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": parsed.database})
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False), files
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
