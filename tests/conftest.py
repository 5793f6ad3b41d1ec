"""Shared fixtures: a real PostgreSQL server started by the suite, SQLite stores, demo portals.

The PostgreSQL server is initialised in a temporary folder and started with
pg_ctl on a free loopback port; as root (CI), it runs as the unprivileged
``postgres`` user because initdb refuses root. Each test module gets a fresh
database (pytest-postgresql's DatabaseJanitor). Without PostgreSQL binaries
the PostgreSQL tests skip with the reason, except under CI (CI=1, true or yes),
where they fail: CI must really run them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrate.store import schema
from tests.ci import needed
from tests.harness import shell  # noqa: F401 - the fixture every CLI test uses

PG_USER = "postgres"


@dataclass
class PgServer:
    bindir: Path
    datadir: Path
    port: int
    run_as: str | None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), *args), check=check,
                              capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        self.ctl("start", "-w", "-o", options, "-l", str(self.datadir / "server.log"))

    def stop(self, mode: str = "fast") -> None:
        self.ctl("stop", "-w", "-m", mode, check=False)

    def restart(self, mode: str = "immediate") -> None:
        """Stop the server hard (as a crash would) and start it again."""
        self.stop(mode)
        self.start()


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for path in reversed(candidates):
        if (Path(path) / "initdb").exists():
            return Path(path)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


def _unavailable(reason: str):
    needed(f"no PostgreSQL server can be started here: {reason}")


@pytest.fixture(scope="session")
def pg_server():
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("PostgreSQL binaries not found (apt-get install postgresql)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            _unavailable(f"running as root and there is no '{PG_USER}' user to run the server")
        run_as = PG_USER
    from port_for import get_port

    base = Path(tempfile.mkdtemp(prefix="hopnhat-pg-"))
    datadir = base / "data"
    datadir.mkdir()
    if run_as:
        user = pwd.getpwnam(run_as)
        os.chown(base, user.pw_uid, user.pw_gid)
        os.chown(datadir, user.pw_uid, user.pw_gid)
        os.chmod(base, 0o755)
    server = PgServer(bindir, datadir, get_port(None), run_as)
    init = subprocess.run(server._cmd("initdb", "-D", str(datadir), "-U", PG_USER, "-A", "trust",
                                      "-E", "UTF8", "--locale=C.UTF-8"),
                          capture_output=True, text=True, timeout=300)
    if init.returncode != 0:
        init = subprocess.run(server._cmd("initdb", "-D", str(datadir), "-U", PG_USER, "-A", "trust",
                                          "-E", "UTF8", "--no-locale"), capture_output=True, text=True, timeout=300)
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = (datadir / "server.log").read_text(errors="replace")[-800:] if (datadir / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {exc.stderr} {log}")
    yield server
    server.stop("immediate")
    shutil.rmtree(base, ignore_errors=True)


def _new_database(server: PgServer) -> tuple[str, object]:
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"t_{uuid.uuid4().hex[:12]}"
    janitor = DatabaseJanitor(user=PG_USER, host="127.0.0.1", port=server.port, dbname=name,
                              password=None)
    janitor.init()
    return server.url(name), janitor


@pytest.fixture(scope="module")
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database for one test module."""
    url, janitor = _new_database(pg_server)
    yield url
    janitor.drop()


@pytest.fixture
def pg_store(pg_server):
    """A fresh PostgreSQL store at the latest schema, for one test."""
    url, janitor = _new_database(pg_server)
    engine = schema.connect(url)
    schema.upgrade(engine)
    yield url
    engine.dispose()
    janitor.drop()


@pytest.fixture
def sqlite_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    schema.upgrade(schema.connect(url, create=True))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """The same test on both stores."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_store")
    return request.getfixturevalue("pg_store")


@pytest.fixture(scope="session")
def demo_portals(tmp_path_factory):
    """The demo's three legacy portals at the default scale, built once per session."""
    from migrate.demo.generate import build_demo

    out = tmp_path_factory.mktemp("portals")
    return build_demo(out, scale=60, seed=2025)
