"""SQL Server legacy portals through pymssql (``mssql+pymssql://``).

The driver is imported only when a SQL Server source is opened; without it
the error says how to install it. Statements are SQLAlchemy Core, so the
tests compile every one of them with the SQL Server dialect even where no
server is reachable.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from adapters.sqlsource import SqlSource, driver_url, split_schema
from migrate.core.errors import ConfigError
from migrate.core.messages import msg

TYPE_MAP = {
    "datetime2": "timestamp",
    "datetime": "timestamp",
    "smalldatetime": "timestamp",
    "datetimeoffset": "timestamp",
    "date": "date",
    "time": "time",
    "nvarchar": "text",
    "varchar": "text",
    "nchar": "text",
    "char": "text",
    "ntext": "text",
    "text": "text",
    "xml": "text",
    "uniqueidentifier": "text",
    "money": "decimal",
    "smallmoney": "decimal",
    "decimal": "decimal",
    "numeric": "decimal",
    "bit": "bool",
    "tinyint": "int",
    "smallint": "int",
    "integer": "int",
    "int": "int",
    "bigint": "int",
    "float": "float",
    "real": "float",
    "varbinary": "bytes",
    "binary": "bytes",
    "image": "bytes",
    "timestamp": "bytes",  # rowversion, not a time
}

# SQL Server and FreeTDS error numbers worth a retry: deadlock victim, lock request timeout,
# connection timeouts and resets, Azure SQL throttling and failover.
TRANSIENT_ERRORS = {1205, 1222, -2, 233, 10053, 10054, 10060, 20003, 20006, 20009, 20047, 40197, 40501, 40613,
                    49918, 49919, 49920}
_TRANSIENT_TEXT = re.compile(r"deadlock|timed out|timeout expired|connection reset|is dead|broken pipe", re.I)


def error_number(exc: BaseException) -> int | None:
    """The SQL Server error number of a pymssql exception (its first argument), if any."""
    orig = getattr(exc, "orig", exc)
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    if args and isinstance(args[0], tuple) and args[0] and isinstance(args[0][0], int):
        return args[0][0]
    return None


def is_transient(exc: BaseException) -> bool:
    number = error_number(exc)
    if number in TRANSIENT_ERRORS:
        return True
    return bool(_TRANSIENT_TEXT.search(str(getattr(exc, "orig", exc))))


def engine_url(url: str) -> URL:
    return driver_url(url, driver="mssql+pymssql", aliases=("mssql",), what="SQL Server")


def open_source(name: str, url: str) -> SqlSource:
    """``mssql+pymssql://user@host:1433/portal[?schema=dbo]``; password from the URL or environment."""
    try:
        import pymssql  # noqa: F401
    except ImportError as exc:
        raise ConfigError(msg("SQL Server sources need pymssql: pip install 'hopnhat[mssql]'")) from exc
    parsed, schema = split_schema(engine_url(url))
    engine = create_engine(parsed, pool_pre_ping=True)
    return SqlSource(name, engine, engine_name="mssql", type_map=TYPE_MAP, is_transient=is_transient,
                     schema=schema)
