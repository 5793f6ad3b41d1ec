"""Generate the shipped old→new unit table from the statistics office crosswalk.

Run ``python -m mappings.build_units`` to regenerate ``mappings/data/units-2025.csv``
and its manifest from ``mappings/data/raw/``; ``--check`` regenerates in memory and
fails if the shipped files differ (the audit).

What the generator does, in order (each step is visible in the output):

1. Reads ``raw/nso-crosswalk-old-new-2025.csv`` (two header lines, then one row per
   (new commune, old commune) pair). Province header rows (empty new code) are skipped.
2. Cleans every cell: NFC, whitespace runs collapsed to one space, trimmed. Unit names
   lose their "(01)"-style code suffix, the code goes to its own column.
3. Applies ``data/crosswalk-corrections.csv``: a short, evidenced list of cells where the
   published crosswalk contradicts itself or the GSO list (one code used for two
   differently named communes; a row giving a district's old province wrongly). Each
   correction names the raw line (the physical line where the record starts), the
   field, the published and the corrected value, and the evidence.
4. Picks one spelling per old province, new province and old district code (the most
   frequent one in the crosswalk; e.g. "Quảng Trị (44)" becomes "Tỉnh Quảng Trị").
   Old and new province codes are separate namespaces: old 80 is Long An, new 80 is
   Tây Ninh.
5. Classifies every old unit (column ``change``), see :data:`CHANGES`.
6. Adds the GSO spelling of the old commune (``old_commune_name_gso``) where the
   statistics office's January 2025 commune list spells it differently, so that legacy
   records using that spelling can still be matched by name.

Units without a commune (the five island districts Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa,
Lý Sơn, Côn Đảo, and the coastal area managed by Kim Sơn district) are keyed by
district: ``old_commune_code`` is empty and ``old_district_code`` is set.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import logging
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1"
TABLE_VERSION = "nso-2025-07"

DATA_DIR = Path(__file__).resolve().parent / "data"
RAW_CROSSWALK = DATA_DIR / "raw" / "nso-crosswalk-old-new-2025.csv"
RAW_GSO = DATA_DIR / "raw" / "gso-communes-before-2025-07-01.csv"
CORRECTIONS = DATA_DIR / "crosswalk-corrections.csv"
TABLE = DATA_DIR / "units-2025.csv"
MANIFEST = DATA_DIR / "units-2025.manifest.json"

COLUMNS = (
    "old_province_code", "old_province_name", "old_district_code", "old_district_name",
    "old_commune_code", "old_commune_name", "old_commune_name_gso",
    "new_province_code", "new_province_name", "new_commune_code", "new_commune_name",
    "note", "change", "parts", "raw_line",
)

#: The ``change`` classification (per old unit, the same on each of its rows).
CHANGES = {
    "split": "the old unit went to two or more new communes (parts > 1)",
    "whole": "the old unit went whole into one new commune together with other old units",
    "kept": "the old unit alone became one new commune with the same name",
    "renamed": "the old unit alone became one new commune under another name or type",
    "special": "a unit keyed by district (island districts, the Kim Sơn coastal area) "
               "or an old unit that became a special zone (đặc khu)",
}

_CODE_SUFFIX = re.compile(r"^(.*?)\s*\((\d+)\)$")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC, whitespace runs collapsed, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def split_code(text: str) -> tuple[str, str]:
    """``"Quận Ba Đình (001)"`` → ``("Quận Ba Đình", "001")``; no suffix → code ``""``."""
    text = clean(text)
    match = _CODE_SUFFIX.match(text)
    return (match.group(1), match.group(2)) if match else (text, "")


@dataclass(frozen=True)
class CrosswalkRow:
    """One (new commune, old unit) pair as published, cleaned."""

    raw_line: int
    new_province_code: str
    new_province_name: str
    new_commune_code: str
    new_commune_name: str
    old_commune_code: str
    old_commune_name: str
    note: str
    old_district_code: str
    old_district_name: str
    old_province_code: str
    old_province_name: str

    @property
    def old_key(self) -> str:
        """The old unit's key: its commune code, or ``district:<code>`` for district-keyed units."""
        return self.old_commune_code or f"district:{self.old_district_code}"


@dataclass(frozen=True)
class Correction:
    raw_line: int
    field: str
    published: str
    corrected: str
    evidence: str


def read_crosswalk(text: str) -> list[CrosswalkRow]:
    """Parse the published crosswalk CSV text (header lines and province rows skipped)."""
    rows: list[CrosswalkRow] = []
    reader = csv.reader(io.StringIO(text))
    next_line = 1
    for record_no, cells in enumerate(reader, start=1):
        line_no, next_line = next_line, reader.line_num + 1   # physical line where the record starts
        if record_no <= 2 or len(cells) < 8 or not clean(cells[2]):
            continue
        new_prov_name, new_prov_code = split_code(cells[0])
        old_dist_name, old_dist_code = split_code(cells[6])
        old_prov_name, old_prov_code = split_code(cells[7])
        rows.append(CrosswalkRow(
            raw_line=line_no,
            new_province_code=new_prov_code, new_province_name=new_prov_name,
            new_commune_code=clean(cells[2]), new_commune_name=clean(cells[1]),
            old_commune_code=clean(cells[4]), old_commune_name=clean(cells[3]),
            note=clean(cells[5]),
            old_district_code=old_dist_code, old_district_name=old_dist_name,
            old_province_code=old_prov_code, old_province_name=old_prov_name,
        ))
    return rows


def read_corrections(text: str) -> list[Correction]:
    return [
        Correction(int(r["raw_line"]), r["field"], r["published"], r["corrected"], r["evidence"])
        for r in csv.DictReader(io.StringIO(text))
    ]


def apply_corrections(rows: list[CrosswalkRow], corrections: list[Correction]) -> list[CrosswalkRow]:
    """Apply each correction to the row it names; refuse if the published value differs."""
    by_line = {c.raw_line: c for c in corrections}
    out = []
    for row in rows:
        fix = by_line.pop(row.raw_line, None)
        if fix is not None:
            current = getattr(row, fix.field)
            if current != fix.published:
                raise ValueError(
                    f"correction for raw line {fix.raw_line}: expected {fix.field}={fix.published!r}, "
                    f"found {current!r}; the raw file is not the one the corrections were written for")
            changes: dict[str, Any] = {fix.field: fix.corrected}
            row = replace(row, **changes)
        out.append(row)
    if by_line:
        raise ValueError(f"corrections name raw lines not in the crosswalk: {sorted(by_line)}")
    return out


def _canonical_names(rows: list[CrosswalkRow], code_attr: str, name_attr: str) -> dict[str, str]:
    """One spelling per code: the most frequent one (first seen wins a tie)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        seen[getattr(row, code_attr)][getattr(row, name_attr)] += 1
    return {code: names.most_common(1)[0][0] for code, names in seen.items()}


def read_gso_names(text: str) -> dict[str, str]:
    """Old commune code → name in the GSO January 2025 list (cleaned)."""
    return {clean(r["Mã PX"]): clean(r["Phường Xã"])
            for r in csv.DictReader(io.StringIO(text)) if clean(r["Mã PX"])}


def classify(rows: list[CrosswalkRow]) -> dict[str, str]:
    """Old unit key → change (see :data:`CHANGES`)."""
    targets: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        targets[row.old_key].add(row.new_commune_code)
        sources[row.new_commune_code].add(row.old_key)
    changes: dict[str, str] = {}
    for row in rows:
        key = row.old_key
        if len(targets[key]) > 1:
            changes[key] = "split"
        elif not row.old_commune_code or row.new_commune_name.startswith("Đặc khu"):
            changes[key] = "special"
        elif len(sources[row.new_commune_code]) > 1:
            changes[key] = "whole"
        elif row.old_commune_name == row.new_commune_name:
            changes[key] = "kept"
        else:
            changes[key] = "renamed"
    return changes


def build_rows(rows: list[CrosswalkRow], gso_names: dict[str, str]) -> list[dict[str, str]]:
    """The shipped table's rows, sorted by old unit then new commune."""
    old_prov_names = _canonical_names(rows, "old_province_code", "old_province_name")
    new_prov_names = _canonical_names(rows, "new_province_code", "new_province_name")
    dist_names = _canonical_names(rows, "old_district_code", "old_district_name")
    changes = classify(rows)
    parts = Counter(row.old_key for row in rows)
    out = []
    for row in rows:
        gso = gso_names.get(row.old_commune_code, "")
        out.append({
            "old_province_code": row.old_province_code,
            "old_province_name": old_prov_names[row.old_province_code],
            "old_district_code": row.old_district_code,
            "old_district_name": dist_names[row.old_district_code],
            "old_commune_code": row.old_commune_code,
            "old_commune_name": row.old_commune_name,
            "old_commune_name_gso": gso if gso and gso != row.old_commune_name else "",
            "new_province_code": row.new_province_code,
            "new_province_name": new_prov_names[row.new_province_code],
            "new_commune_code": row.new_commune_code,
            "new_commune_name": row.new_commune_name,
            "note": row.note,
            "change": changes[row.old_key],
            "parts": str(parts[row.old_key]),
            "raw_line": str(row.raw_line),
        })
    out.sort(key=lambda r: (r["old_province_code"], r["old_district_code"], r["old_commune_code"],
                            r["new_commune_code"]))
    return out


def render_table(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def summarize(rows: list[CrosswalkRow]) -> dict[str, int]:
    """Counts an auditor checks against the publication."""
    keys = {row.old_key for row in rows}
    targets: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        targets[row.old_key].add(row.new_commune_code)
    return {
        "rows": len(rows),
        "old_units": len(keys),
        "old_units_keyed_by_district": sum(1 for k in keys if k.startswith("district:")),
        "new_communes": len({row.new_commune_code for row in rows}),
        "new_provinces": len({row.new_province_code for row in rows}),
        "old_provinces": len({row.old_province_code for row in rows}),
        "split_old_units": sum(1 for t in targets.values() if len(t) > 1),
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def generate(raw_dir: Path = DATA_DIR / "raw", corrections_path: Path = CORRECTIONS) -> tuple[bytes, dict]:
    """Build (table bytes, manifest) from the raw files; writes nothing."""
    raw_bytes = (raw_dir / RAW_CROSSWALK.name).read_bytes()
    gso_bytes = (raw_dir / RAW_GSO.name).read_bytes()
    corr_bytes = corrections_path.read_bytes()
    published = read_crosswalk(raw_bytes.decode("utf-8-sig"))
    corrections = read_corrections(corr_bytes.decode("utf-8-sig"))
    rows = apply_corrections(published, corrections)
    table_rows = build_rows(rows, read_gso_names(gso_bytes.decode("utf-8-sig")))
    table = render_table(table_rows)
    manifest = {
        "table": TABLE.name,
        "version": TABLE_VERSION,
        "generator": f"mappings.build_units {GENERATOR_VERSION}",
        "sha256": sha256(table),
        "inputs": {
            f"raw/{RAW_CROSSWALK.name}": sha256(raw_bytes),
            f"raw/{RAW_GSO.name}": sha256(gso_bytes),
            corrections_path.name: sha256(corr_bytes),
        },
        "counts": summarize(rows),
        "counts_as_published": summarize(published),
        "changes": dict(sorted(Counter(
            r["change"] for r in {r["old_commune_code"] or "d" + r["old_district_code"]: r
                                  for r in table_rows}.values()).items())),
        "corrections": [
            {"raw_line": c.raw_line, "field": c.field, "published": c.published, "corrected": c.corrected}
            for c in corrections
        ],
        "key": "old_commune_code; units without a commune have it empty and are keyed by old_district_code",
    }
    return table, manifest


def render_manifest(manifest: dict) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mappings.build_units", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and fail if the shipped table or manifest differ")
    args = parser.parse_args(argv)
    table, manifest = generate()
    manifest_bytes = render_manifest(manifest)
    if args.check:
        ok = TABLE.read_bytes() == table and MANIFEST.read_bytes() == manifest_bytes
        print(f"{TABLE.name}: {'matches' if ok else 'DIFFERS from'} a fresh build (sha256 {manifest['sha256']})")
        return 0 if ok else 1
    TABLE.write_bytes(table)
    MANIFEST.write_bytes(manifest_bytes)
    counts = manifest["counts"]
    print(f"wrote {TABLE.name}: {counts['rows']} rows, {counts['old_units']} old units, "
          f"{counts['new_communes']} new communes, {counts['split_old_units']} split old units, "
          f"sha256 {manifest['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
