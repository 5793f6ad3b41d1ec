"""Agency and procedure remaps supplied by a province.

District-level agencies no longer exist: their procedures moved to the communes or
to the province. A province supplies a CSV, one row per source agency or procedure::

    kind,source_code,source_name,target_code,target_name,target_level,note
    agency,000.00.21.H40,UBND huyện Ý Yên,@commune,,commune,"Thủ tục chuyển về UBND xã"
    agency,000.00.21.H40.SOTP,Phòng Tư pháp huyện,000.00.11.H40,Sở Tư pháp,province,
    procedure,1.001612,Đăng ký khai sinh (cấp huyện),1.001193,Đăng ký khai sinh,commune,

``target_code`` ``@commune`` means "the new commune the record itself was remapped to"
(:meth:`RemapTable.target` fills it in). Loading validates every row and reports every
problem at once; :meth:`RemapTable.check` lists the source codes seen in the legacy data
that the table does not map, so every source agency and procedure either maps or is
reported.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from migrate.core.errors import MappingError
from migrate.core.messages import Message, msg

log = logging.getLogger(__name__)

Kind = Literal["agency", "procedure"]
KINDS = ("agency", "procedure")
LEVELS = ("commune", "province", "ministry", "retired")
COLUMNS = ("kind", "source_code", "target_code", "target_level")
RECORD_COMMUNE = "@commune"


@dataclass(frozen=True)
class Remap:
    kind: Kind
    source_code: str
    source_name: str
    target_code: str       # "@commune": the record's own new commune
    target_name: str
    target_level: str
    note: str = ""
    row: int = 0


@dataclass(frozen=True)
class RemapReport:
    kind: Kind
    mapped: tuple[str, ...]
    unmapped: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.unmapped

    def summary(self) -> Message:
        values = dict(kind=self.kind, mapped=len(self.mapped), unmapped=len(self.unmapped))
        if self.complete:
            return msg("{kind}: {mapped} mapped, {unmapped} unmapped", **values)
        return msg("{kind}: {mapped} mapped, {unmapped} unmapped: {codes}", **values, codes=", ".join(self.unmapped))

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "mapped": list(self.mapped), "unmapped": list(self.unmapped)}


@dataclass(frozen=True)
class RemapTable:
    remaps: tuple[Remap, ...] = ()
    _index: dict[tuple[str, str], Remap] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, remaps: Iterable[Remap]) -> RemapTable:
        remaps = tuple(remaps)
        return cls(remaps, {(r.kind, r.source_code): r for r in remaps})

    @classmethod
    def load(cls, path: Path | str) -> RemapTable:
        path = Path(path)
        return cls.of(parse_remaps(path.read_text("utf-8-sig"), source=path.name))

    def get(self, kind: Kind, source_code: str) -> Remap | None:
        return self._index.get((kind, (source_code or "").strip()))

    def target(self, kind: Kind, source_code: str, *, new_commune: str | None = None) -> str | None:
        """The target code; ``@commune`` rows give ``new_commune`` (None when it is unknown)."""
        remap = self.get(kind, source_code)
        if remap is None:
            return None
        return new_commune if remap.target_code == RECORD_COMMUNE else remap.target_code

    def check(self, kind: Kind, source_codes: Iterable[str]) -> RemapReport:
        """Which of the codes found in the legacy data map, and which do not."""
        codes = sorted({(c or "").strip() for c in source_codes} - {""})
        mapped = tuple(c for c in codes if (kind, c) in self._index)
        unmapped = tuple(c for c in codes if (kind, c) not in self._index)
        if unmapped:
            log.warning(msg("{n} {kind} code(s) have no remap: {codes}", n=len(unmapped), kind=kind,
                            codes=", ".join(unmapped[:10])))
        return RemapReport(kind, mapped, unmapped)


def parse_remaps(text: str, *, source: str = "remaps") -> list[Remap]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MappingError(msg("{file}: missing columns {columns}", file=source, columns=", ".join(missing)))
    problems: list[str] = []
    remaps: list[Remap] = []
    seen: dict[tuple[str, str], int] = {}
    for n, row in enumerate(reader, start=2):
        get = {k: (v or "").strip() for k, v in row.items() if k}
        kind, code, target, level = get["kind"].lower(), get["source_code"], get["target_code"], get["target_level"].lower()
        where = dict(file=source, row=str(n))  # a row number the user finds in the file: plain digits
        if kind not in KINDS:
            problems.append(msg("{file} row {row}, field kind: {value} is not one of {known}", **where,
                                value=repr(kind), known=", ".join(KINDS)))
        if not code:
            problems.append(msg("{file} row {row}, field source_code: empty", **where))
        if level not in LEVELS:
            problems.append(msg("{file} row {row}, field target_level: {value} is not one of {known}", **where,
                                value=repr(level), known=", ".join(LEVELS)))
        if not target and level != "retired":
            problems.append(msg("{file} row {row}, field target_code: empty (use target_level 'retired' for "
                                "an agency or procedure that ends)", **where))
        if target == RECORD_COMMUNE and level != "commune":
            problems.append(msg("{file} row {row}, field target_level: {target} targets need level 'commune'",
                                **where, target=RECORD_COMMUNE))
        if (kind, code) in seen:
            problems.append(msg("{file} row {row}, field source_code: {code} already mapped on row {earlier}",
                                **where, code=code, earlier=str(seen[(kind, code)])))
        seen[(kind, code)] = n
        remaps.append(Remap(kind if kind in KINDS else "agency", code, get.get("source_name", ""),  # type: ignore[arg-type]
                            target, get.get("target_name", ""), level, get.get("note", ""), n))
    if problems:
        raise MappingError(msg("{n} problem(s) in {file}: {problems}", n=len(problems), file=source,
                               problems=tuple(problems)))
    return remaps
