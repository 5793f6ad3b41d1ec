"""Nothing leaks: one credential-hiding function and one masking policy, checked in every output."""

from __future__ import annotations

import json
import sqlite3
import sys
import tomllib

import pytest
from openpyxl import load_workbook

from adapters.inspect import TableInfo, draft_profile
from migrate.core.credentials import hide_credentials
from migrate.core.masking import mask_reason, mask_text, mask_value
from runbooks import execute, journal
from runbooks.model import load_runbook
from tests.harness import hopnhat

SECRET = "hunter2"


def shell(*args: str) -> tuple[int, str, str]:
    """``hopnhat ARGS`` through main() (tests/harness.py), with the variables the test set: exit code, stdout, stderr."""
    out = hopnhat(*args, keep_env=True)
    return out.code, out.stdout, out.stderr


@pytest.mark.parametrize("text,hidden", [
    ("postgresql+psycopg://u:hunter2@db/x", "postgresql+psycopg://u:***@db/x"),
    ("postgresql://db/x?user=u&password=hunter2&sslmode=require", "postgresql://db/x?user=u&password=***&sslmode=require"),
    ("mssql+pymssql://db/x?PWD=hunter2", "mssql+pymssql://db/x?PWD=***"),
    ("PGPASSWORD=hunter2 hopnhat run a.toml", "PGPASSWORD=*** hopnhat run a.toml"),
    ("export HOPNHAT_SOURCE_TOKEN='hunter2 x' && ls", "export HOPNHAT_SOURCE_TOKEN=*** && ls"),
    ("hopnhat x --password hunter2 --store y", "hopnhat x --password *** --store y"),
    ("sqlite:///store.sqlite", "sqlite:///store.sqlite"),
    ("mssql+pymssql://reader@host:1433/db", "mssql+pymssql://reader@host:1433/db"),
])
def test_every_credential_form_is_hidden(text, hidden):
    assert hide_credentials(text) == hidden


def test_a_password_in_the_query_never_reaches_the_report(pg_store, tmp_path, monkeypatch):
    url = pg_store + ("&" if "?" in pg_store else "?") + f"password={SECRET}"
    code, out, err = shell("reconcile", "run", "--store", url, "--out", str(tmp_path / "r"))
    assert code == 4, out + err  # an empty store: nothing migrated yet
    assert SECRET not in out + err
    for path in (tmp_path / "r").iterdir():
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            book = load_workbook(path)
            data = "\n".join(str(v) for ws in book for row in ws.values for v in row).encode()
        assert SECRET.encode() not in data, path.name
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text("utf-8"))
    assert "password=***" in manifest["store"]


def test_the_runbook_journal_hides_every_credential_form(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        '[runbook]\nname = "t"\ntitle = "t"\n\n[[step]]\nid = "echo"\ntitle = "echo"\n'
        f"run = \"${{PY}} -c 'print(1)' PGPASSWORD={SECRET} postgresql://db/x?password={SECRET}\"\n", "utf-8")
    outcome = execute.run_runbook(load_runbook(path), tmp_path / "j.jsonl", operator="an",
                                  environ={"PY": sys.executable, "PATH": "/usr/bin:/bin"})
    assert outcome.ok, outcome.summary()
    assert SECRET not in (tmp_path / "j.jsonl").read_text("utf-8")
    assert "password=***" in journal.read(tmp_path / "j.jsonl")[0].command


@pytest.mark.parametrize("text,masked", [
    ("MaSoThue='035156600999': not a tax code", "MaSoThue='*********999': not a tax code"),
    ("call +84 912 345 678 or (0912) 345-888", "call ********678 or *******888"),
    ("CCCD 035156600555 issued 2021-02-19 08:45:00", "CCCD *********555 issued 2021-02-19 08:45:00"),
    ("write to an.nguyen@example.vn.", "write to a***@example.vn."),
    ("dossier 000.11.22.H35-210219-0001 file khodulieu/73/1.pdf", "dossier 000.11.22.H35-210219-0001 file khodulieu/73/1.pdf"),
])
def test_identifiers_inside_free_text_are_masked(text, masked):
    assert mask_text(text) == masked


def test_a_personal_column_in_a_reason_is_masked_whole():
    assert mask_reason("HoTen='Nguyễn Văn An': too long", {"HoTen"}) == "HoTen='N***** V** A*': too long"
    assert mask_value("Xóm 3, xã Yên Khánh") == "X** 3, x* Y** K****"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_quarantine_export_masks_reasons_and_payloads(engine, demo_portals, tmp_path, monkeypatch, request):
    """A portal whose rows carry ids, phones and e-mails in free text and in a reason; exported with defaults,
    from an SQLite store and from the suite's PostgreSQL."""
    import shutil

    from adapters.profiles import load_profile

    hanam = demo_portals[0]
    folder = tmp_path / "portal"
    folder.mkdir()
    shutil.copy(hanam.db_path, folder / hanam.db_path.name)
    shutil.copy(hanam.profile_path, folder / hanam.profile_path.name)
    shutil.copytree(hanam.files_dir, folder / hanam.files_dir.name)
    db = folder / hanam.db_path.name
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT TenNguoiNop FROM HoSo WHERE Id IN (1, 2)")]
        conn.execute("UPDATE HoSo SET MaXa = '99999', DiaChi = 'CCCD 035156600555, goi (0912) 345-888, '"
                     " || 'an.nguyen@example.vn' WHERE Id IN (1, 2)")
    profile = folder / hanam.profile_path.name
    monkeypatch.setenv(load_profile(profile).url_env, f"sqlite:///{db}")
    store = f"sqlite:///{tmp_path / 'store.sqlite'}" if engine == "sqlite" else request.getfixturevalue("pg_store")
    assert shell("store", "upgrade", "--store", store)[0] == 0
    assert shell("run", str(profile), "--store", store, "--files-dir", str(tmp_path / "files"))[0] in (0, 4)
    for suffix in (".csv", ".jsonl", ".xlsx"):
        out = tmp_path / f"q{suffix}"
        code, said, _ = shell("quarantine", "export", "--out", str(out), "--store", store)
        assert code == 0, said
        if suffix == ".xlsx":
            text = "\n".join(str(v) for ws in load_workbook(out) for row in ws.values for v in row)
        else:
            text = out.read_text("utf-8-sig")
        for leaked in ("035156600555", "345-888", "an.nguyen@", *names):
            assert leaked not in text, (suffix, leaked)
        assert "*********555" in text and "a***@example.vn" in text
    unmasked = tmp_path / "u.jsonl"
    assert shell("quarantine", "export", "--out", str(unmasked), "--store", store,
                 "--unmask")[0] == 0
    assert "035156600555" in unmasked.read_text("utf-8")


def test_source_inspect_writes_valid_toml_for_any_name():
    table = TableInfo(name='Ho"So\\x', rows=3, columns={'Id': "int", 'So"HoSo': "text"}, keys=(("Id",),))
    text = draft_profile([table], name='portal "a"', engine="sqlite")
    parsed = tomllib.loads(text)
    assert parsed["source"]["name"] == 'portal "a"'
    assert parsed["entity"]["dossier"]["table"] == 'Ho"So\\x'


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_source_inspect_of_a_live_source_writes_a_profile_that_reads_it(engine, tmp_path, request):
    """A table and a column whose names hold a quote, in a real SQLite file and in PostgreSQL: the draft is
    valid TOML naming them exactly, and ``source check`` reads the source through it."""
    from sqlalchemy import create_engine, text

    from adapters.profiles import load_profile

    url = f"sqlite:///{tmp_path / 'portal.sqlite'}" if engine == "sqlite" else request.getfixturevalue("pg_url")
    db = create_engine(url)
    with db.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "Ho""So"'))
        conn.execute(text('CREATE TABLE "Ho""So" ("Id" INTEGER PRIMARY KEY, "So""HoSo" TEXT, "MaXa" TEXT)'))
        conn.execute(text('INSERT INTO "Ho""So" VALUES (1, :n, :x)'), {"n": "HS-1", "x": "13291"})
    db.dispose()
    out = tmp_path / "draft.toml"
    code, said, err = shell("source", "inspect", "--source", url, "--name", 'portal "a"', "--out", str(out))
    assert code == 0, said + err
    parsed = tomllib.loads(out.read_text("utf-8"))
    assert parsed["source"]["name"] == 'portal "a"' and parsed["entity"]["dossier"]["table"] == 'Ho"So'
    assert 'So"HoSo' in parsed["entity"]["dossier"]["columns"].values()
    assert load_profile(out).entities["dossier"].key == ("Id",)
    code, said, err = shell("source", "check", str(out), "--source", url)
    assert code == 0 and ": OK" in said, said + err


def test_log_lines_and_error_lines_hide_credentials_and_mask_ids(tmp_path, monkeypatch, capsys):
    """The same policy for logs: a log file and the one-line error never carry a password or an ID number."""
    import logging

    from migrate.cli.logs import configure

    log = tmp_path / "hopnhat.log"
    configure(level=logging.INFO, log_file=log)
    logging.getLogger("migrate.test").warning("store postgresql://u:%s@db/x?password=%s, CCCD %s", SECRET, SECRET,
                                              "035156600555")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log.read_text("utf-8") + capsys.readouterr().err
    assert SECRET not in text and "035156600555" not in text and "*********555" in text
    code, out, err = shell("store", "current", "--store",
                           f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x?password={SECRET}&connect_timeout=1")
    *waits, last = err.splitlines()
    assert code == 1 and last.startswith("Error: ") and SECRET not in out + err
    assert all("WARNING migrate.store.schema: opening store" in w and "retrying" in w for w in waits), waits


def test_a_url_object_or_text_is_printed_with_its_password_hidden():
    from sqlalchemy.engine import make_url

    from migrate.core.credentials import safe_url

    url = make_url(f"postgresql+psycopg://hopnhat:{SECRET}@db.internal/unified")
    assert safe_url(url) == safe_url(str(url)) == "postgresql+psycopg://hopnhat:***@db.internal/unified"
    assert safe_url(f"mssql+pymssql://db/x?PWD={SECRET}") == "mssql+pymssql://db/x?PWD=***"
    assert hide_credentials("") == "" and safe_url("sqlite:///store.sqlite") == "sqlite:///store.sqlite"
