"""Copy attachments into the store's file area, content-addressed by SHA-256.

A file is streamed once: hashed while copied to a temporary name, then moved
to ``<files_dir>/<aa>/<bb>/<sha256>``. Copying the same content twice keeps
one file. Missing, unreadable or altered files are reported, never skipped.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from migrate.core.messages import N_

# why an attachment's record is quarantined (catalogue messages, said where shown)
NO_FILE = N_("the record names no file")
NO_ROOT = N_("the profile sets no files_root for this source")
OUTSIDE = N_("path {path} leaves the source's file folder")
CANNOT_OPEN = N_("cannot open {path}: {error}")
NOT_FOUND = N_("file not found: {path}")
CANNOT_READ = N_("cannot read {path}: {error}")
REASONS = (NO_FILE, NO_ROOT, OUTSIDE, CANNOT_OPEN, NOT_FOUND, CANNOT_READ)
# what reading a stored file again finds (the reconciliation's attachments check), said where the report shows it
STORED_MISSING = N_("stored file {sha256} is missing")
STORED_ALTERED = N_("stored file {sha256} was altered (content hash {actual})")
NOT_AS_RECORDED = N_("stored content {sha256} is not what the source recorded ({recorded})")
NO_STORED_FILE = N_("the row names no stored file")
CHECKED = (STORED_MISSING, STORED_ALTERED, NOT_AS_RECORDED, NO_STORED_FILE)

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    state: str  # stored, missing, unreadable, mismatch, outside-root, no-path
    sha256: str | None = None
    size: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "stored"


def stored_path(files_dir: Path, sha256: str) -> Path:
    return files_dir / sha256[:2] / sha256[2:4] / sha256


def store_file(files_root: Path | None, relative: str | None, files_dir: Path,
               recorded_sha256: str | None = None) -> StoredFile:
    if not relative:
        return StoredFile("no-path", reason=NO_FILE)
    if files_root is None:
        return StoredFile("missing", reason=NO_ROOT)
    rel = PurePosixPath(relative.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts:
        return StoredFile("outside-root", reason=OUTSIDE.format(path=repr(relative)))
    source = files_root.joinpath(*rel.parts)
    try:
        found = source.is_file()
    except OSError as exc:  # a name longer than the file system allows (Errno 36), a path it refuses
        return StoredFile("unreadable", reason=CANNOT_OPEN.format(path=_cut(relative), error=exc.strerror or exc))
    if not found:
        return StoredFile("missing", reason=NOT_FOUND.format(path=relative))
    files_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, tempfile.NamedTemporaryFile(dir=files_dir, delete=False) as tmp:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
                tmp.write(chunk)
                size += len(chunk)
    except OSError as exc:
        return StoredFile("unreadable", reason=CANNOT_READ.format(path=relative, error=exc.strerror or exc))
    sha = digest.hexdigest()
    if recorded_sha256 and recorded_sha256.lower() != sha:
        os.unlink(tmp.name)
        return StoredFile("mismatch", sha, size,
                          f"content of {relative} has sha256 {sha}, the source recorded {recorded_sha256}")
    target = stored_path(files_dir, sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.unlink(tmp.name)
    else:
        os.replace(tmp.name, target)
    return StoredFile("stored", sha, size)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def verify_file(files_dir: Path, sha256: str) -> str | None:
    """Recompute a stored file's hash; None when it is intact, else the problem."""
    path = stored_path(files_dir, sha256)
    if not path.is_file():
        return STORED_MISSING.format(sha256=sha256)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        return STORED_ALTERED.format(sha256=sha256, actual=digest.hexdigest())
    return None
