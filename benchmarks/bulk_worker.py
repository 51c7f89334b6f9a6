"""Bulk ingest in a child process, so its peak RSS is its own: generate, ingest, report JSON.

    python -m benchmarks.bulk_worker --works 100000 --dates 1 --store oxigraph:/tmp/s

``--skip-alerts`` writes feeds without their derived data (view lines, alerts) in
this child only, to show what the core path (validate + map + store) sustains on its own.

Prints one JSON object: items, feeds, seconds (ingest only, reading and parsing each feed's
file included: generation is done and timed before), items_per_s, cpu_seconds (the whole
process during ingest: every thread, the store's own included), main_thread_cpu_seconds (the
thread that validates, maps and derives), quads, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.datagen import Dataset, feeds
from benchmarks.timing import peak_rss_mb


def run(works: int, dates: int, store_spec: str, feed_size: int,
        skip_alerts: bool = False) -> dict[str, object]:
    from alm_ld import pipeline
    from alm_ld.config import Settings
    from alm_ld.pipeline import IngestResult
    from alm_ld.pipeline.batch import FeedBatch
    from alm_ld.store import open_store

    if skip_alerts:
        # Benchmark-only switch (this child process only): measure validate + map + store
        # without the analytics hook, to show what the data-quality alerts cost.
        pipeline.after_ingest = lambda *args: None  # type: ignore[assignment]
        pipeline.DERIVED_AT_INGEST = False  # no view lines or alerts written with the feed

    settings = Settings(store=store_spec)
    data = Dataset(works=works, dates=dates, feed_size=feed_size)
    store = open_store(store_spec)
    results: list[IngestResult] = []
    try:
        with tempfile.TemporaryDirectory(prefix="alm-bulk-feeds-") as folder:
            # Generated first, as files: the timed part reads and parses each one as
            # `alm-ld ingest` does, while the previous feed is written.
            start = time.perf_counter()
            files = []
            for number, feed in enumerate(feeds(data)):
                files.append(Path(folder) / f"feed-{number:05d}.json")
                files[-1].write_bytes(json.dumps(feed).encode())
            generate_s = time.perf_counter() - start
            start = time.perf_counter()
            cpu, python_cpu = time.process_time(), time.thread_time()
            with FeedBatch(store, settings=settings,
                           on_ingested=lambda _, result: results.append(result)) as batch:
                for path in files:
                    batch.add(path, path.read_bytes())
            ingest_s = time.perf_counter() - start
            # CPU of the whole process (the store's loader, compaction and query threads
            # included) and of this thread alone (validate, map, derive: Python).
            cpu, python_cpu = time.process_time() - cpu, time.thread_time() - python_cpu
        items, n_feeds = sum(result.items for result in results), len(results)
        quads = store.quads_count()
    finally:
        store.close()
    return {"items": items, "feeds": n_feeds, "seconds": ingest_s,
            "generate_seconds": generate_s, "items_per_s": items / ingest_s if ingest_s else 0,
            "cpu_seconds": cpu, "main_thread_cpu_seconds": python_cpu,
            "quads": quads, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, required=True)
    parser.add_argument("--dates", type=int, default=1)
    parser.add_argument("--feed-size", type=int, default=10_000)
    parser.add_argument("--store", required=True)
    parser.add_argument("--skip-alerts", action="store_true",
                        help="leave out the post-ingest analytics hook (alerts)")
    options = parser.parse_args()
    print(json.dumps(run(options.works, options.dates, options.store, options.feed_size,
                         options.skip_alerts)))


if __name__ == "__main__":
    main()
