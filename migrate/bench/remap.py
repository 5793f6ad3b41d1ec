"""Measure code remap: a record's old codes to its new commune, as a batch does it, on one core.

Three figures, each in items per CPU second of this process (``time.process_time``), so a busy
machine slows the wall clock but not the figure, next to the yardstick loop of
:func:`mappings.bench.baseline` (figures from two machines compare in proportion to it):

- the lookup alone, ``Resolver.by_codes(province, district, commune)``: one dict lookup keyed by
  the code tuple, precomputed for every old commune that went whole;
- ``Resolver.resolve`` of references already built;
- a canonical record to its decision, as :func:`migrate.prepare.prepare` does it: the reference
  built from the record (:func:`migrate.prepare.unit_ref`), then resolved.

Every record carries the codes of an old commune that went whole to one new commune and an
address of its own (so no two references are equal and no cache of whole references helps),
which is what most legacy dossiers hold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mappings.bench import baseline
from mappings.rules import Resolver
from mappings.units import UnitTable
from migrate.core.figures import Figure, said
from migrate.core.i18n import Language
from migrate.core.messages import msg
from migrate.prepare import unit_ref


@dataclass(frozen=True)
class RemapBench:
    records: int
    yardstick: float  # million steps per CPU second of the fixed loop
    lookups: float  # by_codes per CPU second
    resolves: float  # resolve(ref) per CPU second, references built beforehand
    records_rate: float  # record -> reference -> decision per CPU second
    agree: bool  # every decision by_codes gave is the one resolve gave

    def summary(self, lang: Language | None = None) -> str:
        """The figures, in ``lang`` (English by default, as the README quotes them)."""
        return said([
            msg("code remap over {records} records (old commune codes that went whole, every address distinct); "
                "CPU time, one core", records=Figure(self.records, ",")),
            msg("  yardstick: a fixed Python loop runs {steps} M steps per CPU second here",
                steps=Figure(self.yardstick, ".1f")),
            msg("  lookups (Resolver.by_codes, the code tuple alone):      {rate}/s",
                rate=Figure(self.lookups, ">12,.0f")),
            msg("  resolve(ref), references already built:                 {rate}/s",
                rate=Figure(self.resolves, ">12,.0f")),
            msg("  record -> reference -> decision, as a batch does it:     {rate}/s",
                rate=Figure(self.records_rate, ">12,.0f")),
            msg("  decisions agree with the full rules: {answer}", answer=msg("yes") if self.agree else msg("NO")),
        ], lang)


def run(records: int = 200_000) -> RemapBench:
    table = UnitTable.load()
    resolver = Resolver(table)  # built before the clock starts, as a worker builds it once
    whole = [o for o in table.old_communes() if o.commune_code and len(table.parts(o.commune_code)) == 1]
    rows = [dict(province_code=o.province_code, district_code=o.district_code, commune_code=o.commune_code,
                 address=f"Số {i}, thôn {i % 17}, {o.commune_name}, {o.district_name}")
            for i, o in zip(range(records), _cycle(whole))]
    codes = [(r["province_code"], r["district_code"], r["commune_code"]) for r in rows]
    by_codes = resolver.by_codes
    start = time.process_time()
    for province, district, commune in codes:
        by_codes(province, district, commune)
    lookups = len(codes) / (time.process_time() - start)
    refs = [unit_ref(r, None) for r in rows]
    resolve = resolver.resolve
    start = time.process_time()
    for ref in refs:
        resolve(ref)
    resolves = len(refs) / (time.process_time() - start)
    start = time.process_time()
    for row in rows:
        resolve(unit_ref(row, None))
    records_rate = len(rows) / (time.process_time() - start)
    fresh = Resolver(table)
    agree = all(by_codes(*c) == fresh._resolve(ref) for c, ref in zip(codes[:len(whole)], refs))
    return RemapBench(len(rows), baseline(), lookups, resolves, records_rate, agree)


def _cycle(items):
    while True:
        yield from items
