"""Merge the JSON of several runs into one Markdown table (e.g. a full run resumed by size).

    python -m benchmarks.merge benchmarks/results/A.json benchmarks/results/B.json > table.md

Rows keep their order; a later file's row replaces an earlier one with the same
(group, measurement, size), so re-measuring one size updates the table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.report import Report, Row, markdown


def merge(paths: list[Path]) -> Report:
    rows: dict[tuple[str, str, str], Row] = {}
    for path in paths:
        for data in json.loads(path.read_text(encoding="utf-8"))["rows"]:
            row = Row(**data)
            rows[(row.group, row.name, row.size)] = row
    return Report(rows=list(rows.values()))


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        sys.stderr.write(__doc__ or "")
        return 2
    sys.stdout.write(markdown(merge(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
