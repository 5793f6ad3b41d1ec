"""The demo's agency and procedure remap table, as the new Ninh Bình would supply it.

After the merger the provincial departments of Hà Nam and Nam Định became the
departments of the new Ninh Bình (code suffix H37); district people's
committees were abolished and their procedures went to the communes, as did
the communes' own. This is illustrative demo data in the format of
:mod:`mappings.agencies`, not an official table.
"""

from __future__ import annotations

import csv
from pathlib import Path

from migrate.demo._units import load_province
from migrate.demo.catalog import PROCEDURES, build_agencies
from migrate.demo.generate import PORTALS

NEW_PROVINCE = "37"
HEADER = ("kind", "source_code", "source_name", "target_code", "target_name", "target_level", "note")


def write_remaps(out: Path) -> Path:
    target = build_agencies(load_province(NEW_PROVINCE))
    rows = []
    for spec in PORTALS:
        agencies = build_agencies(load_province(spec.province_code))
        rows.append(("agency", agencies.province.code, agencies.province.name, target.province.code,
                     target.province.name, "province", "UBND tỉnh của tỉnh mới"))
        for key, dept in agencies.departments.items():
            new = target.departments[key]
            rows.append(("agency", dept.code, dept.name, new.code, new.name, "province", "Sở của tỉnh mới"))
        for agency in (*agencies.districts.values(), *agencies.communes.values()):
            note = "Cấp huyện chấm dứt; thủ tục chuyển về UBND xã" if agency.level == "huyen" else "UBND xã mới"
            rows.append(("agency", agency.code, agency.name, "@commune", "", "commune", note))
    for procedure in PROCEDURES:
        level = "province" if procedure.level == "tinh" else "commune"
        note = "Thủ tục cấp huyện chuyển về cấp xã" if procedure.level == "huyen" else ""
        rows.append(("procedure", procedure.code, procedure.name, procedure.code, procedure.name, level, note))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return out
