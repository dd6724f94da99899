#!/usr/bin/env python3
"""Combine the coverage data of every process, write htmlcov/, and fail below a floor of branch coverage.

Usage: scripts/coverage_report.py FLOOR (percent of novacart/'s branches taken). coverage's own
fail_under counts lines and branches together; the floor here is on branches alone.
"""

from __future__ import annotations

import json
import sys

import coverage


def main(floor: float) -> int:
    cov = coverage.Coverage()
    cov.combine(keep=False)
    cov.save()
    cov.html_report()
    cov.report(skip_covered=True, show_missing=False)
    cov.json_report(outfile="htmlcov/coverage.json")
    with open("htmlcov/coverage.json") as file:
        totals = json.load(file)["totals"]
    lines = 100 * totals["covered_lines"] / max(1, totals["num_statements"])
    branches = 100 * totals["covered_branches"] / max(1, totals["num_branches"])
    print(
        f"novacart/ across every process: lines {lines:.1f} % of {totals['num_statements']}, "
        f"branches {branches:.1f} % of {totals['num_branches']} (floor {floor:g} %); HTML in htmlcov/index.html"
    )
    if branches < floor:
        print(f"FAIL: branch coverage {branches:.1f} % is below the floor of {floor:g} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 90.0))
