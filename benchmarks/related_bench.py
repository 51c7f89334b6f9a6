"""Related works on a generated graph of 100k events: is /works/{id}/related interactive?

    .venv/bin/python benchmarks/related_bench.py [--events 100000] [--repeat 7] [--store oxigraph:]

Generates citing works and web pages (Wikipedia/blog subjects) that cite or reference works
drawn from a skewed (Zipf-like) popularity, so a few works are hubs with thousands of subjects,
ingests them through the real pipeline in feeds of 5,000 events, then times
``alm_ld.analytics.related_works`` for the most popular work (worst case) and for a typical one.
Prints min and median seconds per query.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alm_ld.analytics import related_works  # noqa: E402
from alm_ld.config import Settings  # noqa: E402
from alm_ld.pipeline import ingest_feed  # noqa: E402
from alm_ld.store import open_store  # noqa: E402
from benchmarks.timing import repeat_timed, summary  # noqa: E402

CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"


def work(i: int) -> str:
    return f"https://doi.org/10.5555/bench.{i}"


def generate_events(n_events: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n_events`` events: 80 % citations from citing works, 20 % references from pages."""
    rng = random.Random(seed)
    n_works = max(100, n_events // 5)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(n_works)]
    targets = rng.choices(range(n_works), weights=weights, k=n_events)
    events = []
    seen = set()
    for i, target in enumerate(targets):
        if rng.random() < 0.8:
            subject, relation, source = work(n_works + rng.randrange(n_events // 8)), "cites", \
                "crossref"
        else:
            subject = f"https://en.wikipedia.org/wiki/Page_{rng.randrange(n_events // 40)}"
            relation, source = "references", "wikipedia"
        if (subject, target) in seen:
            continue
        seen.add((subject, target))
        events.append({"type": "Event", "id": f"https://events.example.org/bench/{i}",
                       "subject": subject, "relation": relation, "object": work(target),
                       "occurred": "2026-01-01T00:00:00Z", "source": source})
    return events


def load(store: Any, events: list[dict[str, Any]], chunk: int = 5000) -> float:
    settings = Settings(store=store.spec)
    start = time.perf_counter()
    for n in range(0, len(events), chunk):
        ingest_feed(store, {
            "@context": CONTEXT, "type": "Feed", "id": f"urn:bench:related:{n}",
            "provider": {"id": "https://example.org/bench", "name": "bench"},
            "generated": "2026-06-30T00:00:00Z", "items": events[n:n + chunk]}, settings=settings)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--store", default="oxigraph:", help="store spec (default in-memory "
                        "Oxigraph, the engine of the default on-disk store)")
    args = parser.parse_args(argv)
    events = generate_events(args.events)
    store = open_store(args.store)
    seconds = load(store, events)
    print(f"ingested {len(events)} events in {seconds:.1f} s ({args.store})")
    for label, target in (("hub work (most cited)", work(0)), ("typical work", work(500))):
        found = related_works(store, target)
        times = repeat_timed(lambda t=target: related_works(store, t), args.repeat)
        stats = summary(times)
        print(f"related_works {label}: {len(found)} results, min {stats['min'] * 1000:.0f} ms, "
              f"median {stats['median'] * 1000:.0f} ms over {args.repeat} runs")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
