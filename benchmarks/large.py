"""``make bench-large``: does the per-request cost stay flat from 100k to 1M works? (issue 15)

    python -m benchmarks.large [--works 1000000] [--small N] [--dir PATH] [--keep]

One on-disk ``oxigraph:`` store grows in two steps, through alm-ld's own ingest path (one
:class:`alm_ld.pipeline.batch.FeedBatch` of every feed, validation, current-value view and
post-ingest alerts included, as in :mod:`benchmarks.bulk_worker`): first the ``--small`` dataset
(default ``works / 10``: 100k works) of :mod:`benchmarks.datagen`, which is measured, then the
rest of the ``--works`` dataset (its works ``small … works - 1``: 4 Counts each, and its Events
from number ``small`` on), which is measured again. Growing one store instead of building two
saves the second 100k ingest; the large store then holds ``works × 5`` items like a fresh one
(the first ``small`` works carry the small dataset's values). Feeds are generated one at a time,
so the dataset never sits in memory.

Measured at each size: ingest wall time and items/s (generating the feeds included: it runs
while the store writes, and costs a few seconds per 1M items), quads, disk size of the store
folder, peak RSS (``getrusage`` of this process, which ingests; and ``VmHWM`` of the server
child), then, with repeated runs (min and median): ``GET /works/{id}`` (JSON-LD) p50, a point
SPARQL SELECT on ``/sparql`` p50 (both one client, sequential requests, served by the real app
under waitress, as :mod:`benchmarks.http_bench` serves it), the current-value view's "sum per
source" and "top-10 cited" (in-process, like :func:`benchmarks.aggregates.run_view`) and ``GET
/works?filter=…&sort=citations:desc&per_page=25``. The table ends with the large/small ratio of
each latency (target ≤ 1.5: flat per-request cost).

The store folder and the files beside it (works index, its saved columns, views) are removed
at the end unless ``--keep``. The run stops (and says so) when the
disk holding it has less than ``--min-free-gb`` free.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import http_bench
from benchmarks.aggregates import timed
from benchmarks.datagen import SERIES, Dataset, _chunked, count_items, event_items, feeds
from benchmarks.report import machine

CITATIONS = "https://w3id.org/alm-ld/metrics/citations"
LATENCY_TARGET = 1.5


class DiskFull(RuntimeError):
    """The store's disk fell below the free-space floor: stop before the machine suffers."""


def grow_feeds(data: Dataset, start: int) -> Iterator[dict[str, Any]]:
    """The feeds of ``data`` restricted to its works ``start …`` and its Events ``start …``.

    The generator's random streams are consumed exactly as for the whole dataset (the skipped
    items are generated and dropped), so values are those of a fresh ``data`` ingest."""
    base = f"https://example.org/bench/{data.works}w{data.dates}d{data.seed}/grow{start}"
    for date in range(data.dates):
        for source in dict.fromkeys(s for _, s in SERIES):
            per_work = sum(1 for _, s in SERIES if s == source)
            items = itertools.islice(count_items(data, date, source), start * per_work, None)
            yield from _chunked(f"{base}/{source}/{date}", source, items, data.feed_size)
    yield from _chunked(f"{base}/events", "events",
                        itertools.islice(event_items(data), start, None), data.feed_size)


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # a compaction removed it meanwhile
                total += (Path(root) / name).stat().st_size
    return total


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


@dataclass
class Size:
    """Everything measured at one store size."""

    works: int
    items: int = 0
    feeds: int = 0
    ingest_s: float = 0.0
    quads: int = 0
    disk_bytes: int = 0
    ingest_rss_mb: float = 0.0
    server_rss_mb: float = 0.0
    index_s: float = 0.0
    """seconds the works index took to catch up with this step's feeds (whole at the first)"""
    index_bytes: int = 0
    latency: dict[str, dict[str, float]] = field(default_factory=dict)
    """name → {"min", "median", "n"} in milliseconds"""
    errors: dict[str, str] = field(default_factory=dict)
    """name → why that measurement failed (it then has no latency)"""


def ingest(store_spec: str, folder: Path, source: Iterator[dict[str, Any]], size: Size,
           min_free_gb: float) -> None:
    """Ingest every feed of ``source`` as one batch (adds to ``size``'s items, feeds and
    seconds; the seconds include generating the feeds, which runs while the store writes)."""
    from alm_ld.config import Settings
    from alm_ld.pipeline.batch import FeedBatch
    from alm_ld.store import open_store

    settings = Settings(store=store_spec)
    store = open_store(store_spec)
    started = time.perf_counter()
    before = size.ingest_s

    def stored(_: Any, result: Any) -> None:
        size.items += result.items
        size.feeds += 1
        if size.feeds % 10 == 0:
            size.ingest_s = before + time.perf_counter() - started
            free_gb = shutil.disk_usage(folder).free / 1e9
            print(f"  … {size.items:,} items in {size.feeds} feeds, ingest "
                  f"{size.ingest_s:.0f} s ({size.items / size.ingest_s:,.0f} items/s), "
                  f"peak RSS {rss_mb():,.0f} MB, disk free {free_gb:.1f} GB",
                  file=sys.stderr, flush=True)
            if free_gb < min_free_gb:
                raise DiskFull(f"only {free_gb:.1f} GB free under {folder}: stopped")

    try:
        with FeedBatch(store, settings=settings, on_ingested=stored) as batch:
            for feed in source:
                batch.add(None, feed)
        size.ingest_s = before + time.perf_counter() - started
        size.quads = store.quads_count()
    finally:
        store.close()
    size.disk_bytes = folder_bytes(folder)
    size.ingest_rss_mb = rss_mb()


def latency(port: int, paths: list[str], accept: str, requests: int,
            repeat: int) -> dict[str, float]:
    """p50 (ms) of ``requests`` sequential requests, ``repeat`` times after one warm-up pass
    over every path (the first request for a work may build its document)."""
    http_bench.load(port, paths, accept, clients=1, per_client=len(paths))
    p50s = sorted(http_bench.load(port, paths, accept, clients=1, per_client=requests)["p50_ms"]
                  for _ in range(repeat))
    return {"min": p50s[0], "median": p50s[len(p50s) // 2], "n": len(p50s)}


def measure(store_spec: str, size: Size, requests: int, repeat: int) -> None:
    """The read latencies at this size: the works index caught up (timed), the aggregates
    in-process, then HTTP."""
    from alm_ld.analytics import aggregates as agg
    from alm_ld.analytics import current_view as cv
    from alm_ld.analytics import works_list as wl
    from alm_ld.analytics.works_index import index_path, works_index
    from alm_ld.store import open_store

    def ms(numbers: dict[str, float]) -> dict[str, float]:
        return {"min": numbers["min"] * 1000, "median": numbers["median"] * 1000,
                "n": numbers["n"]}

    with open_store(store_spec, load_vocabulary=False) as store:
        cv.refresh_current_view(store)  # a writer step: readers no longer catch the view up
        start = time.perf_counter()
        works_index(store)  # what `alm-ld serve` does in the background at start-up
        agg.source_totals(store)  # and the process's columns, read whole
        size.index_s = time.perf_counter() - start
        path = index_path(store)
        size.index_bytes = sum(Path(p).stat().st_size for p in (path, path + "-wal")
                               if path and Path(p).exists())
        grouped = wl.parse_works_query(filter="has_metric:citations", group_by="source")
        size.latency["sum"] = ms(timed(lambda: agg.source_totals(store), repeat))
        size.latency["top10"] = ms(timed(lambda: agg.top_works(store, CITATIONS, 10), repeat))
        size.latency["group"] = ms(timed(lambda: wl.group_works(store, grouped), repeat))
    args, port, probe = http_bench.alm_ld_server(store_spec, "waitress")
    with http_bench.running(args, port, probe):
        for key, run_it in (
                ("work", lambda: latency(port, http_bench.work_paths(size.works),
                                         "application/ld+json", requests, repeat)),
                ("sparql", lambda: latency(port, http_bench.sparql_paths(size.works, "/sparql"),
                                           "application/sparql-results+json", requests,
                                           repeat)),
                ("list", lambda: http_bench.works_list(port, repeat))):
            start = time.perf_counter()
            try:
                result = run_it()
                if result.get("error") or result.get("median") is None:
                    # http_bench.works_list reports a failed request instead of raising
                    raise RuntimeError(result.get("error") or "no successful request")
                size.latency[key] = result
            except RuntimeError as error:  # e.g. a 503 query timeout: a result, not a crash
                size.errors[key] = f"{error} (after {time.perf_counter() - start:.1f} s)"
                print(f"  {key} at {size.works:,} works failed: {size.errors[key]}",
                      file=sys.stderr, flush=True)
        size.server_rss_mb = children_peak_mb()


def children_peak_mb() -> float:
    """The largest peak RSS (``VmHWM``) among this process's running children: the server.

    ``getrusage(RUSAGE_CHILDREN)`` is no use here: Linux carries the forking parent's peak
    into the child's, so it reported the ingesting harness's own peak for the server."""
    peak = 0.0
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            for pid in (task / "children").read_text().split():
                with contextlib.suppress(OSError):
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]) / 1024.0)
    return peak


LATENCY_ROWS = (
    ("work", "GET /works/{id} (JSON-LD) p50, waitress"),
    ("sparql", "point SPARQL SELECT on /sparql p50, waitress"),
    ("sum", "aggregate (works index): sum per source"),
    ("top10", "aggregate (works index): top-10 cited"),
    ("group", "group_by=source&filter=has_metric:citations (in process)"),
    ("list", "GET /works?filter=has_metric:citations&sort=citations:desc&per_page=25"),
)
INGEST_ROWS = ("ingest wall time (cumulative)", "ingest items/s", "items", "quads",
               "disk size of the store folder", "peak RSS, ingest (this process)",
               "peak RSS, server child (VmHWM)", "works index catch-up (this step)",
               "works index size")


def _fmt_ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 10 else f"{value:.2f} ms"


def table(sizes: list[Size], planned: list[int]) -> str:
    """The Markdown table: a column per size (``planned`` ones not reached show "—"), then
    the last measured size over the first (target ≤ 1.5 for the latencies)."""
    first, last = sizes[0], sizes[-1]
    heads = [f"{n:,} works" + (" min / median" if k < len(sizes) else " (not reached)")
             for k, n in enumerate(planned)]
    lines = ["| measurement | " + " | ".join(heads)
             + f" | ratio {last.works:,} / {first.works:,} (median) | target |",
             "|---|" + "---|" * (len(planned) + 2)]

    def ingest_cells(s: Size) -> list[str]:
        rate = s.items / s.ingest_s if s.ingest_s else 0.0
        return [f"{s.ingest_s:,.1f} s", f"{rate:,.0f} items/s", f"{s.items:,} in {s.feeds} feeds",
                f"{s.quads:,}", f"{s.disk_bytes / 1e9:.2f} GB", f"{s.ingest_rss_mb:,.0f} MB",
                f"{s.server_rss_mb:,.0f} MB", f"{s.index_s:,.1f} s",
                f"{s.index_bytes / 1e9:.2f} GB"]

    def ingest_values(s: Size) -> list[float]:
        return [s.ingest_s, s.items / s.ingest_s if s.ingest_s else 0.0, s.items, s.quads,
                s.disk_bytes, s.ingest_rss_mb, s.server_rss_mb, s.index_s, s.index_bytes]

    cells = [ingest_cells(s) for s in sizes]
    missing = ["—"] * (len(planned) - len(sizes))
    for k, name in enumerate(INGEST_ROWS):
        low, high = ingest_values(first)[k], ingest_values(last)[k]
        ratio = f"{high / low:.2f}×" if len(sizes) > 1 and low else "—"
        lines.append(f"| {name} | " + " | ".join([c[k] for c in cells] + missing)
                     + f" | {ratio} | |")

    def cell(m: dict[str, float] | None) -> str:
        if not m:
            return "—"
        cold = f"; first request (computed) {_fmt_ms(m['cold_ms'])}" if "cold_ms" in m else ""
        return f"{_fmt_ms(m['min'])} / {_fmt_ms(m['median'])} (×{m['n']}){cold}"

    for key, name in LATENCY_ROWS:
        mine, theirs = first.latency.get(key), last.latency.get(key)
        ratio = "—"
        if len(sizes) > 1 and mine and theirs and mine["median"]:
            value = theirs["median"] / mine["median"]
            ratio = f"{value:.2f}× {'✔' if value <= LATENCY_TARGET else '✘'}"
        lines.append(f"| {name} | " + " | ".join([cell(s.latency.get(key)) if key not in
                                                  s.errors else "failed: " + s.errors[key]
                                                  for s in sizes]
                                                 + missing)
                     + f" | {ratio} | ≤ {LATENCY_TARGET}× |")
    return "\n".join(lines) + "\n"


def plan(options: argparse.Namespace) -> list[int]:
    """The sizes the store grows through: ``--small``, each ``--steps`` size, ``--works``."""
    small = options.small or max(1, options.works // 10)
    sizes = sorted({small, *options.steps, options.works})
    if sizes[0] != small or sizes[-1] != options.works or len(sizes) < 2:
        raise SystemExit("need --small < every --steps size < --works")
    return sizes


def run(options: argparse.Namespace) -> int:
    planned = plan(options)
    base = Path(options.dir) if options.dir else Path(tempfile.mkdtemp(prefix="alm-ld-large-"))
    folder = base / "store"
    if folder.exists():
        raise SystemExit(f"{folder} exists: give an empty --dir")
    spec = f"oxigraph:{folder}"
    began = time.perf_counter()
    print(f"bench-large: {' → '.join(f'{n:,}' for n in planned)} works into {folder} "
          f"({datetime.now(UTC).isoformat(timespec='seconds')}; {machine()})", flush=True)
    sizes: list[Size] = []
    try:
        for n in planned:
            size = Size(n)
            if sizes:  # grow: the works (and Events) of the n-work dataset not yet stored
                before = sizes[-1]
                size.items, size.feeds, size.ingest_s = before.items, before.feeds, \
                    before.ingest_s
                source = grow_feeds(Dataset(works=n, feed_size=options.feed_size), before.works)
            else:
                source = feeds(Dataset(works=n, feed_size=options.feed_size))
            ingest(spec, folder, source, size, options.min_free_gb)
            print(f"ingested {n:,} works: {size.items:,} items, {size.ingest_s:.1f} s "
                  f"(cumulative), wall so far {(time.perf_counter() - began) / 60:.1f} min",
                  flush=True)
            measure(spec, size, options.requests, options.repeat)
            sizes.append(size)
            print(table(sizes, planned), flush=True)
    except DiskFull as error:
        print(f"bench-large: {error}", flush=True)
    finally:
        elapsed = time.perf_counter() - began
        if options.keep:
            print(f"kept the store: {folder}", flush=True)
        elif not options.dir:
            shutil.rmtree(base, ignore_errors=True)
        else:  # the store and what lives beside it (works index, its columns, views)
            for path in [folder, *folder.parent.glob(folder.name + ".*")]:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
    print(f"\n## bench-large, {datetime.now(UTC).isoformat(timespec='seconds')}, whole run "
          f"{elapsed / 60:.1f} min\n", flush=True)
    if sizes:
        print(table(sizes, planned), flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(
            {"machine": machine(), "elapsed_s": round(elapsed, 1),
             "sizes": [vars(s) for s in sizes]}, indent=1), encoding="utf-8")
    return 0 if len(sizes) == len(planned) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=1_000_000, help="the large size")
    parser.add_argument("--small", type=int, default=None,
                        help="the first size, measured before growing (default works / 10)")
    parser.add_argument("--steps", type=lambda t: [int(x) for x in t.split(",") if x],
                        default=None, help="sizes measured in between, e.g. 300000 (default "
                                           "works × 3 / 10; '' for none)")
    parser.add_argument("--dir", default=None, help="work folder (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the store folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs per latency (min, median)")
    parser.add_argument("--requests", type=int, default=100,
                        help="sequential requests per latency run")
    parser.add_argument("--feed-size", type=int, default=10_000)
    parser.add_argument("--min-free-gb", type=float, default=10.0,
                        help="stop ingesting when the disk has less free space")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    options = parser.parse_args(argv)
    if options.steps is None:
        small = options.small or max(1, options.works // 10)
        middle = options.works * 3 // 10
        options.steps = [middle] if small < middle < options.works else []
    return options


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
