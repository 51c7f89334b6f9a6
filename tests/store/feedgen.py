"""Deterministic synthetic feeds for store tests (no randomness without a seed)."""

from __future__ import annotations

import random
from typing import Any

CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
METRICS = ("views", "downloads", "citations", "readers", "mentions")


def synthetic_feed(n_items: int, *, seed: int = 0, feed_no: int = 0,
                   work_offset: int = 0) -> dict[str, Any]:
    """``n_items`` Counts (every 10th an Event) on works ``10.5555/w<work_offset + k>``."""
    rng = random.Random(seed * 1_000_003 + feed_no)
    items: list[dict[str, Any]] = []
    for k in range(n_items):
        work = f"https://doi.org/10.5555/w{work_offset + k // 5}"
        if k % 10 == 9:
            items.append({
                "type": "Event", "id": f"https://example.org/events/{feed_no}-{k}",
                "subject": f"https://example.org/posts/{feed_no}-{k}", "relation": "mentions",
                "object": work, "occurred": "2026-01-02T03:04:05Z", "source": "example"})
        else:
            items.append({
                "type": "Count", "work": work, "metric": METRICS[k % 5],
                "value": rng.randrange(0, 100000), "aggregation": "cumulative",
                "periodEnd": "2026-01-02", "source": "example"})
    return {
        "@context": CONTEXT, "type": "Feed",
        "id": f"https://example.org/feeds/{seed}/{feed_no}",
        "provider": {"id": "https://example.org/provider", "name": "Example provider"},
        "generated": "2026-01-02T12:00:00Z", "items": items,
    }
