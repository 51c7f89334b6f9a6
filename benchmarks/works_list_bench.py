"""``GET /works`` computation in process (issue 16): the page of
``filter=has_metric:citations&sort=citations:desc&per_page=25``, the page after its cursor and
``group_by=source``, each computed every time (the kept first page is bypassed), then the
first page and the groups as kept in the view (``kept_*``: read back until the next feed), over an
existing on-disk store (build one with :mod:`benchmarks.bulk_worker`):

    python -m benchmarks.works_list_bench --store oxigraph:/tmp/s100k --repeat 7

Prints min and median (ms) per request as JSON. In process, so it times the store and the
ranking, not HTTP (the HTTP row is :func:`benchmarks.http_bench.works_list`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def _timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm: the view is caught up, caches are filled
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return {"min_ms": round(min(runs), 1), "median_ms": round(statistics.median(runs), 1),
            "n": repeat}


def run(store_spec: str, repeat: int) -> dict[str, Any]:
    from alm_ld.analytics import works_list as wl
    from alm_ld.store import open_store

    store = open_store(store_spec)
    compute = wl._list_works  # the page as computed, never the kept one
    try:
        first = wl.parse_works_query(filter="has_metric:citations", sort="citations:desc",
                                     per_page="25")
        cursor = compute(store, first, None)["meta"]["next_cursor"]
        second = wl.parse_works_query(filter="has_metric:citations", sort="citations:desc",
                                      per_page="25", cursor=cursor)
        grouped = wl.parse_works_query(filter="has_metric:citations", group_by="source")
        out = {}
        for name, fn in (("filter_sort_first_page", lambda: compute(store, first, None)),
                         ("filter_sort_cursor_page", lambda: compute(store, second, None)),
                         ("group_by_source", lambda: wl.group_works(store, grouped)),
                         # the same answers read back as kept in the view (until a feed)
                         ("kept_first_page", lambda: wl.list_works(store, first)),
                         ("kept_group_by_source", lambda: wl.list_works(store, grouped))):
            out[name] = _timed(fn, repeat)
            print(name, json.dumps(out[name]), file=sys.stderr, flush=True)  # partial runs
        return out
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.store, args.repeat)))


if __name__ == "__main__":
    main()
