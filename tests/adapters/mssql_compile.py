"""Every statement a profile's reads send, compiled with SQLAlchemy's SQL Server dialect as it is sent.

No SQL Server runs here: a portal built on another engine (PostgreSQL, for its schemas) is read
part by part through its profile, and each statement is compiled for SQL Server on the way out.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.dialects import mssql
from sqlalchemy.sql import ClauseElement

from adapters import open_source


def statements_for_sql_server(name: str, url: str, profile) -> list[str]:
    """Read every part of ``profile`` from ``url`` whole; the reads' statements in SQL Server's T-SQL."""
    source = open_source(name, url)
    compiled: list[str] = []
    try:
        counts = {label: source.count(spec) for label, spec in profile.entities.items()}  # tables reflected

        @event.listens_for(source._db, "before_execute")
        def compile_for_mssql(conn, clause, multiparams, params, execution_options):
            if isinstance(clause, ClauseElement):
                compiled.append(str(clause.compile(dialect=mssql.dialect())))

        for label, spec in profile.entities.items():
            read = sum(len(page) for page in source.read(spec, after=None, batch_size=2))
            assert read == counts[label], label
    finally:
        source.close()
    assert len(compiled) > len(profile.entities)
    return compiled
