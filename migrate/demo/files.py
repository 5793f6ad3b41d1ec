"""Deterministic attachment payloads and the writer that puts them on disk.

Payloads are small PDF-like or JPEG-like byte strings drawn from the record's
own random generator, so a seed gives the same bytes (and SHA-256) every time.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Payload:
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def payload(rng: random.Random, file_name: str, reference: str) -> Payload:
    """Bytes for ``file_name``: a JPEG-like blob for .jpg, otherwise a PDF-like document."""
    filler = rng.randbytes(rng.randrange(120, 1400))
    if file_name.lower().endswith(".jpg"):
        data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + filler + b"\xff\xd9"
    else:
        body = "\n".join(filler[n:n + 32].hex() for n in range(0, len(filler), 32))
        data = (f"%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog /Title ({file_name}) >>\nendobj\n"
                f"% ref {reference}\nstream\n{body}\nendstream\n%%EOF\n").encode("latin-1")
    return Payload(data, hashlib.sha256(data).hexdigest())


def write_file(root: Path, relative: str, data: bytes) -> None:
    """Write ``data`` at ``root/relative`` (``relative`` uses forward slashes)."""
    target = root.joinpath(*relative.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
