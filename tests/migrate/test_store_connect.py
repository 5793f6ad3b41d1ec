"""Opening the store: driver errors become one line with the URL's password hidden; nothing is created by accident.

Real failures only: a folder that does not exist, a port nobody listens on,
a database and a user the suite's PostgreSQL server does not have.
"""

from __future__ import annotations

import logging
import threading

import pytest
from port_for import get_port

from migrate.core.errors import StoreError
from migrate.store import schema
from tests.harness import EXIT_ERROR


def test_a_missing_sqlite_store_is_refused_and_not_created(tmp_path, shell):
    target = tmp_path / "not" / "yet" / "store.sqlite"
    url = f"sqlite:///{target}"
    with pytest.raises(StoreError, match=r"there is no store at .* Create it: hopnhat store upgrade --store"):
        schema.connect(url)
    for command in (["store", "current"], ["batches", "list"], ["quarantine", "list"], ["lookup", "X"]):
        out = shell.main(*command, "--store", url, expect=EXIT_ERROR)
        assert out.error_line.startswith(f"Error: there is no store at {url} (no file {target})"), out
    assert not (tmp_path / "not").exists()  # neither the folder nor an empty file
    created = shell.run("store", "upgrade", "--store", url)
    assert created.stdout.startswith(f"Store {url} is at schema revision {schema.head_revision()}")
    assert target.is_file()
    assert "; latest " in shell.main("store", "current", "--store", url).stdout


@pytest.mark.parametrize("scheme", ["postgres", "mysql+pymysql", "oracle"])
def test_an_unknown_scheme_names_the_ones_to_use_with_the_password_hidden(shell, scheme):
    url = f"{scheme}://hopnhat:s3cret-pw@db.internal/unified"
    out = shell.run("store", "current", "--store", url, expect=EXIT_ERROR)
    assert "s3cret-pw" not in out.output
    assert out.error_line == (f"Error: unknown store URL scheme {scheme}:// in {scheme}://hopnhat:***@db.internal/"
                              "unified: use postgresql+psycopg://USER@HOST/DB or sqlite:///FILE"
                              + (" (postgresql+psycopg://, not postgres://)" if scheme == "postgres" else ""))


def test_not_a_url(shell):
    with pytest.raises(StoreError) as refused:
        schema.connect("hopnhat.sqlite")
    assert str(refused.value) == ("the store URL 'hopnhat.sqlite' is not a database URL: use "
                                  "postgresql+psycopg://USER@HOST/DB or sqlite:///FILE")
    out = shell.main("store", "current", "--store", "hopnhat.sqlite", expect=EXIT_ERROR)
    assert "'hopnhat.sqlite'" in out.error_line and "not a database URL" in out.error_line


def test_connection_refused_is_retried_then_named(shell, caplog):
    port = get_port(None)  # nobody listens there
    url = f"postgresql+psycopg://hopnhat:s3cret-pw@127.0.0.1:{port}/unified"
    with caplog.at_level(logging.WARNING, logger="migrate.store.schema"):
        with pytest.raises(StoreError) as refused:
            schema.connect(url)
    message = str(refused.value)
    assert message.startswith(f"cannot open the store postgresql+psycopg://hopnhat:***@127.0.0.1:{port}/unified: ")
    assert "Connection refused" in message and message.endswith("is the server running and reachable at that "
                                                                "host and port?")
    assert "s3cret-pw" not in message
    retried = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert 2 <= len(retried) <= 12  # a refused connection is tried again for schema.REFUSED_PATIENCE seconds, no more
    out = shell.run("store", "current", "--store", url, expect=EXIT_ERROR)
    assert out.error_line == f"Error: {message}" and "s3cret-pw" not in out.output


@pytest.mark.postgresql
def test_unknown_database_and_user_are_not_retried(pg_server, caplog):
    with caplog.at_level(logging.WARNING, logger="migrate.store.schema"):
        with pytest.raises(StoreError) as no_db:
            schema.connect(pg_server.url("no_such_database"))
        with pytest.raises(StoreError) as no_user:
            schema.connect(pg_server.url().replace("://postgres@", "://nobody_here@"))
    assert 'database "no_such_database" does not exist' in str(no_db.value)
    assert str(no_db.value).endswith("create the database on the server (createdb NAME), then: "
                                     "hopnhat store upgrade --store URL")
    assert 'role "nobody_here" does not exist' in str(no_user.value)
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]


@pytest.mark.postgresql
def test_a_postgresql_url_without_driver_uses_psycopg(pg_store):
    engine = schema.connect(pg_store.replace("postgresql+psycopg://", "postgresql://"))
    assert engine.dialect.driver == "psycopg"
    assert schema.current_revision(engine) == schema.head_revision()
    engine.dispose()


@pytest.mark.postgresql
def test_a_server_still_starting_is_waited_for(pg_server, pg_store, shell, caplog):
    """The suite's server restarted as a standby that accepts no connections (what a server still
    starting or recovering answers: SQLSTATE 57P03), then promoted two seconds later: opening the store
    meanwhile waits for it instead of failing; a second command finds it ready."""
    pg_server.stop("fast")
    (pg_server.datadir / "standby.signal").touch()
    options = (f"-p {pg_server.port} -k {pg_server.datadir} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c hot_standby=off")
    pg_server.ctl("start", "-o", options, "-l", str(pg_server.datadir / "server.log"))  # no -w: never ready
    promote = threading.Timer(2.0, lambda: pg_server.ctl("promote", "-w", check=False))
    promote.start()
    try:
        with caplog.at_level(logging.WARNING, logger="migrate.store.schema"):
            engine = schema.connect(pg_store)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        engine.dispose()
        waited = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
        assert any("not accepting connections" in m or "starting up" in m for m in waited), waited
        out = shell.run("store", "current", "--store", pg_store)
        assert "latest" in out.output and "Error" not in out.output
    finally:
        promote.join()
        pg_server.stop("fast")
        (pg_server.datadir / "standby.signal").unlink(missing_ok=True)
        pg_server.start()
