"""Ingest benchmark: a 10,000-item feed, validate + map + store.

alm-ld's path (validate_feed → direct N-Triples mapping → one transactional load into the
default ``oxigraph:`` backend, on disk) against the naive path (a fresh ``jsonschema`` validation,
pyld ``to_rdf`` of the raw feed, rdflib Memory ``add`` per triple). Prints min/median of
repeated runs and the ratio. Also measures the two mapping routes alone (direct vs pyld +
post-processing), which is why ingest uses the direct one.

    .venv/bin/python -m benchmarks.ingest_bench [--items 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
METRICS = ("views", "downloads", "citations", "readers", "mentions")


def make_feed(n_items: int, seed: int = 42, feed_no: int = 0) -> dict[str, Any]:
    """A deterministic feed: Counts on n/5 works, every 10th item an Event."""
    rng = random.Random(seed + feed_no)
    items: list[dict[str, Any]] = []
    for k in range(n_items):
        work = f"https://doi.org/10.5555/bench.{k // 5}"
        if k % 10 == 9:
            items.append({"type": "Event", "id": f"https://example.org/events/{feed_no}/{k}",
                          "subject": f"https://example.org/posts/{k}", "relation": "mentions",
                          "object": work, "occurred": "2026-01-02T03:04:05Z",
                          "source": "example"})
        else:
            items.append({"type": "Count", "work": work, "metric": METRICS[k % 5],
                          "value": rng.randrange(100000), "aggregation": "cumulative",
                          "periodEnd": "2026-01-02", "source": "example",
                          "retrieved": "2026-01-02T10:00:00Z"})
    return {"@context": CONTEXT, "type": "Feed",
            "id": f"https://example.org/feeds/bench/{feed_no}",
            "provider": {"id": "https://example.org/provider", "name": "Bench"},
            "generated": "2026-01-02T12:00:00Z", "items": items}


def alm_ld_path(doc: dict[str, Any]) -> int:
    from alm_ld.config import Settings
    from alm_ld.pipeline import ingest_feed
    from alm_ld.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"oxigraph:{folder}/store")
        try:
            result = ingest_feed(store, doc, settings=Settings())
        finally:
            store.close()
    return result.items


def naive_path(doc: dict[str, Any]) -> int:
    import jsonschema
    from pyld import jsonld
    from rdflib import Dataset

    from alm_ld.jsonld import document_loader
    from alm_ld.resources import load_json, schema_path

    schema = load_json(schema_path("feed-base.schema.json"))
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                 "documentLoader": document_loader})
    dataset = Dataset(store="Memory")
    graph = dataset.graph(doc["id"])
    parsed = Dataset()
    parsed.parse(data=nquads, format="nquads")
    for triple in parsed.default_graph:
        graph.add(triple)
    return len(graph)


def mapping_direct(doc: dict[str, Any]) -> int:
    from alm_ld.mapping import map_feed_ntriples

    data, _ = map_feed_ntriples(doc, _ctx())
    return len(data)


def mapping_jsonld(doc: dict[str, Any]) -> int:
    from tests.support.mapping_jsonld import map_feed_via_jsonld

    graph, _ = map_feed_via_jsonld(doc, _ctx())
    return len(graph)


def _ctx():  # type: ignore[no-untyped-def]
    from alm_ld.mapping import IngestContext

    return IngestContext(sequence=1, ingested_at="2026-01-02T12:00:01Z", content_hash="x",
                         ingest_iri="https://w3id.org/alm-ld/id/ingest/bench")


def timed(fn: Callable[[Any], Any], arg: Any, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def run(items: int = 10_000, repeat: int = 5) -> dict[str, Any]:
    """Measure; returns the numbers (also printed) so a benchmark runner can collect them."""
    doc = make_feed(items)
    json.dumps(doc)  # warm imports and caches outside the timings
    alm_ld_path(make_feed(10, feed_no=1))
    naive_path(make_feed(10, feed_no=1))
    results: dict[str, Any] = {"items": items, "repeat": repeat}
    for name, fn in (("alm-ld ingest (oxigraph)", alm_ld_path),
                     ("naive (jsonschema+pyld+rdflib Memory)", naive_path),
                     ("mapping only: direct N-Triples", mapping_direct),
                     ("mapping only: pyld + post-processing", mapping_jsonld)):
        best, median = timed(fn, doc, repeat)
        results[name] = {"min_s": round(best, 3), "median_s": round(median, 3)}
        print(f"{name:42s} min {best:7.3f} s   median {median:7.3f} s")
    ratio = (results["naive (jsonschema+pyld+rdflib Memory)"]["median_s"]
             / results["alm-ld ingest (oxigraph)"]["median_s"])
    mapping_ratio = (results["mapping only: pyld + post-processing"]["median_s"]
                     / results["mapping only: direct N-Triples"]["median_s"])
    results["ratio_naive_over_alm_ld"] = round(ratio, 1)
    results["ratio_pyld_over_direct_mapping"] = round(mapping_ratio, 1)
    print(f"naive / alm-ld (median): {ratio:.1f}x;  pyld / direct mapping: {mapping_ratio:.1f}x")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    run(options.items, options.repeat)
