"""Password schemes told by their format alone; unverifiable ones go to the reset list."""

from __future__ import annotations

import pytest

from migrate.continuity.passwords import DEFAULT_VERIFIABLE, identify

CASES = [
    ("bcrypt-2a", "$2a$10$" + "N9qo8uLOickgx2ZMRZoMye" + "IjZAgcfl7p92ldGxad68LJZdL17lhWy", "bcrypt", False),
    ("bcrypt-2y", "$2y$12$" + "a" * 53, "bcrypt", False),
    ("argon2id", "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "argon2id", False),
    ("django-pbkdf2", "pbkdf2_sha256$600000$salt$hash=", "django-pbkdf2-sha256", False),
    ("passlib-pbkdf2", "$pbkdf2-sha256$29000$N2bMOcd4$DQ8ehl4p", "pbkdf2-sha256", False),
    ("liferay-pbkdf2", "{PBKDF2_WITH_HMAC_SHA1/160/128000}AAAAoAAB9AB", "liferay-pbkdf2", False),
    ("liferay-pbkdf2-short", "{PBKDF2}AAAAoAAB9ABVb3", "liferay-pbkdf2", False),
    ("liferay-ssha", "{SSHA}dGhpcyBpcyBub3QgYSByZWFsIGhhc2g=", "liferay-ssha", True),
    ("liferay-sha", "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "liferay-sha1", True),
    ("liferay-none", "{NONE}secret", "plain", True),
    ("md5-hex", "5f4dcc3b5aa765d61d8327deb882cf99", "md5", True),
    ("sha1-hex", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", "sha1", True),
    ("sha256-hex", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "sha256", True),
    ("sha1-base64", "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1-base64", True),
    ("aspnet-v3", "AQAAAAEAACcQAAAAE" + "A" * 67, "aspnet-identity-v3", False),
    ("md5-crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "md5-crypt", True),
    ("empty", "", "empty", True),
    ("none", None, "empty", True),
    ("plain-text", "matkhau123", "unknown", True),
]


@pytest.mark.parametrize("name,stored,scheme,weak", CASES, ids=[c[0] for c in CASES])
def test_scheme_from_the_format(name, stored, scheme, weak):
    s = identify(stored)
    assert (s.name, s.weak) == (scheme, weak)
    assert stored is None or stored == "" or stored not in repr(s)  # nothing of the hash is kept


def test_reset_reason_only_for_schemes_the_new_system_cannot_verify():
    assert identify("$2b$10$" + "b" * 53).reset_reason(DEFAULT_VERIFIABLE) is None
    assert "md5" in identify("5f4dcc3b5aa765d61d8327deb882cf99").reset_reason(DEFAULT_VERIFIABLE)
    assert identify("5f4dcc3b5aa765d61d8327deb882cf99").reset_reason({"md5"}) is None
    assert "no password hash" in identify(None).reset_reason(DEFAULT_VERIFIABLE)
    assert "cannot verify" in identify("matkhau123").reset_reason(DEFAULT_VERIFIABLE)


def test_every_demo_hash_is_recognised(demo_portals):
    import sqlite3

    names = set()
    for portal in demo_portals:
        with sqlite3.connect(portal.db_path) as db:
            names |= {identify(h).name for (h,) in db.execute("SELECT MatKhauHash FROM TaiKhoan")}
    assert names == {"bcrypt", "md5"}


UNVERIFIABLE = [(c[0], c[1]) for c in CASES if c[3]] + [("unknown-braces", "{FOO}abc"), ("unknown-mcf", "$zz$abc")]


@pytest.mark.parametrize("name,stored", UNVERIFIABLE, ids=[c[0] for c in UNVERIFIABLE])
def test_reset_reasons_are_said_in_vietnamese_in_the_report(name, stored):
    """The reason kept in the reset-notice files is English; the report's page and workbook say it in Vietnamese."""
    from migrate.core.i18n import language
    from reconciliation.labels import REASONS

    kept = identify(stored).reset_reason(DEFAULT_VERIFIABLE)
    said = REASONS.say(kept, language("vi"))
    assert said != kept and ("hệ thống mới" in said or "mã băm" in said), (kept, said)
    for english in ("salted", "fast", "scheme", "verif", "unrecognised", "plain text", "the new system"):
        assert english not in said, (kept, said)
