"""PostgreSQL legacy portals through psycopg 3 (``postgresql+psycopg://``), read-only sessions."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from adapters.sqlsource import SqlSource, driver_url, split_schema
from migrate.core.errors import ConfigError
from migrate.core.messages import msg

TYPE_MAP = {
    "integer": "int",
    "biginteger": "int",
    "smallinteger": "int",
    "bigint": "int",
    "smallint": "int",
    "numeric": "decimal",
    "double_precision": "float",
    "float": "float",
    "real": "float",
    "text": "text",
    "varchar": "text",
    "char": "text",
    "string": "text",
    "uuid": "text",
    "date": "date",
    "timestamp": "timestamp",
    "datetime": "timestamp",
    "time": "time",
    "boolean": "bool",
    "bytea": "bytes",
    "json": "json",
    "jsonb": "json",
}

# SQLSTATEs worth a retry: serialization failure, deadlock, statement timeout / cancel,
# lock not available, server shutting down or restarting, too many connections.
_TRANSIENT_STATES = {"40001", "40P01", "57014", "55P03", "57P01", "57P02", "57P03", "53300"}


def _transient(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or ""
    return state in _TRANSIENT_STATES or state.startswith("08")


def engine_url(url: str) -> URL:
    """``postgresql://`` and ``postgres://`` URLs use psycopg 3; other drivers are refused."""
    return driver_url(url, driver="postgresql+psycopg", aliases=("postgresql", "postgres"), what="PostgreSQL")


def open_source(name: str, url: str) -> SqlSource:
    """``postgresql+psycopg://user@host/db[?schema=legacy]``; every session is read-only."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ConfigError(msg("PostgreSQL sources need psycopg 3: pip install 'psycopg[binary]'")) from exc
    parsed, schema = split_schema(engine_url(url))
    engine = create_engine(parsed, pool_pre_ping=True,
                           connect_args={"options": "-c default_transaction_read_only=on -c DateStyle=ISO,YMD "
                                                    "-c TimeZone=UTC"})
    return SqlSource(name, engine, engine_name="postgresql", type_map=TYPE_MAP, is_transient=_transient,
                     schema=schema, raw="as-text")
