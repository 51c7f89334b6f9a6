"""Where an ingest's time goes, stage by stage, while one store grows.

    python -m benchmarks.ingest_stages --works 300000 [--dates 1] [--every 10] [--store SPEC]
                                       [--history | --compare] [--shared]

Ingests :mod:`benchmarks.datagen` feed by feed through :func:`alm_ld.pipeline.ingest_feed`
(validation, derived data, one load per feed, post-ingest hook: the real path) into one store,
and prints, for every ``--every`` feeds, the wall time per item of the whole ingest and of each
stage below, with the number of items stored before the block. This is how docs/performance.md
found that the 1M run's slowdown was the feed mix (held pairs reading their history), not
mostly the store's size.

The stages are timed by wrapping the pipeline's own functions in their modules, in this
process only (a measuring harness, like ``bulk_worker --skip-alerts``); nothing else changes.
Stages nest: ``derive_feed`` includes ``held_pairs`` (the pair lookups, with their states),
``observations_if_enough`` (decoding the states), ``stored_nodes``, ``read_observations`` (a
pair's whole history), ``alerts_of`` and ``view_delta``; ``bulk_load``, ``update`` and
``flush`` are the store's three calls in the feed's one write.

``--history`` derives every held pair from its whole history, as ingest did before
``alm:pairState``; ``--compare`` runs both into two new stores, one after the other, and ends
with a table of the whole ms per item of each and their ratio, block by block.

``--shared`` ingests over ``sparql:`` into a new ``oxigraph serve`` (started and stopped here),
as several writers of one store do: each feed is published with its view lines and alerts.
There ``--history`` publishes each feed alone and folds the view and computes the alerts from
the stored histories after it, as a shared store did before (and still does when its view is
behind).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.datagen import Dataset, feeds

STAGES = {
    "alm_ld.pipeline": ("checked_feed", "stored_result", "max_sequence", "feed_counts",
                        "map_feed_ntriples", "content_hash", "after_ingest"),
    "alm_ld.analytics.feed_derived": ("derive_feed", "held_pairs", "observations_if_enough",
                                      "stored_nodes", "read_observations", "alerts_of",
                                      "view_delta"),
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


_ORIGINAL: dict[tuple[str, str], Any] = {}


def instrument(spent: collections.Counter[str], *, history: bool = False) -> None:
    """Time the stages into ``spent`` (each call replaces the previous run's timers);
    ``history``: no pair is derived from its state."""
    import importlib

    for module_name, names in STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            real = _ORIGINAL.setdefault((module_name, name), getattr(module, name))
            if history and name == "observations_if_enough":
                real = _never_enough
            setattr(module, name, _timed(real, name, spent))


def _never_enough(*_: Any) -> None:
    return None


Block = tuple[str, int, float]
"""(feeds, items stored before, whole ms per item) of one printed row."""


def run(works: int, dates: int, every: int, spec: str, feed_size: int,
        history: bool = False) -> list[Block]:
    from alm_ld import pipeline
    from alm_ld.config import Settings
    from alm_ld.store import open_store

    spent: collections.Counter[str] = collections.Counter()
    instrument(spent, history=history)
    # A shared store's "before": the feed published alone, its derived data computed after.
    pipeline.DERIVED_AT_INGEST = not (history and spec.startswith("sparql:"))
    blocks: list[Block] = []
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
        blocks.append((f"{first + 1}–{n}", stored, per["whole"]))
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
    return blocks


@contextlib.contextmanager
def _store(folder: Path, shared: bool) -> Iterator[str]:
    """A new store's spec: an embedded one in ``folder``, or a ``sparql:`` one in front of an
    ``oxigraph serve`` on ``folder`` (the binary pinned beside this Python)."""
    if not shared:
        yield f"oxigraph:{folder / 'store'}"
        return
    from benchmarks.http_bench import oxigraph_server, running

    binary = str(Path(sys.executable).parent / "oxigraph")
    args, port, probe = oxigraph_server(binary, folder / "server")
    with running(args, port, probe):
        base = f"http://127.0.0.1:{port}"
        yield f"sparql:{base}/query;{base}/update"


def compare(state: list[Block], history: list[Block]) -> None:
    print("\n| feeds | items stored before | whole history ms/item | state ms/item | "
          "history ÷ state |")
    print("|---|---|---|---|---|")
    for (feeds_, stored, by_state), (_, _, by_history) in zip(state, history, strict=True):
        print(f"| {feeds_} | {stored:,} | {by_history:.3f} | {by_state:.3f} | "
              f"{by_history / by_state:.2f}× |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest_stages",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=300_000)
    parser.add_argument("--dates", type=int, default=1)
    parser.add_argument("--every", type=int, default=10, help="feeds per printed row")
    parser.add_argument("--feed-size", type=int, default=10_000)
    parser.add_argument("--store", default=None,
                        help="store spec (default: a new on-disk oxigraph: store, removed after)")
    parser.add_argument("--history", action="store_true",
                        help="derive held pairs from their whole history (before pairState)")
    parser.add_argument("--compare", action="store_true",
                        help="run with states, then with whole histories, and compare")
    parser.add_argument("--shared", action="store_true",
                        help="ingest over sparql: into a new oxigraph serve (started here)")
    options = parser.parse_args(argv)
    if options.store:
        run(options.works, options.dates, options.every, options.store, options.feed_size,
            options.history)
        return 0
    passes = [False, True] if options.compare else [options.history]
    results = []
    for history in passes:
        if options.compare:
            print(f"\n{'whole history' if history else 'pair states'}:")
        with tempfile.TemporaryDirectory(prefix="alm-ld-stages-") as folder, \
                _store(Path(folder), options.shared) as spec:
            results.append(run(options.works, options.dates, options.every, spec,
                               options.feed_size, history))
    if options.compare:
        compare(*results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
