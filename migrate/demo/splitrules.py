"""The demo's split rules: which hamlet of a split old commune went to which new commune.

The official crosswalk lists the parts of a split commune but not which
hamlet went where; a province supplies that. This file plays the province's
part for the demo: illustrative data, not an official list. The last hamlet
names are left out on purpose, as a real list is rarely complete, so some
records of split communes still go to the review queue.
"""

from __future__ import annotations

import csv
from pathlib import Path

from mappings.units import UnitTable
from migrate.demo.catalog import HAMLET_NAMES
from migrate.demo.generate import PORTALS

UNLISTED = 2  # hamlet names no rule covers
SOURCE = "Danh sách minh họa của bản demo, không phải số liệu chính thức"


def write_split_rules(out: Path, units: UnitTable | None = None) -> Path:
    units = units or UnitTable.load()
    listed = HAMLET_NAMES[: len(HAMLET_NAMES) - UNLISTED]
    rows = []
    for spec in PORTALS:
        for old in units.old_communes(spec.province_code):
            parts = sorted({p.new.code for p in units.parts(old.commune_code)})
            if len(parts) < 2:
                continue
            for n, hamlet in enumerate(listed):
                rows.append((old.commune_code, parts[n % len(parts)], "hamlet", f"Thôn {hamlet}", SOURCE))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("old_commune_code", "new_commune_code", "kind", "value", "source"))
        writer.writerows(rows)
    return out
