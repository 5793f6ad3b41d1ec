"""The legacy communes of one former province, read from the official raw tables.

A small private reader for the demo generator: it reads the two raw CSVs in
``mappings/data/raw`` with the csv module (codes stay zero-padded text). Once
``mappings.units.UnitTable`` is available the generator can take its data from
there instead; the shapes here are deliberately minimal.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# The mappings package is a sibling of migrate (in the checkout and when installed).
_RAW = Path(__file__).resolve().parents[2] / "mappings" / "data" / "raw"
GSO_COMMUNES = "gso-communes-before-2025-07-01.csv"
NSO_CROSSWALK = "nso-crosswalk-old-new-2025.csv"
_CODE_IN_PARENS = re.compile(r"\((\d{2,3})\)")


@dataclass(frozen=True)
class LegacyCommune:
    """One commune, ward or township as legacy portals stored it (before 1 July 2025)."""

    code: str            # 5 digits, e.g. "13285"
    name: str            # "Phường Quang Trung"
    level: str           # "Xã", "Phường" or "Thị trấn"
    district_code: str   # 3 digits
    district_name: str   # "Thành phố Phủ Lý"
    province_code: str   # 2 digits
    province_name: str   # "Tỉnh Hà Nam"
    label: str = ""           # address style: "phường Quang Trung"
    district_label: str = ""  # address style: "thành phố Phủ Lý"

    @property
    def is_urban(self) -> bool:
        return self.level != "Xã"


@dataclass(frozen=True)
class LegacyDistrict:
    code: str
    name: str


@dataclass(frozen=True)
class ProvinceUnits:
    """The legacy units of one former province and which of its communes were split."""

    province_code: str
    province_name: str
    communes: tuple[LegacyCommune, ...]          # ordered by code
    districts: tuple[LegacyDistrict, ...]        # ordered by code
    split_codes: frozenset[str]                  # old communes spread over several new communes

    @property
    def split_communes(self) -> tuple[LegacyCommune, ...]:
        return tuple(c for c in self.communes if c.code in self.split_codes)

    def communes_of(self, district_code: str) -> tuple[LegacyCommune, ...]:
        return tuple(c for c in self.communes if c.district_code == district_code)


_KINDS = ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Phường", "Xã", "Tỉnh", "Quận")


def lower_kind(name: str) -> str:
    """'Huyện Ý Yên' -> 'huyện Ý Yên'; 'Thị xã Duy Tiên' -> 'thị xã Duy Tiên' (address style)."""
    for kind in _KINDS:
        if name.lower().startswith(kind.lower() + " "):
            return kind.lower() + name[len(kind):]
    return name


def load_province(province_code: str, raw_dir: Path | None = None) -> ProvinceUnits:
    """Read the legacy communes of ``province_code`` and the split ones from the crosswalk."""
    raw = raw_dir or _RAW
    communes = sorted(_read_communes(raw / GSO_COMMUNES, province_code), key=lambda c: c.code)
    if not communes:
        raise ValueError(f"no legacy communes for province {province_code!r} in {GSO_COMMUNES}")
    districts = sorted({(c.district_code, c.district_name) for c in communes})
    split = _read_split_codes(raw / NSO_CROSSWALK, province_code)
    log.debug("province %s: %d communes, %d split", province_code, len(communes), len(split))
    return ProvinceUnits(
        province_code=province_code,
        province_name=communes[0].province_name,
        communes=tuple(communes),
        districts=tuple(LegacyDistrict(code, name) for code, name in districts),
        split_codes=frozenset(split & {c.code for c in communes}),
    )


def _read_communes(path: Path, province_code: str) -> list[LegacyCommune]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)  # header
        return [
            LegacyCommune(
                code=row[5].strip(), name=row[4].strip(), level=row[6].strip(),
                district_code=row[3].strip(), district_name=row[2].strip(),
                province_code=row[1].strip(), province_name=row[0].strip(),
                label=lower_kind(row[4].strip()), district_label=lower_kind(row[2].strip()),
            )
            for row in reader
            if len(row) >= 7 and row[1].strip() == province_code and row[5].strip()
        ]


def _read_split_codes(path: Path, province_code: str) -> set[str]:
    """Old commune codes of ``province_code`` that the crosswalk maps to several new communes."""
    targets: defaultdict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 8:
                continue
            match = _CODE_IN_PARENS.search(row[7])
            old_code, new_code = row[4].strip(), row[2].strip()
            if match and match.group(1) == province_code and old_code.isdigit() and new_code:
                targets[old_code].add(new_code)
    return {old for old, news in targets.items() if len(news) > 1}
