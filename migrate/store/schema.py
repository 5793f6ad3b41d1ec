"""Create, upgrade and open the unified store; alembic is the only way in."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from migrate.core.credentials import safe_url  # noqa: F401 - callers print URLs through schema.safe_url
from migrate.core.errors import StoreError
from migrate.core.messages import msg
from migrate.core.retry import policy
from migrate.store import failures
from migrate.store.revisions import message as revision_message

log = logging.getLogger(__name__)


STORE_URLS = msg("postgresql+psycopg://USER@HOST/DB or sqlite:///FILE")
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg", "sqlite": "sqlite",
            "sqlite+pysqlite": "sqlite+pysqlite"}


def connect(url: str, *, create: bool = False) -> Engine:
    """An engine on an existing store, its connection tried once; SQLite gets foreign keys and WAL.

    A missing SQLite file is refused, never created, unless ``create`` (``hopnhat
    store upgrade``, the demo): then its folder and file are made. Driver
    errors (unknown scheme, connection refused, authentication, unknown
    database) become one ``StoreError`` naming the URL with its password hidden;
    only transient ones (a server starting up) are tried again.
    """
    parsed = _parse(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
        if not in_memory and not Path(database).is_file():
            if not create:
                raise StoreError(msg("there is no store at {store} (no file {file}). "
                                     "Create it: hopnhat store upgrade --store {store}", store=shown, file=database))
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    _try_connection(engine, shown)
    return engine


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(msg("the store URL {url} is not a database URL: use {known}",
                             url=repr(url.split('@')[-1]), known=STORE_URLS)) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        shown = parsed.render_as_string(hide_password=True)
        if parsed.drivername == "postgres":
            raise StoreError(msg("unknown store URL scheme {scheme}:// in {store}: use {known} "
                                 "(postgresql+psycopg://, not postgres://)",
                                 scheme=parsed.drivername, store=shown, known=STORE_URLS))
        raise StoreError(msg("unknown store URL scheme {scheme}:// in {store}: use {known}",
                             scheme=parsed.drivername, store=shown, known=STORE_URLS))
    return parsed.set(drivername=driver)


STARTUP_PATIENCE = 120.0  # seconds a server starting up or recovering after a crash is waited for
REFUSED_PATIENCE = 5.0    # seconds a refused connection is tried again (a server about to listen)


def _try_connection(engine: Engine, shown: str) -> None:
    """Open one connection: a server starting up (or recovering) is waited out, as a restart
    mid-run is; a refused connection is tried again for a few seconds; nothing else is retried."""
    began = time.monotonic()

    def worth_waiting(exc: BaseException) -> bool:
        if not failures.is_transient(exc):
            return False
        return failures.is_starting_up(exc) or time.monotonic() - began < REFUSED_PATIENCE

    try:
        for attempt in policy(patience=STARTUP_PATIENCE, transient=worth_waiting, log=log,
                              what=msg("opening store {store}", store=shown)):
            with attempt, engine.connect():
                pass
    except DBAPIError as exc:
        engine.dispose()
        raise StoreError(failures.describe(exc, shown)) from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLAlchemy, not the driver, begins transactions: savepoints then nest inside them
    # (with the driver's own, a savepoint opened first would commit when released).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


def made_on(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's ``include_object`` for a store on ``dialect``: a model's index or constraint created on
    another engine only (``ddl_if(dialect=...)``, as the batch keys SQLite alone keeps) is not expected."""
    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)

    return include


def alembic_config() -> Config:
    script_location = resources.files("migrate.store") / "alembic"
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the store's migration scripts have no head revision")
    return head


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
    log.info(msg("store {store} at revision {revision}", store=safe_url(str(engine.url)), revision=reached))
    return reached or ""


def downgrade(engine: Engine, revision: str) -> str:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    return current_revision(engine) or "base"


@dataclass(frozen=True)
class Revision:
    """One schema revision of the store, as ``hopnhat store history`` lists it."""

    revision: str
    down_revision: str | None
    message: str
    created: str


def history() -> list[Revision]:
    """Every schema revision this hopnhat knows, oldest first (no store is opened)."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = []
    for rev in script.walk_revisions("base", "heads"):
        doc = (rev.doc or "").strip()
        created = next((line.split(":", 1)[1].strip() for line in (rev.module.__doc__ or "").splitlines()
                        if line.startswith("Create Date:")), "")
        down = rev.down_revision if isinstance(rev.down_revision, str) or rev.down_revision is None \
            else ",".join(rev.down_revision)
        revisions.append(Revision(rev.revision, down, revision_message(doc), created))
    return revisions[::-1]


def upgrade_sql(url: str, revision: str = "head", *, start: str | None = None) -> str:
    """The DDL that takes a store at ``start`` (default: empty) to ``revision``, without connecting.

    ``url`` only chooses the SQL dialect (PostgreSQL or SQLite); its
    password, if any, is never used or written.
    """
    try:
        dialect = make_url(url).get_backend_name()
    except ArgumentError:
        raise StoreError(msg("store URL is not a database URL: {url}", url=repr(url.split('@')[-1]))) from None
    if dialect not in ("postgresql", "sqlite"):
        raise StoreError(msg("offline SQL is written for PostgreSQL and SQLite stores, not {dialect}",
                             dialect=dialect))
    buffer = io.StringIO()
    config = alembic_config()
    config.output_buffer = buffer
    config.attributes["url"] = f"{dialect}://"
    target = f"{start}:{revision}" if start else revision
    try:
        command.upgrade(config, target, sql=True)
    except CommandError as exc:
        raise StoreError(msg("cannot write the upgrade SQL {target}: {problem}. Known revisions: hopnhat store history",
                             target=target, problem=str(exc))) from None
    return buffer.getvalue()


def require_current(engine: Engine) -> None:
    """Refuse to work on a store that is not at the latest schema."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise StoreError(msg("Store {store} is at schema revision {current}, this hopnhat needs {head}. "
                             "Run: hopnhat store upgrade --store URL",
                             store=safe_url(str(engine.url)), current=current or msg("none"), head=head))
