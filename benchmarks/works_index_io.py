"""Two costs of the works index that grow with the works (issue 15, 1M works), timed alone:

    python -m benchmarks.works_index_io columns PATH [--repeat 3]
    python -m benchmarks.works_index_io write [--rows 1500000] [--held 1500000] [--repeat 2]

``columns``: a new process's first read of the in-memory columns of an existing index file
(``PATH``, e.g. ``/tmp/alm-large/store.works-index.sqlite3`` kept by ``make bench-large``):
read whole from SQLite with no saved file (what every new process paid before), then loaded
from the file saved beside it (:meth:`alm_ld.analytics.works_columns.WorkColumns.save`), and
the save alone. Each run opens a new :class:`~alm_ld.analytics.works_index.WorksIndex`, as a
new process does; the first mode deletes the saved file before each run.

``write``: one write transaction of ``--rows`` new cumulative values into an index already
holding ``--held`` works with one value each (random values: the value-ordered indexes are
hit at random pages, as a fold's are), through the index's own ``_set_value``, with the value
indexes kept in place (row by row) and dropped and created again around the write
(``_value_indexes_rebuilt``, what a fold or rebuild that large does).

Prints one line per run and min / median per mode (seconds).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from alm_ld.analytics import works_index as wi


def columns(path: str, repeat: int) -> None:
    saved = path + ".columns.npz"

    def first_read() -> float:
        index = wi.WorksIndex(path)
        try:
            start = time.perf_counter()
            with index.reading() as now:
                found = index.columns(now)
            took = time.perf_counter() - start
            print(f"  {found.size:,} works at feed {found.sequence}: {took:.2f} s", flush=True)
            return took
        finally:
            index.close()

    for label, keep in (("whole read from SQLite (then saved)", False),
                        ("loaded from the saved file", True)):
        times = []
        for _ in range(repeat):
            if not keep:
                Path(saved).unlink(missing_ok=True)
            times.append(first_read())
        print(f"{label}: min {min(times):.2f} s, median {statistics.median(times):.2f} s "
              f"(file {os.path.getsize(saved) / 1e6:.0f} MB)", flush=True)
    index = wi.WorksIndex(path)
    try:
        with index.reading() as now:
            held = index.columns(now)
        saves = []
        for _ in range(repeat):
            start = time.perf_counter()
            held.save(saved)
            saves.append(time.perf_counter() - start)
        print(f"save alone: min {min(saves):.2f} s, median {statistics.median(saves):.2f} s")
    finally:
        index.close()


def _work(k: int) -> str:
    return f"https://doi.org/10.5555/bench.{k:08d}"


def write(rows: int, held: int, repeat: int) -> None:
    views, plos = "https://w3id.org/alm-ld/metrics/views", "https://w3id.org/alm-ld/sources/plos"
    cites, crossref = ("https://w3id.org/alm-ld/metrics/citations",
                       "https://w3id.org/alm-ld/sources/crossref")
    for label, bulk in (("row by row, indexes in place", False),
                        ("indexes dropped and created again", True)):
        times = []
        for _ in range(repeat):
            rng = random.Random(7)
            with tempfile.TemporaryDirectory(prefix="alm-ld-index-io-") as folder:
                index = wi.WorksIndex(str(Path(folder) / "index.sqlite3"))
                try:
                    with index._write() as db:
                        db.executemany("INSERT INTO work VALUES (?, 1)",
                                       ((_work(k),) for k in range(held)))
                        db.executemany(
                            "INSERT INTO val (work, metric, source, value, vfrom) "
                            "VALUES (?, ?, ?, ?, 1)",
                            ((_work(k), views, plos, rng.randrange(10**4))
                             for k in range(held)))
                    start = time.perf_counter()
                    with index._write() as db:
                        wi.BULK_ROWS, wi.BULK_SHARE = (0, 0.0) if bulk else (10**12, 1.0)
                        with wi._value_indexes_rebuilt(db, rows):
                            for k in range(rows):
                                index._set_value(db, _work(k), cites, crossref,
                                                 rng.randrange(10**5), 2)
                    times.append(time.perf_counter() - start)
                finally:
                    index.close()
            print(f"  {label}: {times[-1]:.1f} s", flush=True)
        print(f"{label}: {rows:,} rows into {held:,} works: min {min(times):.1f} s, "
              f"median {statistics.median(times):.1f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.works_index_io",
                                     description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    first = modes.add_parser("columns", help="a new process's first read of the columns")
    first.add_argument("path")
    first.add_argument("--repeat", type=int, default=3)
    big = modes.add_parser("write", help="one large write of value rows")
    big.add_argument("--rows", type=int, default=1_500_000)
    big.add_argument("--held", type=int, default=1_500_000)
    big.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args(argv)
    if options.mode == "columns":
        columns(options.path, options.repeat)
    else:
        write(options.rows, options.held, options.repeat)


if __name__ == "__main__":
    main()
