"""Profiles: parts, joins, derived values, problems reported at once; SQL Server helpers."""

from __future__ import annotations

import pytest

from adapters.profiles import load_profile
from adapters import mssql
from migrate.demo.profile import render_profile
from migrate.core.errors import ConfigError

HEAD = '[source]\nname = "p"\nengine = "sqlite"\nurl_env = "P_URL"\n'


def _write(tmp_path, body: str):
    path = tmp_path / "p.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_demo_built_in_matches_the_demo_template(tmp_path):
    rendered = _write(tmp_path, "")
    rendered.write_text(render_profile("demo", "demo", "35"), encoding="utf-8")
    assert load_profile("demo-portal").entities == load_profile(rendered).entities


def test_parts_joins_and_derived_values(tmp_path):
    profile = load_profile(_write(tmp_path, """
[entity.dossier_event]
table = "Actions"
key = ["Id"]
columns = { dossier_key = "DossierId" }
[entity."dossier_event.log"]
table = "Logs"
key = ["Id"]
text = "vni"
columns = { dossier_key = "DossierId", actor = "Users.Name" }
[entity."dossier_event.log".join.Users]
on = { UserId = "Id" }
[entity."dossier_event.log".constants]
action_code = "log"
[entity."dossier_event.log".compose]
note = "{Kind}: {Body}"
"""))
    log = profile.entities["dossier_event.log"]
    assert (log.name, log.label, log.table, log.text) == ("dossier_event", "dossier_event.log", "Logs", "vni")
    assert log.columns["action_code"] == "=action_code" and log.columns["note"] == "=note"
    assert log.legacy_columns() == ("Id", "DossierId", "Users.Name", "Kind", "Body")
    assert [p.label for p in profile.parts("dossier_event")] == ["dossier_event", "dossier_event.log"]


def test_problems_are_reported_together(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_profile(_write(tmp_path, """
text_encoding = "ebcdic"
[entity.dossier]
table = "HoSo"
key = ["Id"]
columns = { dossier_no = "SoHoSo", status = "TrangThai" }
constants = { status = "x" }
[entity.dossier.join.Units]
[entity."dosier.extra"]
table = "X"
key = ["Id"]
"""))
    text = str(info.value)
    assert "text_encoding 'ebcdic' unknown" in text
    assert "field 'status' has a column and a constant" in text
    assert "join Units needs on" in text
    assert "[entity.dosier.extra]: unknown entity" in text


def test_mssql_url_types_and_transient_errors():
    assert mssql.engine_url("mssql://u:p@h/db").drivername == "mssql+pymssql"
    with pytest.raises(ConfigError, match="pymssql"):
        mssql.engine_url("mssql+pyodbc://h/db")
    assert mssql.TYPE_MAP["datetime2"] == "timestamp" and mssql.TYPE_MAP["money"] == "decimal"
    assert mssql.TYPE_MAP["bit"] == "bool" and mssql.TYPE_MAP["nvarchar"] == "text"

    class Orig(Exception):
        pass

    class Wrapped(Exception):
        def __init__(self, orig):
            self.orig = orig

    assert mssql.is_transient(Wrapped(Orig(1205, b"Transaction was deadlocked")))
    assert mssql.is_transient(Wrapped(Orig(20003, b"Adaptive Server connection timed out")))
    assert not mssql.is_transient(Wrapped(Orig(208, b"Invalid object name 'HoSo'")))
