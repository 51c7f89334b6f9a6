"""One command for every measurement: ``python -m benchmarks [--quick] [--sizes ...]``.

For each size (number of works) it generates the dataset deterministically, bulk-ingests it into
an on-disk store (child process: throughput and peak RSS), dumps it with ``alm-ld dump``, runs
the aggregates against alm-ld's store and (where it fits in a few minutes) rdflib Memory, and
serves it with gunicorn, the Flask dev server and bare ``oxigraph serve`` for the HTTP
comparison, and (at one size) with ``alm-ld serve --workers 1, 2, 4`` for throughput per worker
count (:mod:`benchmarks.workers_bench`). Size-independent measurements (one-feed ingest vs the
naive stack, mapping, ``alm-ld validate``) run once. Results: a console line per measurement, then
``--out``/``<stamp>.json`` and ``.md`` (and ``latest.*``).

Quick mode (``--quick``, the CI smoke run) uses tiny sizes and 2 repeats; its numbers mean
nothing, it only proves every measurement still runs.
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import aggregates, http_bench, ingest, sparql_cli_bench, tools, workers_bench
from benchmarks.report import Report, machine, write

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
RDFLIB_MAX_WORKS = 10_000
"""rdflib Memory loads ~30k triples/s and needs ~1.3 KB per triple: above 10k works (~650k
quads) loading alone takes minutes and 100k works would need ~8 GB, so the baseline is skipped."""


@dataclass
class Plan:
    sizes: list[int]
    repeat: int
    ingest_items: list[int]
    naive_max_items: int
    naive_repeat: int
    validate_items: int
    latency_requests: int
    clients: int
    per_client: int
    changes_items: int
    feed_size: int
    worker_counts: tuple[int, ...] = (1, 2, 4)
    workers_size: int = 10_000
    """the one size at which throughput per worker count is measured (issue 14)"""


def plan(options: argparse.Namespace) -> Plan:
    if options.quick:
        return Plan(sizes=options.sizes or [200], repeat=options.repeat or 2,
                    ingest_items=[500], naive_max_items=500, naive_repeat=1,
                    validate_items=500, latency_requests=20, clients=2, per_client=10,
                    changes_items=1000, feed_size=500, worker_counts=(1, 2),
                    workers_size=(options.sizes or [200])[0])
    return Plan(sizes=options.sizes or [1000, 10_000, 100_000], repeat=options.repeat or 5,
                ingest_items=[1000, 10_000], naive_max_items=10_000, naive_repeat=1,
                validate_items=10_000, latency_requests=200, clients=4, per_client=100,
                changes_items=100_000, feed_size=10_000,
                workers_size=10_000 if 10_000 in (options.sizes or [10_000])
                else options.sizes[0])


def find_oxigraph() -> str | None:
    import sys

    exe = Path(sys.executable).with_name("oxigraph")
    return str(exe) if exe.exists() else shutil.which("oxigraph")


def run(options: argparse.Namespace) -> Report:
    steps = plan(options)
    out_dir = Path(options.out) if options.out else DEFAULT_OUT
    report = Report(meta={"machine": machine(), "options": {
        "quick": options.quick, "sizes": steps.sizes, "repeat": steps.repeat}})
    work_dir = ingest.temp_dir()
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if options.quick else "")
    oxigraph_bin = find_oxigraph()
    only = set(options.only.split(",")) if options.only else None

    def wanted(name: str) -> bool:
        return only is None or name in only

    try:
        if wanted("ingest"):
            for items in steps.ingest_items:
                naive_repeat = steps.naive_repeat if items <= steps.naive_max_items else 0
                ingest.compare_ingest(report, items, steps.repeat, naive_repeat, work_dir)
            ingest.compare_mapping(report, steps.ingest_items[0], steps.repeat)
        if wanted("validate"):
            tools.validate_cli(report, steps.validate_items, steps.repeat, work_dir)
        if wanted("cli"):  # issue 15: whole-process CLI times
            sparql_cli_bench.cli(report, work_dir, steps.repeat,
                                 ingest_items=500 if options.quick else 5000,
                                 naive_repeat=1 if options.quick else 2,
                                 oxigraph_bin=oxigraph_bin)
        for works in steps.sizes:
            store_dir = work_dir / f"store-{works}"
            dump = work_dir / f"dump-{works}.nq"
            numbers = ingest.bulk_ingest(report, works, store_dir, feed_size=steps.feed_size)
            tools.dump_cli(report, works, store_dir, dump,
                           1 if works >= 100_000 else max(1, min(steps.repeat, 3)))
            if oxigraph_bin:
                ingest.oxigraph_bulk_load(report, works, dump, oxigraph_bin,
                                          work_dir / f"ref-load-{works}", numbers)
            if wanted("aggregates"):
                reason = (f"rdflib Memory would need minutes to load and ~{works * 80 // 1000}"
                          " MB+ at this size" if works > RDFLIB_MAX_WORKS else "")
                aggregates.run(report, works, f"oxigraph:{store_dir}", dump, steps.repeat,
                               baseline=works <= RDFLIB_MAX_WORKS, baseline_reason=reason)
            if wanted("sparql") and works == steps.sizes[-1]:  # issue 15, before "http" (it
                # removes the bare Oxigraph folder both use)
                sparql_cli_bench.sparql_point(
                    report, works, store_dir, dump, oxigraph_bin, work_dir,
                    repeat=max(1, min(steps.repeat, 3)), latency_requests=steps.latency_requests,
                    clients=steps.clients, per_client=steps.per_client)
            if wanted("http"):
                http_bench.run(report, works, store_dir, dump, oxigraph_bin, work_dir,
                               repeat=max(1, min(steps.repeat, 2)),
                               latency_requests=steps.latency_requests,
                               clients=steps.clients, per_client=steps.per_client,
                               changes_items=min(steps.changes_items, numbers["items"]))
            if (wanted("http") or wanted("workers")) and works == steps.workers_size:
                workers_bench.run(report, works, store_dir, oxigraph_bin,
                                  worker_counts=steps.worker_counts,
                                  clients=2 * max(steps.worker_counts),
                                  per_client=steps.per_client,
                                  repeat=max(1, min(steps.repeat, 3)))
            tools.remove(store_dir)
            tools.remove(dump)
            tools.remove(work_dir / f"ref-load-{works}")
            write(report, out_dir, stamp + "-partial")  # a killed run keeps what it measured
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    report.meta["elapsed_s"] = round(time.perf_counter() - started, 1)
    json_path, md_path = write(report, out_dir, stamp)
    for partial in out_dir.glob(f"{stamp}-partial.*"):
        partial.unlink()
    print(f"\nfinished in {report.meta['elapsed_s']} s; wrote {json_path} and {md_path}")
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="alm-ld benchmarks (see docs/performance.md)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, 2 repeats: a smoke run (~1-2 minutes)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x],
                        default=None, help="numbers of works, e.g. 1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per measurement (default 5, quick 2)")
    parser.add_argument("--out", default=None, help=f"result folder (default {DEFAULT_OUT})")
    parser.add_argument("--only", default=None,
                        help="comma-separated subset: ingest,validate,cli,aggregates,http,"
                             "sparql,workers "
                             "(bulk ingest and dump always run for each size)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0
