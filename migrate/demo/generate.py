"""Build the demo legacy portals: one SQLite "one-door" portal per former province.

``build_demo(out_dir)`` writes, for Hà Nam (35), Nam Định (36) and Ninh Bình (37):

    out_dir/<key>.sqlite      the portal database (TaiKhoan, HoSo, QuaTrinhXuLy, TepDinhKem, KhoDuLieu)
    out_dir/<key>-files/      attachment and data-store files, paths as recorded in DuongDan
    out_dir/<key>.toml        the source profile the adapters read

The same seed gives byte-identical databases and files. Generation streams in
chunks, so memory stays bounded at millions of dossiers; with ``files=False``
no file is written, but every record still carries the path, size and SHA-256
its file would have.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from migrate.core.messages import msg
from migrate.core.progress import Progress, Tally
from migrate.demo import schema
from migrate.demo._units import load_province
from migrate.demo.catalog import build_agencies
from migrate.demo.documents import document_count, make_document
from migrate.demo.dossiers import BLOCK, FORCED_KINDS, StaffDirectory, block_kinds, make_dossier
from migrate.demo.files import write_file
from migrate.demo.people import PortalContext, account, make_context
from migrate.demo.profile import write_profile

log = logging.getLogger(__name__)

# Kinds of awkward record listed in a manifest. Ids are HoSo ids, except the
# "-account" kinds and "cross-province-person" (TaiKhoan ids) and
# "document-without-account" (KhoDuLieu ids).
AWKWARD_KINDS = (*FORCED_KINDS, "cross-province-person", "non-nfc-account", "document-without-account")
CHUNK = 2000


@dataclass(frozen=True)
class PortalSpec:
    key: str
    name: str
    province_code: str


PORTALS = (
    PortalSpec("hanam", "Hà Nam", "35"),
    PortalSpec("namdinh", "Nam Định", "36"),
    PortalSpec("ninhbinh", "Ninh Bình", "37"),
)


@dataclass(frozen=True)
class PortalManifest:
    spec: PortalSpec
    db_path: Path
    files_dir: Path
    profile_path: Path
    counts: Mapping[str, int]                  # rows per legacy table
    awkward: Mapping[str, tuple[int, ...]]     # kind -> ids (see AWKWARD_KINDS)
    files: int                                 # files written (attachments and data-store documents)

    @property
    def missing_files(self) -> tuple[int, ...]:
        """HoSo ids with one attachment recorded but absent on disk."""
        return self.awkward["missing-attachment"]


def build_demo(out_dir: Path, *, scale: int = 300, seed: int = 2025, files: bool = True,
               progress: Progress | None = None) -> list[PortalManifest]:
    """Build the three portals of the new Ninh Bình in ``out_dir``; progress counts each portal's records."""
    return [build_portal(spec, out_dir, scale=scale, seed=seed, files=files, progress=progress)
            for spec in PORTALS]


def build_portal(spec: PortalSpec, out_dir: Path, *, scale: int = 300, seed: int = 2025, files: bool = True,
                 progress: Progress | None = None) -> PortalManifest:
    """Build one portal (``scale`` dossiers) in ``out_dir``, replacing an earlier build of it.

    ``progress`` hears "building" for the portal's accounts, dossiers and documents.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    units = load_province(spec.province_code)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path, files_dir = out_dir / f"{spec.key}.sqlite", out_dir / f"{spec.key}-files"
    building = db_path.with_name(db_path.name + ".building")
    building.unlink(missing_ok=True)
    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.mkdir()
    ctx = make_context(seed, spec.province_code, units, build_agencies(units), scale)
    connection = sqlite3.connect(building)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        schema.create(connection)
        sink = _Sink(connection, files_dir if files else None)
        source = f"{spec.key}-portal"
        _write_accounts(ctx, sink, Tally(progress, "building", source, "account", ctx.layout.total).start())
        _write_dossiers(ctx, sink, scale, Tally(progress, "building", source, "dossier", scale).start())
        _write_documents(ctx, sink, Tally(progress, "building", source, "document",
                                          document_count(ctx.layout.total)).start())
        sink.flush()
        schema.create_indexes(connection)
        connection.commit()
    finally:
        connection.close()
    os.replace(building, db_path)
    profile_path = write_profile(out_dir / f"{spec.key}.toml", spec.key, spec.name, spec.province_code)
    manifest = PortalManifest(
        spec=spec, db_path=db_path, files_dir=files_dir, profile_path=profile_path,
        counts=MappingProxyType(dict(sink.counts)),
        awkward=MappingProxyType({kind: tuple(sink.awkward[kind]) for kind in AWKWARD_KINDS}),
        files=sink.files_written,
    )
    log.info(msg("portal {portal} ({province}, {communes} communes, {split} split): {counts}; {files} files; awkward "
                 "records: {awkward}", portal=spec.key, province=units.province_name, communes=len(units.communes),
                 split=len(units.split_codes), counts=", ".join(f"{t} {n}" for t, n in manifest.counts.items()),
                 files=manifest.files, awkward=", ".join(f"{k} {len(v)}" for k, v in manifest.awkward.items())))
    return manifest


class _Sink:
    """Buffers rows per table and writes them in chunks, one transaction per flush."""

    def __init__(self, connection: sqlite3.Connection, files_dir: Path | None) -> None:
        self.connection = connection
        self.files_dir = files_dir
        self.buffers: dict[str, list[tuple[object, ...]]] = {table: [] for table in schema.TABLES}
        self.counts: dict[str, int] = {table: 0 for table in schema.TABLES}
        self.awkward: dict[str, list[int]] = {kind: [] for kind in AWKWARD_KINDS}
        self.files_written = 0

    def add(self, table: str, row: tuple[object, ...]) -> None:
        self.buffers[table].append(row)
        self.counts[table] += 1

    def write_file(self, relative: str, data: bytes) -> None:
        if self.files_dir is not None:
            write_file(self.files_dir, relative, data)
            self.files_written += 1

    def full(self) -> bool:
        return any(len(rows) >= CHUNK for rows in self.buffers.values())

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if rows:
                self.connection.executemany(schema.INSERT[table], rows)
                rows.clear()
        self.connection.commit()


def _write_accounts(ctx: PortalContext, sink: _Sink, tally: Tally) -> None:
    for account_id in range(1, ctx.layout.total + 1):
        record = account(ctx, account_id)
        row = record.row(ctx.province_code)
        sink.add("TaiKhoan", row)
        if ctx.layout.person_at(account_id, ctx.province_code) is not None:
            sink.awkward["cross-province-person"].append(account_id)
        if _has_non_nfc(row):
            sink.awkward["non-nfc-account"].append(account_id)
        if sink.full():
            sink.flush()
            tally.set(account_id)
    tally.set(ctx.layout.total)


def _write_dossiers(ctx: PortalContext, sink: _Sink, scale: int, tally: Tally) -> None:
    staff = StaffDirectory.of(ctx)
    sequence: dict[str, tuple[str, int]] = {}
    event_id = file_id = 0
    plan: dict[int, str] = {}
    for dossier_id in range(1, scale + 1):
        position = (dossier_id - 1) % BLOCK
        if position == 0:
            plan = block_kinds(ctx, (dossier_id - 1) // BLOCK)
        record = make_dossier(ctx, staff, dossier_id, scale, plan.get(position), sequence)
        sink.add("HoSo", record.row)
        for event in record.events:
            event_id += 1
            sink.add("QuaTrinhXuLy", (event_id, *event))
        for attachment in record.attachments:
            file_id += 1
            sink.add("TepDinhKem", (file_id, dossier_id, attachment.name, attachment.path,
                                    attachment.payload.size, attachment.payload.sha256))
            if not attachment.missing:
                sink.write_file(attachment.path, attachment.payload.data)
        for kind in record.kinds:
            sink.awkward[kind].append(dossier_id)
        if sink.full():
            sink.flush()
            tally.set(dossier_id)
    sink.flush()
    tally.set(scale)


def _write_documents(ctx: PortalContext, sink: _Sink, tally: Tally) -> None:
    for document_id in range(1, document_count(ctx.layout.total) + 1):
        record = make_document(ctx, document_id)
        sink.add("KhoDuLieu", record.row)
        sink.write_file(record.path, record.payload.data)
        if record.row[1] is None:
            sink.awkward["document-without-account"].append(document_id)
        if sink.full():
            sink.flush()
            tally.set(document_id)
    tally.set(tally.total or 0)


def _has_non_nfc(row: tuple[object, ...]) -> bool:
    return any(isinstance(v, str) and not unicodedata.is_normalized("NFC", v) for v in row)
