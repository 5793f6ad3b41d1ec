"""How mappings/data/bench/real-addresses.csv was built (kept for audit; not part of the package).

Input: the public files named in the ``source`` column, extracted unchanged into one folder
(``git show <commit>:<path> > <folder>/<name>``):

- ``Lưu trú.csv``, ``Nhà hàng.csv``, ``Mua sắm.csv``, ``Điểm đến nổi tiếng.csv``, ``Vận tải.csv``,
  ``Thể thao.csv``, ``Vui chơi giải trí.csv``, ``Doanh nghiệp lữ hành quốc tế.csv`` from
  github:Ti4nL4/Vietnamese-Travel-Chatbot data/ (the national tourism registry's lists of
  accommodation, restaurants, shops, sights, transport, sports and leisure businesses, and
  licensed travel agencies);
- ``business_data.json`` and ``address.txt`` from github:tuantkd/BusinessChatbotSystem
  DjangoServer/sql_data/ (head offices of businesses registered in Cà Mau; delivery addresses);
- the previous corpus (580 rows labelled by hand, kept with their labels).

Usage: ``python mappings/data/bench/build_real.py FOLDER PREVIOUS.csv`` rewrites the corpus.
Expected answers come only from the official table (:mod:`mappings.corpus`).

``python mappings/data/bench/build_real.py --add found-addresses.tsv`` adds addresses found one by
one in public GitHub files (exact-string searches for new ward names and typing slips; the file's
id in the public code index and what the file is are the row's source): each is labelled by the
literal reader (two-level form first, then old form) and kept only when it reads.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from mappings.corpus import Reader, check, kind_of, load, row, write
from mappings.text import strip_marks
from mappings.units import UnitTable

TOUR = "github:Ti4nL4/Vietnamese-Travel-Chatbot"
BIZ = "github:tuantkd/BusinessChatbotSystem"
_COMMUNE = re.compile(r"^(Phường|Xã|Thị trấn|Đặc khu)\s+\S", re.I)
_DISTRICT = re.compile(r"^(Quận|Huyện|Thị xã|Thành phố)\s+\S", re.I)
_TYPE = re.compile(r"^(Tỉnh|Thành phố)\s+", re.I)


def _bare(province: str) -> str:
    return strip_marks(_TYPE.sub("", province.strip()))


def picked_rows(table, reader, folder: Path, name: str, stats: Counter) -> list[dict]:
    """Rows ending with the units picked from the registry's lists (commune, district, province)."""
    out = []
    with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
        for line, r in enumerate(csv.DictReader(fh), start=2):
            raw = (r.get("Địa chỉ") or "").strip()
            parts = [p.strip() for p in raw.split(",")]
            if len(parts) < 4 or not _COMMUNE.match(parts[-3]) or not _DISTRICT.match(parts[-2]):
                stats["no picked units"] += 1
                continue
            unit = reader.picked(parts[-3], parts[-2], parts[-1])
            typed = ",".join(raw.split(",")[:-3]).strip(" ,")
            if unit is None or not typed:
                stats["picked units not in the table, or nothing typed"] += 1
                continue
            address = typed if _bare(parts[-1]) in strip_marks(typed) else f"{typed}, {parts[-1]}"
            reading = reader.names_picked(address, typed, unit)
            if reading is None:
                stats["typed text does not name the picked commune alone"] += 1
                continue
            stats["kept"] += 1
            out.append(row(table, address, reading, f"{TOUR} data/{name}.csv (line {line}; typed address, "
                                                     "old commune from the units the registry picked)"))
    return out


def province_rows(table, reader, folder: Path, name: str, stats: Counter) -> list[dict]:
    """Rows ending with the province picked from the registry's list."""
    out = []
    provinces = {_bare(n): c for c, n in table.old_provinces().items()}
    with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
        for line, r in enumerate(csv.DictReader(fh), start=2):
            raw = (r.get("Địa chỉ") or "").strip()
            typed, _, prov = raw.rpartition(",")
            typed = typed.strip(" ,")
            code = provinces.get(_bare(prov))
            if not typed or code is None:
                stats["no picked province"] += 1
                continue
            address = typed
            reading = reader.read(typed, province=code)
            if reading is None:
                address = f"{typed}, {prov.strip()}"
                reading = reader.read(address, province=code)
            if reading is None:
                stats["no one old commune read"] += 1
                continue
            stats["kept"] += 1
            out.append(row(table, address, reading, f"{TOUR} data/{name}.csv (line {line}; typed address, "
                                                     "province from the registry's picked province)"))
    return out


def camau_rows(table, reader, folder: Path, stats: Counter, sample: int = 1200) -> list[dict]:
    data = json.loads((folder / "business_data.json").read_text("utf-8"))
    out = []
    for r in data:
        raw = r["Địa chỉ trụ sở chính"].strip()
        reading = reader.read(raw)
        if reading is None or strip_marks(reading.unit.district_name) != strip_marks(r["Quận / Huyện"].strip()):
            stats["no one old commune read, or district field differs"] += 1
            continue
        out.append(row(table, raw, reading, f"{BIZ} DjangoServer/sql_data/business_data.json "
                                            f"(TT {r['TT']}; head office, district field agrees)"))
    random.Random(14).shuffle(out)
    stats["kept"] += min(sample, len(out))
    return out[:sample]


def delivery_rows(table, reader, folder: Path, stats: Counter) -> list[dict]:
    out = []
    for line, raw in enumerate((folder / "address.txt").read_text("utf-8").splitlines(), start=1):
        reading = reader.read(raw)
        if reading is None:
            stats["no one old commune read"] += 1
            continue
        stats["kept"] += 1
        out.append(row(table, raw, reading, f"{BIZ} DjangoServer/sql_data/address.txt (line {line})"))
    return out


def previous_rows(table, reader, path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            m = re.match(r"old (\d{5}) ", r["note"])
            if not m:
                out.append(row(table, r["address"], None, r["source"], r["note"]))
                continue
            old = table.old_commune(m.group(1))
            reading = reader.read(r["address"])
            if reading is not None and reading.unit != old:
                reading = None
            out.append(row(table, r["address"], reading, r["source"], r["note"], old=old))
    return out


FOUND = "github file (public code index id {id}): {what}"


def found_rows(table, reader, path: Path, stats: Counter) -> list[dict]:
    """Rows of ``address<TAB>index id<TAB>what the file is`` (``\\n`` in an address: a line break)."""
    out = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        address, file_id, what = line.split("\t")
        address = address.replace("\\n", "\n")
        new = reader.read_new(address)
        reading = None if new is not None else reader.read(address)
        if new is None and reading is None:
            stats["found: no reading"] += 1
            continue
        stats["found: kept"] += 1
        out.append(row(table, address, reading, FOUND.format(id=file_id, what=what), new=new))
    return out


def rekind(reader, rows: list[dict]) -> list[dict]:
    """Kinds told again for the rows the literal reader reads as their old commune (the kinds
    gained ``noise`` for units written with other diacritics than their names: "Hà Nọi")."""
    out = []
    for r in rows:
        code = r["old_commune_code"]
        if code and ";" not in code and r["kind"] not in ("already-new", "outdated-district", "tab-separated", "english"):
            reading = reader.read(r["address"])
            if reading is not None and reading.unit.commune_code == code:
                r = {**r, "kind": kind_of(r["address"], reading)}
        out.append(r)
    return out


def add(path: str) -> int:
    table = UnitTable.load()
    stats: Counter = Counter()
    reader = Reader(table)
    rows = rekind(reader, load()) + found_rows(table, reader, Path(path), stats)
    problems = check(table, {r["address"]: r for r in rows}.values())
    if problems:
        print("\n".join(problems[:20]))
        return 1
    n = write(rows)
    print(dict(stats), n, "rows;", Counter(r["kind"] for r in rows))
    return 0


def main(folder: str, previous: str) -> int:
    table = UnitTable.load()
    reader = Reader(table)
    src = Path(folder)
    stats: Counter = Counter()
    rows = []
    for name in ("Lưu trú", "Nhà hàng", "Mua sắm", "Điểm đến nổi tiếng", "Vận tải", "Thể thao", "Vui chơi giải trí"):
        rows += picked_rows(table, reader, src, name, stats)
    rows += province_rows(table, reader, src, "Doanh nghiệp lữ hành quốc tế", stats)
    rows += camau_rows(table, reader, src, stats)
    rows += delivery_rows(table, reader, src, stats)
    rows += previous_rows(table, reader, Path(previous))
    labels: dict[str, set[str]] = {}
    for r in rows:
        labels.setdefault(r["address"], set()).add(r["expected_new_commune"])
    seen: set[str] = set()
    unique = []
    for r in rows:       # one row per address; an address labelled two ways is dropped
        if len(labels[r["address"]]) == 1 and r["address"] not in seen:
            seen.add(r["address"])
            unique.append(r)
    stats["dropped: same address, different labels"] = sum(len(v) > 1 for v in labels.values())
    rows = unique
    problems = check(table, rows)
    if problems:
        print("\n".join(problems[:20]))
        return 1
    n = write(rows)
    print(dict(stats), n, "rows;", Counter(r["kind"] for r in rows), Counter(r["part"] for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(add(sys.argv[2]) if sys.argv[1:2] == ["--add"] else main(*sys.argv[1:]))
