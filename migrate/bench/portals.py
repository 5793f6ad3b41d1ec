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

from migrate.demo.generate import PORTALS, PortalManifest, build_portal


def main(argv: list[str] | None = None) -> int:
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
        print(_report(manifest, elapsed))
    return 0


def _report(manifest: PortalManifest, elapsed: float) -> str:
    rows = sum(manifest.counts.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    size_mib = manifest.db_path.stat().st_size / 2**20
    lines = [f"portal {manifest.spec.key}: {manifest.counts['HoSo']:,} dossiers, {rows:,} rows "
             f"({', '.join(f'{t} {n:,}' for t, n in manifest.counts.items())}), {manifest.files:,} files",
             f"time {elapsed:.1f} s: {rows / elapsed:,.0f} rows/s, {manifest.counts['HoSo'] / elapsed:,.0f} dossiers/s",
             f"peak memory (max RSS) {peak_mib:.0f} MiB; database {size_mib:.0f} MiB"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
