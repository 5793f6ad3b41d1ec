"""Normalizing and masking identifiers; the continuity TOML and its errors."""

from __future__ import annotations

import pytest

from migrate.continuity.config import load_config
from migrate.continuity.identifiers import mask, mask_typed, normalize, upper_bound
from migrate.core.errors import ConfigError


@pytest.mark.parametrize("typed", [
    "000.00.35.H01-240115-0001", "000.00.35.h01 - 240115 - 0001", " 000 00 35 H01–240115—0001 ",
    "000/00/35/H01_240115_0001", "000.00.35.H01\u2212240115\u20110001",
])
def test_spelling_variants_normalize_alike(typed):
    assert normalize(typed) == "0000035h012401150001"


def test_decomposed_unicode_normalizes_like_composed():
    assert normalize("Nguye\u0302\u0303n.A") == normalize("Nguyễn.A") == "nguyễna"


def test_upper_bound_closes_a_prefix_range():
    assert "0000035h01" < upper_bound("0000035h01") and "0000035h01zz" < upper_bound("0000035h01")
    assert "0000035h02" >= upper_bound("0000035h01")


def test_the_kinds_an_official_can_look_up_are_the_ones_the_index_writes():
    """Every kind offered (`hopnhat lookup --kind`) comes from the entity registry: an entity's old record id
    or a field holding an identifier; none the index never writes."""
    from migrate.continuity.identifiers import KINDS, PERSONAL, UNIQUE_KINDS
    from migrate.core.entities import REGISTRY
    written = {e.key_kind for e in REGISTRY.values() if e.key_kind} | {
        f.identifier for e in REGISTRY.values() for f in e.identifier_fields()}
    assert set(KINDS) == written
    assert UNIQUE_KINDS <= written and PERSONAL <= written


def test_masked_and_unique_kinds_follow_the_registry_and_the_masking_policy():
    """Personal kinds are those of the fields the one masking policy calls personal; unique kinds those of the
    registry's unique identifier fields: the same kinds as when both were lists kept by hand."""
    from migrate.continuity.identifiers import PERSONAL, UNIQUE_KINDS
    assert PERSONAL == {"applicant-id-number", "username", "id-number", "legacy-id-number", "tax-code"}
    assert UNIQUE_KINDS == {"dossier-no", "username", "id-number", "legacy-id-number", "tax-code"}


def test_masking():
    assert mask("id-number", "035055755433") == "*********433"
    assert mask("username", "chivh.1") == "c****.*"  # one policy: usernames are personal, masked like names
    assert mask("username", "nam@gmail.com") == "n***@gmail.com"
    assert mask("dossier-no", "000.00.35.H01-240115-0001") == "000.00.35.H01-240115-0001"
    assert mask_typed("035 055 755 433") == "*********433" and mask_typed("HS-2024-1") == "HS-2024-1"


def test_config_reads_templates_with_defaults(tmp_path):
    path = tmp_path / "continuity.toml"
    path.write_text('[defaults]\nnew = "https://new.example/{new_id}"\n'
                    '[source.a]\nold = "https://a.example/tra-cuu?ma={dossier_no}"\n'
                    '[accounts]\nverifiable = ["bcrypt", "md5"]\n', "utf-8")
    config = load_config(path)
    assert config.links["a"].new == "https://new.example/{new_id}"
    assert config.verifiable == frozenset({"bcrypt", "md5"})


def test_config_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "continuity.toml"
    path.write_text('[source.a]\nold = "https://a.example/?ma={so_ho_so}"\nnew = "ftp://x/{new_id}"\n'
                    'colour = "red"\n[source.b]\nold = "https://b.example/static"\n[extra]\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    for needle in ("{so_ho_so}", "known: {dossier_no}, {source_key}", "new must be a URL template", "unknown key 'colour'",
                   "no placeholder", "unknown table [extra]", "[source.b] has 'old' but no 'new'"):
        assert needle in text, needle
