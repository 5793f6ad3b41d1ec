"""Create, upgrade and open the unified store; alembic is the only way in."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from migrate.core.errors import StoreError

log = logging.getLogger(__name__)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def connect(url: str) -> Engine:
    """An engine on the store; SQLite gets foreign keys and WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config() -> Config:
    script_location = resources.files("migrate.store") / "alembic"
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the store to ``revision``; returns the revision reached."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    reached = current_revision(engine)
    log.info("store %s at revision %s", safe_url(str(engine.url)), reached)
    return reached or ""


def downgrade(engine: Engine, revision: str) -> str:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    return current_revision(engine) or "base"


def require_current(engine: Engine) -> None:
    """Refuse to work on a store that is not at the latest schema."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise StoreError(
            f"Store {safe_url(str(engine.url))} is at schema revision {current or 'none'}, "
            f"this hopnhat needs {head}. Run: hopnhat store upgrade --store URL"
        )
