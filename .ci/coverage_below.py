"""Name every library module whose line coverage in the last test run is below a floor (default 80%).

Reads the combined data the suite wrote (``.coverage``, including the hopnhat processes the tests
started); prints one line per module below the floor, worst first. Always exits 0: the figures are
reported, not a gate.

    python .ci/coverage_below.py [FLOOR]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import coverage


def below(floor: float) -> list[tuple[float, str, int, int]]:
    cov = coverage.Coverage()
    cov.load()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "coverage.json"
        cov.json_report(outfile=str(out))
        files = json.loads(out.read_text("utf-8"))["files"]
    found = []
    for name, data in files.items():
        summary = data["summary"]
        if summary["num_statements"] and summary["percent_covered"] < floor:
            found.append((summary["percent_covered"], name, summary["covered_lines"], summary["num_statements"]))
    return sorted(found)


def main(argv: list[str]) -> int:
    floor = float(argv[0]) if argv else 80.0
    if not Path(".coverage").exists():
        print("no coverage data (.coverage): run the tests with --cov first")
        return 0
    modules = below(floor)
    print(f"{len(modules)} module(s) of the library below {floor:.0f}% line coverage" + (":" if modules else "."))
    for percent, name, covered, statements in modules:
        print(f"  {percent:5.1f}%  {name}  ({covered} of {statements} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
