"""Where an ingest's time goes, stage by stage, while one store grows.

    python -m benchmarks.ingest_stages --works 300000 [--dates 1] [--every 10] [--store SPEC]

Ingests :mod:`benchmarks.datagen` feed by feed through :func:`alm_ld.pipeline.ingest_feed`
(validation, derived data, one load per feed, post-ingest hook: the real path) into one store,
and prints, for every ``--every`` feeds, the wall time per item of the whole ingest and of each
stage below, with the number of items stored before the block. This is how docs/performance.md
found that the 1M run's slowdown was the feed mix (held pairs reading their history), not
mostly the store's size.

The stages are timed by wrapping the pipeline's own functions in their modules, in this
process only (a measuring harness, like ``bulk_worker --skip-alerts``); nothing else changes.
Stages nest: ``derive_feed`` includes ``known_pairs``, ``read_observations``, ``alerts_of`` and
``view_delta``; ``bulk_load``, ``update`` and ``flush`` are the store's three calls in the
feed's one write.
"""

from __future__ import annotations

import argparse
import collections
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.datagen import Dataset, feeds

STAGES = {
    "alm_ld.pipeline": ("checked_feed", "_stored_result", "max_sequence", "feed_counts",
                        "map_feed_ntriples", "content_hash", "_after_ingest"),
    "alm_ld.analytics.feed_derived": ("derive_feed", "known_pairs", "read_observations",
                                      "alerts_of", "view_delta"),
    "alm_ld.analytics.hooks": ("feed_alert_data",),
}
_STORE_CALLS = ("bulk_load", "load", "update", "flush")


class _TimedCalls:
    """Stands in for the pyoxigraph store, timing the calls a feed's write makes."""

    def __init__(self, inner: Any, spent: collections.Counter[str]) -> None:
        self._inner, self._spent = inner, spent

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if name not in _STORE_CALLS:
            return found
        return _timed(found, name, self._spent)


def _timed(fn: Callable[..., Any], name: str,
           spent: collections.Counter[str]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
    return run


def instrument(spent: collections.Counter[str]) -> None:
    import importlib

    for module_name, names in STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(module, name, _timed(getattr(module, name), name, spent))


def run(works: int, dates: int, every: int, spec: str, feed_size: int) -> None:
    from alm_ld import pipeline
    from alm_ld.config import Settings
    from alm_ld.store import open_store

    spent: collections.Counter[str] = collections.Counter()
    instrument(spent)
    settings = Settings(store=spec)
    store = open_store(spec)
    if hasattr(store, "_ox"):  # the embedded Oxigraph store: time its three write calls
        store._ox = _TimedCalls(store._ox, spent)
    before: collections.Counter[str] = collections.Counter()
    stored = block_items = n = first = 0

    def row() -> None:
        nonlocal before, stored, block_items, first
        per = {k: 1000 * (v - before[k]) / block_items for k, v in spent.items()}
        before = collections.Counter(spent)
        stages = " ".join(f"{k} {v:.3f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1])
                          if k != "whole" and v >= 0.005)
        print(f"| {first + 1}–{n} | {stored:,} | {per['whole']:.3f} | {stages} |", flush=True)
        stored, block_items, first = stored + block_items, 0, n

    print("| feeds | items stored before | whole ms/item | stages ms/item (largest first) |")
    print("|---|---|---|---|")
    try:
        for doc in feeds(Dataset(works=works, dates=dates, feed_size=feed_size)):
            start = time.perf_counter()
            items = pipeline.ingest_feed(store, doc, settings=settings).items
            spent["whole"] += time.perf_counter() - start
            n, block_items = n + 1, block_items + items
            if n % every == 0:
                row()
        if block_items:
            row()
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest_stages",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=300_000)
    parser.add_argument("--dates", type=int, default=1)
    parser.add_argument("--every", type=int, default=10, help="feeds per printed row")
    parser.add_argument("--feed-size", type=int, default=10_000)
    parser.add_argument("--store", default=None,
                        help="store spec (default: a new on-disk oxigraph: store, removed after)")
    options = parser.parse_args(argv)
    if options.store:
        run(options.works, options.dates, options.every, options.store, options.feed_size)
        return 0
    with tempfile.TemporaryDirectory(prefix="alm-ld-stages-") as folder:
        run(options.works, options.dates, options.every, f"oxigraph:{Path(folder) / 'store'}",
            options.feed_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
