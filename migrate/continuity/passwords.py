"""Which scheme a carried password hash uses, read from its format alone.

A hash is never decoded, cracked or logged: the scheme is told by its prefix
and shape (``$2a$`` bcrypt, ``$argon2id$``, Django's ``pbkdf2_sha256$``,
Liferay's ``{PBKDF2}``/``{SSHA}``, bare hex by its length, ...). Accounts whose
scheme the new system cannot verify go to the reset-notice list; none is
dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a new system built on a mainstream framework verifies out of the box.
DEFAULT_VERIFIABLE = frozenset({
    "bcrypt", "argon2id", "argon2i", "pbkdf2-sha256", "pbkdf2-sha512", "django-pbkdf2-sha256",
    "liferay-pbkdf2", "liferay-bcrypt", "aspnet-identity-v3",
})


@dataclass(frozen=True)
class Scheme:
    name: str  # bcrypt, md5, liferay-ssha, empty, unknown, ...
    salted: bool
    weak: bool  # fast or unsalted: a leaked copy is cheap to attack
    note: str

    def verifiable(self, accepted: frozenset[str] | set[str] = DEFAULT_VERIFIABLE) -> bool:
        return self.name in accepted

    def reset_reason(self, accepted: frozenset[str] | set[str] = DEFAULT_VERIFIABLE) -> str | None:
        """Why the account needs a reset notice, or None when the new system verifies its hash."""
        if self.verifiable(accepted):
            return None
        if self.name == "empty":
            return "no password hash in the source"
        if self.name in ("plain", "unknown"):
            return f"{self.note}; the new system cannot verify it"
        return f"{self.name} ({self.note}) is not a scheme the new system verifies"


_HEX = re.compile(r"^[0-9a-fA-F]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_BCRYPT = re.compile(r"^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$")
_HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_MCF = {  # modular crypt format prefixes
    "$argon2id$": ("argon2id", True, False, "memory-hard, salted"),
    "$argon2i$": ("argon2i", True, False, "memory-hard, salted"),
    "$argon2d$": ("argon2d", True, False, "memory-hard, salted"),
    "$scrypt$": ("scrypt", True, False, "memory-hard, salted"),
    "$pbkdf2-sha256$": ("pbkdf2-sha256", True, False, "salted, iterated"),
    "$pbkdf2-sha512$": ("pbkdf2-sha512", True, False, "salted, iterated"),
    "$pbkdf2$": ("pbkdf2-sha1", True, False, "salted, iterated"),
    "$6$": ("sha512-crypt", True, False, "salted, iterated"),
    "$5$": ("sha256-crypt", True, False, "salted, iterated"),
    "$1$": ("md5-crypt", True, True, "salted but fast"),
    "$apr1$": ("apr1-md5", True, True, "salted but fast"),
}
_DJANGO = {
    "pbkdf2_sha256": ("django-pbkdf2-sha256", True, False, "salted, iterated"),
    "pbkdf2_sha1": ("django-pbkdf2-sha1", True, False, "salted, iterated"),
    "argon2": ("django-argon2", True, False, "memory-hard, salted"),
    "bcrypt_sha256": ("django-bcrypt-sha256", True, False, "salted, iterated"),
    "bcrypt": ("django-bcrypt", True, False, "salted, iterated"),
    "scrypt": ("django-scrypt", True, False, "memory-hard, salted"),
    "sha1": ("django-salted-sha1", True, True, "salted but fast"),
    "md5": ("django-salted-md5", True, True, "salted but fast"),
    "unsalted_md5": ("md5", False, True, "unsalted, fast"),
    "unsalted_sha1": ("sha1", False, True, "unsalted, fast"),
}
_LIFERAY = {
    "PBKDF2": ("liferay-pbkdf2", True, False, "salted, iterated"),
    "BCRYPT": ("liferay-bcrypt", True, False, "salted, iterated"),
    "SSHA": ("liferay-ssha", True, True, "salted but fast"),
    "SHA": ("liferay-sha1", False, True, "unsalted, fast"),
    "SHA-256": ("liferay-sha256", False, True, "unsalted, fast"),
    "SHA-384": ("liferay-sha384", False, True, "unsalted, fast"),
    "MD5": ("liferay-md5", False, True, "unsalted, fast"),
    "MD2": ("liferay-md2", False, True, "unsalted, fast"),
    "CRYPT": ("liferay-crypt", True, True, "DES crypt, fast"),
    "UFC-CRYPT": ("liferay-crypt", True, True, "DES crypt, fast"),
    "NONE": ("plain", False, True, "stored in plain text"),
}


def identify(password_hash: str | None) -> Scheme:
    """The scheme of a stored hash, from its format; the hash itself is never decoded."""
    h = (password_hash or "").strip()
    if not h:
        return Scheme("empty", False, True, "no password hash")
    if _BCRYPT.match(h):
        return Scheme("bcrypt", True, False, "salted, iterated")
    if h.startswith("$"):
        for prefix, spec in _MCF.items():
            if h.startswith(prefix):
                return Scheme(*spec)
        return Scheme("unknown", False, True, "unrecognised $-prefixed format")
    if h.startswith("{"):
        algorithm = h[1:h.find("}")].upper() if "}" in h else ""
        base = algorithm.split("/")[0].split("_")[0]
        if base.startswith("PBKDF2"):
            base = "PBKDF2"
        if base in _LIFERAY:
            return Scheme(*_LIFERAY[base])
        return Scheme("unknown", False, True, f"unrecognised {{{algorithm or '?'}}} format")
    head, sep, _ = h.partition("$")
    if sep and head in _DJANGO:
        return Scheme(*_DJANGO[head])
    if _HEX.match(h) and len(h) in _HEX_LENGTHS:
        return Scheme(_HEX_LENGTHS[len(h)], False, True, "unsalted, fast")
    if _B64.match(h):
        if len(h) == 84 and h.startswith("AQAAAA"):
            return Scheme("aspnet-identity-v3", True, False, "salted, iterated (PBKDF2)")
        if len(h) == 68 and h.startswith("A"):
            return Scheme("aspnet-identity-v2", True, False, "salted, iterated (PBKDF2-SHA1)")
        if len(h) == 28 and h.endswith("="):
            return Scheme("sha1-base64", False, True, "unsalted, fast (Liferay 6 default)")
        if len(h) == 44 and h.endswith("="):
            return Scheme("sha256-base64", False, True, "unsalted, fast")
    return Scheme("unknown", False, True, "unrecognised format (possibly plain text)")
