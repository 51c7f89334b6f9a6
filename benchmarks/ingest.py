"""Ingest of one feed (validate + map + store) against the naive path, and bulk throughput.

alm-ld: :func:`alm_ld.pipeline.ingest_feed` into a fresh on-disk ``oxigraph:`` store (the
default backend; opening it, with its vocabulary graph, is not timed — a service has its store
open), post-ingest alerts included. Naive: what the design card's libraries give without
care — a fresh ``jsonschema.validate`` per feed, pyld ``to_rdf`` of the whole feed, rdflib
Memory ``add`` per triple. Bulk: every feed of a generated dataset through ``ingest_feed`` into
one on-disk store, in a child process (:mod:`benchmarks.bulk_worker`) so its peak RSS is its
own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.datagen import single_feed
from benchmarks.report import Report, Row
from benchmarks.timing import repeat_timed, summary


class FreshStore:
    """A new empty on-disk store per run, opened untimed (a service has its store open)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.store = folder, None

    def open(self) -> None:
        from alm_ld.store import open_store

        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.store = open_store(f"oxigraph:{self.folder}")

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def ingest(self, doc: dict[str, Any]) -> int:
        from alm_ld.config import Settings
        from alm_ld.pipeline import ingest_feed

        return ingest_feed(self.store, doc, settings=Settings(store=f"oxigraph:{self.folder}")
                           ).items


def alm_ld_ingest(doc: dict[str, Any], folder: Path) -> int:
    fresh = FreshStore(folder)
    fresh.open()
    try:
        return fresh.ingest(doc)
    finally:
        fresh.close()


def naive_ingest(doc: dict[str, Any]) -> int:
    """jsonschema.validate (rebuilds the validator) + pyld to_rdf + rdflib Memory, one add per
    triple — the stack pyproject.toml declares, used the obvious way."""
    import jsonschema
    from pyld import jsonld
    from rdflib import Dataset

    from alm_ld.jsonld import document_loader
    from alm_ld.resources import load_json, schema_path

    schema = load_json(schema_path("feed-base.schema.json"))
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                 "documentLoader": document_loader})
    parsed = Dataset()
    parsed.parse(data=nquads, format="nquads")
    dataset = Dataset(store="Memory")
    graph = dataset.graph(doc["id"])
    for triple in parsed.default_graph:
        graph.add(triple)
    return len(graph)


def compare_ingest(report: Report, items: int, repeat: int, naive_repeat: int,
                   work_dir: Path) -> None:
    doc = single_feed(items)
    alm_ld_ingest(single_feed(20, tag="warm"), work_dir / "warm")  # imports, caches
    naive_ingest(single_feed(20, tag="warm"))
    fresh = FreshStore(work_dir / "ingest")
    try:
        ours = summary(repeat_timed(lambda: fresh.ingest(doc), repeat, setup=fresh.open))
    finally:
        fresh.close()
    if naive_repeat <= 0:
        report.add(Row("ingest", "ingest one feed (validate+map+store+alerts, oxigraph on disk)",
                       f"{items} items", ours["min"], ours["median"], runs=ours["n"],
                       note="naive path not measured at this size (takes minutes)"))
        return
    core = _without_alerts(lambda: summary(repeat_timed(lambda: fresh_core.ingest(doc), repeat,
                                                        setup=fresh_core.open)),
                           fresh_core := FreshStore(work_dir / "ingest-core"))
    naive = summary(repeat_timed(lambda: naive_ingest(doc), naive_repeat))
    report.add(Row("ingest", "ingest one feed (validate+map+store+alerts, oxigraph on disk)",
                   f"{items} items", ours["min"], ours["median"], runs=ours["n"],
                   baseline="naive jsonschema+pyld+rdflib Memory",
                   baseline_min=naive["min"], baseline_median=naive["median"],
                   target="≥ 30×", note=f"naive runs: {naive['n']}"))
    report.add(Row("ingest", "ingest one feed, alerts hook off (validate+map+store)",
                   f"{items} items", core["min"], core["median"], runs=core["n"],
                   baseline="naive jsonschema+pyld+rdflib Memory",
                   baseline_min=naive["min"], baseline_median=naive["median"],
                   target="≥ 30×", note="same naive runs; the naive path computes no alerts"))


def _without_alerts(measure: Any, fresh: FreshStore) -> Any:
    """Run ``measure`` with the pipeline's post-ingest hook replaced by a no-op (benchmark
    only, restored afterwards): the naive path has no data-quality alerts either."""
    from alm_ld import pipeline

    hook = pipeline.after_ingest
    pipeline.after_ingest = lambda *args: None  # type: ignore[assignment]
    pipeline.DERIVED_AT_INGEST = False  # no view lines or alerts written with the feed
    try:
        return measure()
    finally:
        pipeline.after_ingest = hook  # type: ignore[assignment]
        pipeline.DERIVED_AT_INGEST = True
        fresh.close()


def compare_mapping(report: Report, items: int, repeat: int) -> None:
    """The two mapping routes alone (direct N-Triples vs pyld + post-processing)."""
    from alm_ld.mapping import IngestContext, map_feed_ntriples
    from tests.support.mapping_jsonld import map_feed_via_jsonld

    ctx = IngestContext(sequence=1, ingested_at="2026-06-30T12:00:01Z", content_hash="x",
                        ingest_iri="https://w3id.org/alm-ld/id/ingest/bench")
    doc = single_feed(items)
    direct = summary(repeat_timed(lambda: map_feed_ntriples(doc, ctx), repeat))
    pyld = summary(repeat_timed(lambda: map_feed_via_jsonld(doc, ctx), max(1, repeat // 2)))
    report.add(Row("ingest", "mapping only: direct N-Triples", f"{items} items",
                   direct["min"], direct["median"], runs=direct["n"],
                   baseline="pyld to_rdf + post-processing", baseline_min=pyld["min"],
                   baseline_median=pyld["median"]))


def _bulk_child(works: int, store_dir: Path, dates: int, feed_size: int,
                skip_alerts: bool) -> dict[str, Any]:
    shutil.rmtree(store_dir, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bulk_worker", "--works", str(works),
         "--dates", str(dates), "--feed-size", str(feed_size), "--store", f"oxigraph:{store_dir}",
         *(["--skip-alerts"] if skip_alerts else [])],
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bulk_ingest(report: Report, works: int, store_dir: Path, dates: int = 1,
                feed_size: int = 10_000, without_alerts: bool = True) -> dict[str, Any]:
    """Ingest the whole dataset into ``store_dir`` in a child process; returns its numbers.

    With ``without_alerts`` the dataset is first ingested once more into a scratch store with
    the analytics hook switched off, to separate the core path from the alerts' cost."""
    if without_alerts:
        scratch = store_dir.with_name(store_dir.name + "-noalerts")
        core = _bulk_child(works, scratch, dates, feed_size, skip_alerts=True)
        shutil.rmtree(scratch, ignore_errors=True)
        report.add(Row("bulk", "bulk ingest, validate+map+store only (alerts hook off, "
                           "ingest_feed per feed)",
                       f"{works} works", core["items_per_s"], core["items_per_s"],
                       unit="items/s", note=f"{core['items']} items, {core['seconds']:.1f} s, "
                                            f"peak RSS {core['peak_rss_mb']:.0f} MB",
                       extra=core))
    numbers = _bulk_child(works, store_dir, dates, feed_size, skip_alerts=False)
    report.add(Row("bulk", "bulk ingest throughput (one FeedBatch of every feed, on disk)",
                   f"{works} works", numbers["items_per_s"], numbers["items_per_s"],
                   unit="items/s", target="≥ 10,000 items/s, ≥ 0.8× `oxigraph load`",
                   note=f"{numbers['items']} items in {numbers['feeds']} feeds, "
                        f"{numbers['seconds']:.1f} s, {numbers['quads']} quads; "
                        "includes the post-ingest alerts; CPU "
                        f"{numbers['cpu_seconds']:.1f} s, of which the Python thread "
                        f"{numbers['main_thread_cpu_seconds']:.1f} s",
                   extra=numbers))
    report.add(Row("bulk", "peak RSS of the bulk ingest process", f"{works} works",
                   numbers["peak_rss_mb"], numbers["peak_rss_mb"], unit="MB"))
    return numbers


def oxigraph_bulk_load(report: Report, works: int, dump: Path, oxigraph_bin: str,
                       target_dir: Path, numbers: dict[str, Any]) -> float | None:
    """Oxigraph's own loader on alm-ld's dump (reference rate for the store underneath)."""
    import resource
    import time

    shutil.rmtree(target_dir, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([oxigraph_bin, "load", "--location", str(target_dir), "--file", str(dump)],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    loader_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # The loader leaves its SST files for RocksDB to compact later ("consider running oxigraph
    # optimize"); alm-ld's ingest pays those compactions as it goes. Timed apart, so the
    # reference stays the loader alone and the compaction it defers is visible beside it.
    start = time.perf_counter()
    subprocess.run([oxigraph_bin, "optimize", "--location", str(target_dir)],
                   check=True, capture_output=True)
    optimize_s = time.perf_counter() - start
    final = resource.getrusage(resource.RUSAGE_CHILDREN)
    optimize_cpu = (final.ru_utime + final.ru_stime) - (after.ru_utime + after.ru_stime)
    quads = numbers.get("quads") or 0  # the folder is kept: the HTTP comparison serves it
    report.add(Row("bulk", "bare `oxigraph load` of alm-ld's dump (reference)", f"{works} works",
                   quads / seconds, quads / seconds, unit="quads/s",
                   note=f"{quads} quads in {seconds:.1f} s, i.e. "
                        f"{numbers['items'] / seconds:,.0f} of alm-ld's items/s at "
                        f"{quads / max(numbers['items'], 1):.1f} quads an item; alm-ld ingest: "
                        f"{quads / numbers['seconds']:,.0f} quads/s; CPU seconds: loader "
                        f"{loader_cpu:.1f}, alm-ld ingest {numbers.get('cpu_seconds', 0):.1f} "
                        f"(of which its Python thread "
                        f"{numbers.get('main_thread_cpu_seconds', 0):.1f})"))
    with_optimize = seconds + optimize_s
    report.add(Row("bulk", "bare `oxigraph load` then `oxigraph optimize` (the compaction the "
                           "loader defers)", f"{works} works",
                   quads / with_optimize, quads / with_optimize, unit="quads/s",
                   note=f"load {seconds:.1f} s + optimize {optimize_s:.1f} s "
                        f"({optimize_cpu:.1f} CPU-s); alm-ld ingest reaches "
                        f"{with_optimize / numbers['seconds']:.2f}× this; the folder is served "
                        "compacted by the HTTP rows"))
    return seconds


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="alm-ld-bench-"))
