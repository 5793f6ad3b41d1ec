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

from migrate.core.messages import N_

# Why an account needs a reset notice: kept in English in the files, said in the reader's language in the report
# (reconciliation/labels.py reads them back, the notes below as their values)
NO_HASH = N_("no password hash in the source")
CANNOT_VERIFY = N_("{note}; the new system cannot verify it")
NOT_VERIFIED = N_("{scheme} ({note}) is not a scheme the new system verifies")
REASONS = (NO_HASH, CANNOT_VERIFY, NOT_VERIFIED)
MEMORY_HARD, ITERATED, FAST = N_("memory-hard, salted"), N_("salted, iterated"), N_("salted but fast")
UNSALTED, DES, PLAIN = N_("unsalted, fast"), N_("DES crypt, fast"), N_("stored in plain text")
NONE, UNKNOWN_MCF = N_("no password hash"), N_("unrecognised $-prefixed format")
UNKNOWN_BRACES, UNKNOWN = N_("unrecognised {{{algorithm}}} format"), N_("unrecognised format (possibly plain text)")
PBKDF2, PBKDF2_SHA1 = N_("salted, iterated (PBKDF2)"), N_("salted, iterated (PBKDF2-SHA1)")
LIFERAY6 = N_("unsalted, fast (Liferay 6 default)")
NOTES = (MEMORY_HARD, ITERATED, FAST, UNSALTED, DES, PLAIN, NONE, UNKNOWN_MCF, UNKNOWN_BRACES, UNKNOWN, PBKDF2,
         PBKDF2_SHA1, LIFERAY6)

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
            return NO_HASH
        if self.name in ("plain", "unknown"):
            return CANNOT_VERIFY.format(note=self.note)
        return NOT_VERIFIED.format(scheme=self.name, note=self.note)


_HEX = re.compile(r"^[0-9a-fA-F]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_BCRYPT = re.compile(r"^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$")
_HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_MCF = {  # modular crypt format prefixes
    "$argon2id$": ("argon2id", True, False, MEMORY_HARD),
    "$argon2i$": ("argon2i", True, False, MEMORY_HARD),
    "$argon2d$": ("argon2d", True, False, MEMORY_HARD),
    "$scrypt$": ("scrypt", True, False, MEMORY_HARD),
    "$pbkdf2-sha256$": ("pbkdf2-sha256", True, False, ITERATED),
    "$pbkdf2-sha512$": ("pbkdf2-sha512", True, False, ITERATED),
    "$pbkdf2$": ("pbkdf2-sha1", True, False, ITERATED),
    "$6$": ("sha512-crypt", True, False, ITERATED),
    "$5$": ("sha256-crypt", True, False, ITERATED),
    "$1$": ("md5-crypt", True, True, FAST),
    "$apr1$": ("apr1-md5", True, True, FAST),
}
_DJANGO = {
    "pbkdf2_sha256": ("django-pbkdf2-sha256", True, False, ITERATED),
    "pbkdf2_sha1": ("django-pbkdf2-sha1", True, False, ITERATED),
    "argon2": ("django-argon2", True, False, MEMORY_HARD),
    "bcrypt_sha256": ("django-bcrypt-sha256", True, False, ITERATED),
    "bcrypt": ("django-bcrypt", True, False, ITERATED),
    "scrypt": ("django-scrypt", True, False, MEMORY_HARD),
    "sha1": ("django-salted-sha1", True, True, FAST),
    "md5": ("django-salted-md5", True, True, FAST),
    "unsalted_md5": ("md5", False, True, UNSALTED),
    "unsalted_sha1": ("sha1", False, True, UNSALTED),
}
_LIFERAY = {
    "PBKDF2": ("liferay-pbkdf2", True, False, ITERATED),
    "BCRYPT": ("liferay-bcrypt", True, False, ITERATED),
    "SSHA": ("liferay-ssha", True, True, FAST),
    "SHA": ("liferay-sha1", False, True, UNSALTED),
    "SHA-256": ("liferay-sha256", False, True, UNSALTED),
    "SHA-384": ("liferay-sha384", False, True, UNSALTED),
    "MD5": ("liferay-md5", False, True, UNSALTED),
    "MD2": ("liferay-md2", False, True, UNSALTED),
    "CRYPT": ("liferay-crypt", True, True, DES),
    "UFC-CRYPT": ("liferay-crypt", True, True, DES),
    "NONE": ("plain", False, True, PLAIN),
}


def identify(password_hash: str | None) -> Scheme:
    """The scheme of a stored hash, from its format; the hash itself is never decoded."""
    h = (password_hash or "").strip()
    if not h:
        return Scheme("empty", False, True, NONE)
    if _BCRYPT.match(h):
        return Scheme("bcrypt", True, False, ITERATED)
    if h.startswith("$"):
        for prefix, spec in _MCF.items():
            if h.startswith(prefix):
                return Scheme(*spec)
        return Scheme("unknown", False, True, UNKNOWN_MCF)
    if h.startswith("{"):
        algorithm = h[1:h.find("}")].upper() if "}" in h else ""
        base = algorithm.split("/")[0].split("_")[0]
        if base.startswith("PBKDF2"):
            base = "PBKDF2"
        if base in _LIFERAY:
            return Scheme(*_LIFERAY[base])
        return Scheme("unknown", False, True, UNKNOWN_BRACES.format(algorithm=algorithm or "?"))
    head, sep, _ = h.partition("$")
    if sep and head in _DJANGO:
        return Scheme(*_DJANGO[head])
    if _HEX.match(h) and len(h) in _HEX_LENGTHS:
        return Scheme(_HEX_LENGTHS[len(h)], False, True, UNSALTED)
    if _B64.match(h):
        if len(h) == 84 and h.startswith("AQAAAA"):
            return Scheme("aspnet-identity-v3", True, False, PBKDF2)
        if len(h) == 68 and h.startswith("A"):
            return Scheme("aspnet-identity-v2", True, False, PBKDF2_SHA1)
        if len(h) == 28 and h.endswith("="):
            return Scheme("sha1-base64", False, True, LIFERAY6)
        if len(h) == 44 and h.endswith("="):
            return Scheme("sha256-base64", False, True, UNSALTED)
    return Scheme("unknown", False, True, UNKNOWN)
