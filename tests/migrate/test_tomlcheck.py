"""One way to check the TOML files people write: keys from the dataclasses they fill, every problem at once."""

from __future__ import annotations

import dataclasses

import pytest

from adapters import profiles
from adapters.profiles import load_profile
from migrate.continuity.config import SourceLinks, load_config
from migrate.core.errors import ConfigError
from migrate.core.records import Part
from migrate.core.tomlcheck import Problems, keys_of
from runbooks.model import Step, load_runbook


def _problems(load, path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(path)
    return err.value.problems


def test_keys_come_from_the_dataclasses():
    assert keys_of(Step) == tuple(f.name for f in dataclasses.fields(Step))
    assert keys_of(Part, skip=("name", "part", "fallbacks", "layouts", "delta"), rename={"joins": "join"}) == (
        "table", "key", "columns", "lookups", "convert", "modified", "join", "constants", "compose", "choose", "text",
        "nulls", "null_columns", "exclude", "links", "attachment", "remap")


def test_the_profile_reference_describes_exactly_the_keys_read():
    assert set(profiles.SOURCE_KEYS) == set(profiles._SOURCE_KEYS)
    assert set(profiles.ENTITY_KEYS) == set(profiles._ENTITY_KEYS)


def test_the_three_files_report_unknown_keys_alike_and_all_at_once(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[source]\nname = "p"\nengine = "sqlite"\nurl_env = "U"\ncolour = "red"\n'
                       '[entity.dossier]\ntable = "T"\nkey = ["Id"]\ncolumns = { dossier_no = "No" }\ncolums = 1\n',
                       "utf-8")
    lines = _problems(load_profile, profile)
    assert lines == [
        f"profile {profile}: [source] has unknown key 'colour'; known: name, engine, url_env, old_province, "
        "files_root, files_root_env, text_encoding, description",
        f"profile {profile}: [entity.dossier] has unknown key 'colums'; known: table, key, columns, lookups, "
        "convert, modified, join, constants, compose, choose, text, nulls, null_columns, exclude, links, attachment, "
        "remap",
        f"profile {profile}: no [entity.*] tables",  # the only entity was not read
    ]
    book = tmp_path / "b.toml"
    book.write_text('[runbook]\nname = "b"\n[[step]]\nid = "a"\nrun = "x"\nretries = 2\n[[step]]\nid = "a"\n', "utf-8")
    lines = _problems(load_runbook, book)
    known = ", ".join(f.name for f in dataclasses.fields(Step))
    assert lines == [f"runbook {book}: step 1 has unknown key 'retries'; known: {known}",
                     f"runbook {book}: step 2: id 'a' is used twice",
                     f"runbook {book}: step 2 (a) needs 'run' (a command) or manual = true"]
    config = tmp_path / "c.toml"
    config.write_text('[source.a]\nold = "https://a/?ma={dossier_no}"\nnew = "https://n/{new_id}"\nnwe = "x"\n'
                      '[accounts]\nverifable = []\n', "utf-8")
    lines = _problems(load_config, config)
    templates = ", ".join(f.name for f in dataclasses.fields(SourceLinks) if f.name != "source")
    assert lines == [f"{config}: [source.a] has unknown key 'nwe'; known: {templates}",
                     f"{config}: [accounts] has unknown key 'verifable'; known: verifiable"]


def test_problems_read_on_from_the_table_or_follow_a_colon():
    problems = Problems("profile p.toml")
    problems.add("[source]", "needs 'name'")
    problems.add("[entity.x]", "field 'y' has no column")
    problems.add("", "no [entity.*] tables")
    assert problems.lines == ["profile p.toml: [source] needs 'name'", "profile p.toml: [entity.x]: field 'y' has no column",
                              "profile p.toml: no [entity.*] tables"]
    with pytest.raises(ConfigError) as err:
        problems.raise_any()
    assert err.value.problems == problems.lines
    Problems("empty").raise_any()  # nothing found: nothing raised
