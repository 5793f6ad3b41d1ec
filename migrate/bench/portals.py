"""Measure demo portal generation: rows per second and peak memory.

Example:
    python -m migrate.bench.portals --scale 100000
    python -m migrate.bench.portals --scale 1000000 --portal namdinh --files
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from migrate.core.figures import Figure, said
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from migrate.demo.generate import PORTALS, PortalManifest, build_portal


def main(argv: list[str] | None = None, lang: Language | None = None) -> int:
    """Build the portal the arguments name; print its figures in ``lang`` (English by default)."""
    parser = argparse.ArgumentParser(prog="hopnhat bench portals", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="dossiers per portal (default 100000)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--portal", choices=[p.key for p in PORTALS], default="hanam")
    parser.add_argument("--files", action="store_true", help="also write the attachment files (slower)")
    parser.add_argument("--out", type=Path, default=None, help="keep the portal here (default: a temp folder)")
    args = parser.parse_args(argv)
    spec = next(p for p in PORTALS if p.key == args.portal)
    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-") as scratch:
        out = args.out or Path(scratch)
        started = time.perf_counter()
        manifest = build_portal(spec, out, scale=args.scale, seed=args.seed, files=args.files)
        elapsed = time.perf_counter() - started
        print(_report(manifest, elapsed, lang))
    return 0


def _report(manifest: PortalManifest, elapsed: float, lang: Language | None = None) -> str:
    lang = lang or language()
    rows = sum(manifest.counts.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    size_mib = manifest.db_path.stat().st_size / 2**20
    counts = ", ".join(f"{t} {say(Figure(n, ','), lang)}" for t, n in manifest.counts.items())  # legacy tables
    return said([
        msg("portal {portal}: {dossiers} dossiers, {rows} rows ({counts}), {files} files", portal=manifest.spec.key,
            dossiers=Figure(manifest.counts["HoSo"], ","), rows=Figure(rows, ","), counts=counts,
            files=Figure(manifest.files, ",")),
        msg("time {seconds} s: {rate} rows/s, {dossier_rate} dossiers/s", seconds=Figure(elapsed, ".1f"),
            rate=Figure(rows / elapsed, ",.0f"), dossier_rate=Figure(manifest.counts["HoSo"] / elapsed, ",.0f")),
        msg("peak memory (max RSS) {peak} MiB; database {size} MiB", peak=Figure(peak_mib, ".0f"),
            size=Figure(size_mib, ".0f")),
    ], lang)


if __name__ == "__main__":
    sys.exit(main())
