"""hopnhat store history and store upgrade --sql (offline DDL), through main() as a shell runs them."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from migrate.core.i18n import language
from migrate.store import schema
from tests.harness import hopnhat


def test_upgrade_sql_for_postgresql_needs_no_server_and_prints_no_password():
    result = hopnhat("store", "upgrade", "--sql", "--store", "postgresql+psycopg://hopnhat:s3cret@db.invalid/unified")
    assert result.code == 0, result.stderr
    assert "CREATE TABLE batch" in result.stdout and "BIGSERIAL" in result.stdout
    assert "UPDATE alembic_version SET version_num='0004'" in result.stdout
    assert "s3cret" not in result.stdout + result.stderr


def test_offline_sql_builds_the_same_sqlite_store_as_a_live_upgrade(tmp_path):
    result = hopnhat("store", "upgrade", "--sql", "--store", f"sqlite:///{tmp_path / 'never-created.sqlite'}")
    assert result.code == 0, result.stderr
    assert not (tmp_path / "never-created.sqlite").exists()
    offline = tmp_path / "offline.sqlite"
    with sqlite3.connect(offline) as conn:
        conn.executescript(result.stdout)
    live = f"sqlite:///{tmp_path / 'live.sqlite'}"
    schema.upgrade(schema.connect(live, create=True))
    assert _tables(f"sqlite:///{offline}") == _tables(live)
    current = hopnhat("store", "current", "--store", f"sqlite:///{offline}")
    assert current.code == 0
    assert f"revision {schema.head_revision()}; latest {schema.head_revision()}" in current.stdout


@pytest.mark.postgresql
def test_offline_sql_from_a_revision_brings_a_postgresql_store_to_head(pg_url):
    engine = schema.connect(pg_url)
    schema.upgrade(engine, "0002")
    result = hopnhat("store", "upgrade", "--sql", "--from", "0002", "--store", pg_url)
    assert result.code == 0, result.stderr
    assert "CREATE TABLE old_identifier" in result.stdout and "CREATE TABLE batch" not in result.stdout
    url = make_url(pg_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        conn.execute(result.stdout)
    schema.require_current(engine)
    engine.dispose()


def test_history_lists_every_revision_and_marks_the_store(tmp_path):
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    schema.upgrade(schema.connect(store, create=True), "0002")
    result = hopnhat("store", "history", "--store", store)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [r.revision for r in schema.history()]
    assert lines[1].startswith("0002") and lines[1].endswith("(current)")
    assert lines[-2].endswith("(head)")
    assert lines[-1] == f"Store {store}: revision 0002."


def test_history_says_each_revision_in_vietnamese(tmp_path):
    """Each revision's message (its script's first docstring line) is a catalogue message: said in Vietnamese,
    English as the script writes it."""
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    schema.upgrade(schema.connect(store, create=True), "0002")
    vi, en = (hopnhat("--lang", lang, "store", "history", "--store", store, expect=0) for lang in ("vi", "en"))
    revisions = schema.history()
    said = [line.split("  ", 2)[2] for line in vi.stdout.splitlines()[:-1]]
    kept = [line.split("  ", 2)[2] for line in en.stdout.splitlines()[:-1]]
    assert kept[0] == revisions[0].message and kept[1] == revisions[1].message + "  (current)"
    for rev, text in zip(revisions, said):
        assert text.removesuffix("  (hiện tại)").removesuffix("  (mới nhất)") == language("vi").gettext(rev.message)
        assert rev.message not in text, text
    assert said[1].endswith("  (hiện tại)") and said[-1].endswith("  (mới nhất)")
    assert vi.stdout.splitlines()[-1] == f"Kho {store}: phiên bản 0002."


def test_history_of_a_store_not_created_yet_creates_nothing(tmp_path):
    result = hopnhat("store", "history", "--store", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert result.code == 0
    assert result.stdout.splitlines()[-1].endswith("revision none.")
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize("args,code,message", [
    (["--sql", "--from", "0099"], 1, "Can't locate revision identified by '0099'"),
    (["--from", "0002"], 2, "--from goes with --sql"),
])
def test_upgrade_sql_mistakes_say_what_to_do(tmp_path, args, code, message):
    result = hopnhat("store", "upgrade", *args, "--store", f"sqlite:///{tmp_path / 's.sqlite'}")
    assert result.code == code
    assert message in result.stderr and "Traceback" not in result.stderr


def _tables(url: str) -> dict[str, list[str]]:
    engine = schema.connect(url)
    found = inspect(engine)
    tables = {t: sorted(c["name"] for c in found.get_columns(t)) for t in found.get_table_names()}
    engine.dispose()
    return tables
