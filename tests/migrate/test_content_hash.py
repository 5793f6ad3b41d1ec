"""The content hash's two writers: orjson for the usual record, the reference writer for any other.

The reference is the JSON object of the record's sorted fields, each value as ``hash_value`` gives it,
encoded by ``json`` (the contract stores already loaded were hashed by). Whatever the record holds, the
hash must be the hash of that text; the fast writer may decline a record, never write it otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.core.canonical import _SORTED_FIELDS, _fast_json, canonical_json, content_hash, hash_value

NAMES = _SORTED_FIELDS["dossier"]
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def reference(entity: str, record: dict) -> str:
    body = {name: hash_value(record.get(name)) for name in _SORTED_FIELDS[entity]}
    return hashlib.sha256(_ENCODE(body).encode("utf-8", "surrogatepass")).hexdigest()


def usual_dossier(**values: object) -> dict:
    record: dict[str, object] = {name: f"giá trị {i}" for i, name in enumerate(NAMES)}
    record.update(submitted_at=dt.datetime(2024, 2, 2, 8, 0), received_at=dt.datetime(2024, 2, 2, 9, 30, 0, 500000),
                  finished_at=None, due_at=dt.datetime(1, 1, 1))
    record.update(values)
    return record


def test_the_usual_record_is_written_by_orjson_with_the_reference_bytes():
    record = usual_dossier(address="Số 1, thôn Đồng Ao, Phường Châu Cầu", status="2")
    data = _fast_json("dossier", record)
    assert data is not None
    assert data == canonical_json("dossier", record).encode("utf-8")
    assert content_hash("dossier", record) == reference("dossier", record)


@pytest.mark.parametrize("value", [
    "Nguye\u0302\u0303n",                 # not NFC: the reference normalizes it
    "line\n\u0301",                        # NFC, but its escape "\\n" would compose with the mark in the text
    "lone \udcff surrogate",               # not UTF-8: orjson refuses it
    dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=3661))),  # an offset to the second
    dt.datetime(1900, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=7, minutes=6, seconds=30))),  # Hà Nội's mean time
    dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    1e16, float("nan"), 1.5, decimal.Decimal("2048.00"), 2**64, -2**63 - 1, ["a", 1.0], {"b": 1, "a": 2},
])
def test_a_record_orjson_might_write_otherwise_goes_the_long_way(value):
    record = usual_dossier(status=value)
    assert _fast_json("dossier", record) is None
    assert content_hash("dossier", record) == reference("dossier", record)


class Text(str):
    pass


def test_a_record_that_is_not_a_plain_dict_of_its_fields_goes_the_long_way():
    full = usual_dossier()
    missing = dict(full)
    del missing["status"]
    extra = dict(full, other="x")
    subclass = dict(full, status=Text("x"))
    for record in (missing, extra, subclass):
        assert _fast_json("dossier", record) is None
        assert content_hash("dossier", record) == reference("dossier", record)


_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12) | st.sampled_from(
    ["", "a\u0301", "\u0301a", "x\x00\u0323\u0301", "\\\u0338", '"\u0338', "=\u0338", "\u1100\u1161", "Å", "ǰ"])
_value = st.one_of(
    st.none(), _text, st.booleans(), st.integers(min_value=-2**70, max_value=2**70), st.dates(),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.datetimes(timezones=st.builds(
        dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23)))),
    st.floats(allow_nan=True), st.decimals(allow_nan=False, places=2),
)


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({name: _value for name in NAMES}))
def test_any_record_hashes_as_the_reference_says(record):
    assert content_hash("dossier", record) == reference("dossier", record)
    data = _fast_json("dossier", record)
    if data is not None:
        assert data == canonical_json("dossier", record).encode("utf-8", "surrogatepass")


_letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ,./-"
_usual = st.one_of(
    st.none(), st.text(st.sampled_from(_letters + _letters.upper() + "0123456789\"\\\t\n"), max_size=40),
    st.integers(min_value=-2**63, max_value=2**64 - 1), st.dates(),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({name: _usual for name in NAMES}))
def test_the_usual_record_takes_the_fast_writer_and_its_bytes_are_the_reference(record):
    data = _fast_json("dossier", record)
    assert data == canonical_json("dossier", record).encode("utf-8")
    assert content_hash("dossier", record) == reference("dossier", record)
