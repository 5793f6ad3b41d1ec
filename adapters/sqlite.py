"""SQLite legacy portals (and the demo's), opened read-only; TEXT that is not UTF-8 is read, not refused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from adapters.sqlsource import SqlSource
from migrate.core.errors import SourceError
from migrate.core.messages import msg

TYPE_MAP = {
    "integer": "int",
    "biginteger": "int",
    "smallinteger": "int",
    "numeric": "decimal",
    "float": "float",
    "real": "float",
    "text": "text",
    "varchar": "text",
    "string": "text",
    "date": "date",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "boolean": "bool",
    "blob": "bytes",
    "largebinary": "bytes",
}


# A locked file, or a file being replaced under a reader: its tables were found when the source
# was opened, so one that vanishes mid-read ("no such table") comes back with the file.
_TRANSIENT = ("database is locked", "no such table", "disk i/o error", "file is not a database",
              "database disk image is malformed")


def _transient(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return any(marker in text for marker in _TRANSIENT)


def open_source(name: str, url: str) -> SqlSource:
    """``sqlite:///path/to/portal.sqlite``; the file must exist (never created)."""
    path = make_url(url).database
    if not path or not Path(path).is_file():
        raise SourceError(msg("SQLite file not found: {path}", path=str(path)), source=name)
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    # a pool of connections any thread may take in turn (the census, the key stream, the read-ahead run in
    # threads of their own): the pool "sqlite://" gets by default keeps one per thread and closes the oldest
    # past five threads, even while its thread still reads through it
    engine = create_engine("sqlite://", creator=lambda: _connect_ro(uri), poolclass=QueuePool)
    return SqlSource(name, engine, engine_name="sqlite", type_map=TYPE_MAP, is_transient=_transient,
                     raw="as-stored")


def _connect_ro(uri: str):
    import sqlite3

    class Cursor(sqlite3.Cursor):
        """Rows read with SQLite's own UTF-8 decoding (no Python call per value); a statement whose rows hold
        TEXT that is not UTF-8 runs again, its connection decoding through :func:`text_value` from then on,
        and goes on from the row it stopped at."""

        _statement: tuple = ()
        _fetched = 0

        def execute(self, sql, parameters=()):
            self._statement, self._fetched = (sql, parameters), 0
            return super().execute(sql, parameters)

        def fetchone(self):
            row = self._decoded(super().fetchone)
            self._fetched += row is not None
            return row

        def fetchmany(self, size=None):
            rows = self._decoded(lambda: super(Cursor, self).fetchmany(self.arraysize if size is None else size))
            self._fetched += len(rows)
            return rows

        def fetchall(self):
            rows = self._decoded(super().fetchall)
            self._fetched += len(rows)
            return rows

        def __next__(self):
            row = self.fetchone()
            if row is None:
                raise StopIteration
            return row

        def _decoded(self, fetch):
            try:
                return fetch()
            except sqlite3.OperationalError as exc:
                if not self._statement or not str(exc).startswith("Could not decode to UTF-8"):
                    raise
            self.connection.text_factory = text_value
            super().execute(*self._statement)
            for _ in range(self._fetched):  # the rows already handed out, read again and skipped
                super().fetchone()
            return fetch()

    class Connection(sqlite3.Connection):
        def cursor(self, factory=Cursor):
            return super().cursor(factory)

        def execute(self, sql, parameters=()):
            return self.cursor().execute(sql, parameters)

    return sqlite3.connect(uri, uri=True, check_same_thread=False, factory=Connection)


def text_value(data: bytes) -> str:
    """A TEXT value as the portal stored it. SQLite keeps whatever bytes it was given; bytes that are
    not UTF-8 would make the driver refuse the whole page, so they are kept as lone surrogates
    (``surrogateescape``: the bytes can be had back). The record holding one is quarantined with its
    field (rule text:not-utf8), and its raw payload shows the bytes escaped."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape")
