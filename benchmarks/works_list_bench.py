"""``GET /works`` in process (issue 16), over an existing on-disk store (build one with
:mod:`benchmarks.bulk_worker`; its works get a generated description here first, once, so the
metadata filters, ``sort=issued`` and the metadata ``group_by`` have something to select):

    python -m benchmarks.works_list_bench --store oxigraph:/tmp/s100k --repeat 7

Times, min and median (ms) of ``--repeat`` runs, every answer computed (nothing kept between
runs: the works index's kept counts and groups are dropped before each run), and ``digest``,
a hash of the answer (two implementations answering alike have the same digests):

* ``filter_sort_first_page``: ``filter=has_metric:citations&sort=citations:desc&per_page=25``;
* ``filter_sort_cursor_page``: the page after its cursor;
* ``ror_sort_first_page``: ``filter=ror:<one of 50 institutions>&sort=citations:desc``;
* ``issued_first_page``: ``sort=issued:desc`` (every work);
* ``group_by_source`` and ``has_metric_group_by_ror`` (``has_metric:citations``: every work
  selected, answered from the kept group totals minus the works the filter leaves out),
  ``type_group_by_issn`` (``type:journal-article``, 90% of the works: the same, 10% left
  out), ``half_group_by_ror`` (``issued_year:2000-2011``, 48% of the works: the worst case,
  a GROUP BY over the selected works), ``group_by_source_unfiltered`` and
  ``group_by_issued_year`` (every work: the kept group totals) and
  ``ror_group_by_issued_year`` (one institution's works by year, as the set pages ask);
* with the works index (``--module`` default): ``index_rebuild_s`` (the index built whole from
  the store, once; ``--keep-index``: the one found is caught up instead),
  ``index_catch_up_ms`` (one new 1,000-count feed folded in), ``columns_catch_up_ms`` (the
  in-memory columns re-reading the works it touched), ``columns_read_whole_ms`` (the columns
  of a process just started) and ``index_mb`` (its size on disk).

``--module PATH.py`` times another implementation of ``alm_ld.analytics.works_list`` (a copy
of an older commit's file: the before numbers of docs/performance.md). Prints JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

from benchmarks.datagen import CONTEXT, work

INSTITUTIONS, JOURNALS = 50, 200


def _timed(fn: Callable[[], Any], repeat: int, fresh: Callable[[], None]) -> dict[str, Any]:
    answer = fn()  # warm: the index or view is caught up, caches are filled
    digest = hashlib.sha1(json.dumps(answer, sort_keys=True).encode()).hexdigest()[:12]
    runs = []
    for _ in range(repeat):
        fresh()
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return {"min_ms": round(min(runs), 1), "median_ms": round(statistics.median(runs), 1),
            "n": repeat, "digest": digest}


def _ror(n: int) -> str:
    from alm_ld.identifiers import ror_checksum

    stem = f"0{n:02d}aaaa"
    return f"https://ror.org/{stem}{ror_checksum(stem)}"


def _issn(n: int) -> str:
    digits = f"{1000 + n:07d}"
    check = (11 - sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True)) % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def _description(i: int) -> dict[str, Any]:
    """A deterministic description of bench work ``i``."""
    return {"type": "Work", "work": work(i), "title": f"Bench work {i}",
            "issued": f"{2000 + i % 25}-{1 + i % 12:02d}", "publisher": f"Publisher {i % 20}",
            "workType": "journal-article" if i % 10 else "posted-content",
            "container": {"title": f"Journal {i % JOURNALS}",
                          "issn": [_issn(i % JOURNALS)]},
            "authors": [{"name": f"Author {i}", "affiliations": [
                {"ror": _ror(i % INSTITUTIONS),
                 "name": f"Institution {i % INSTITUTIONS}"}]}]}


def describe(store: Any, works: int, skip_alerts: bool = False) -> float:
    """Ingest a description of every bench work unless there is one; seconds taken.
    ``skip_alerts``: as :mod:`benchmarks.bulk_worker`'s, in this process only (a store bulk
    loaded without alerts would otherwise have them all recomputed by the first ingest)."""
    from alm_ld import pipeline
    from alm_ld.config import Settings
    from alm_ld.pipeline import ingest_feed

    if skip_alerts:
        pipeline.after_ingest = lambda *args: None  # type: ignore[assignment]

    if store.query("PREFIX dcterms: <http://purl.org/dc/terms/> "
                   "ASK { GRAPH ?g { ?w dcterms:issued ?i } }").boolean:
        return 0.0
    start = time.perf_counter()
    settings = Settings(store=store.spec)
    for first in range(0, works, 10_000):
        items = [_description(i) for i in range(first, min(works, first + 10_000))]
        ingest_feed(store, {"@context": CONTEXT, "type": "Feed",
                            "id": f"urn:uuid:00000000-0000-4000-8000-{first:012d}",
                            "provider": {"id": "https://ror.org/02twcfp32", "name": "crossref"},
                            "generated": "2026-07-01T12:00:00Z", "items": items},
                    settings=settings)
    return time.perf_counter() - start


def _load(path: str | None) -> ModuleType:
    if not path:
        from alm_ld.analytics import works_list
        return works_list
    spec = importlib.util.spec_from_file_location("works_list_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _works(store: Any) -> int:
    rows = store.query("PREFIX alm: <https://w3id.org/alm-ld/vocab#> SELECT (COUNT(DISTINCT ?w) "
                       "AS ?n) WHERE { GRAPH ?g { ?w a alm:Work } }").rows
    return int(rows[0]["n"])


def run(store_spec: str, repeat: int, module: str | None = None,
        skip_alerts: bool = False, rebuild: bool = True) -> dict[str, Any]:
    from alm_ld.store import open_store

    wl = _load(module)
    store = open_store(store_spec)
    out: dict[str, Any] = {}

    def report(name: str, value: Any) -> None:
        out[name] = value
        print(name, json.dumps(value), file=sys.stderr, flush=True)  # partial runs

    try:
        works = _works(store)
        report("works", works)
        report("describe_s", round(describe(store, works, skip_alerts), 1))
        indexed = hasattr(wl, "works_index")
        fresh: Callable[[], None] = lambda: None  # noqa: E731
        if indexed:
            from alm_ld.analytics import works_index as wi

            path = wi.index_path(store)
            if rebuild and path and os.path.exists(path):
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
            start = time.perf_counter()
            index, _ = wi.works_index(store)
            report("index_rebuild_s" if rebuild else "index_open_s",
                   round(time.perf_counter() - start, 1))

            def fresh() -> None:
                index.answers.clear()
        list_fn = wl.list_works if indexed else wl._list_works
        group_fn = wl.list_works if indexed else wl.group_works
        first = wl.parse_works_query(filter="has_metric:citations", sort="citations:desc",
                                     per_page="25")
        cursor = list_fn(store, first, timeout=None)["meta"]["next_cursor"]
        second = wl.parse_works_query(filter="has_metric:citations", sort="citations:desc",
                                      per_page="25", cursor=cursor)
        ror = wl.parse_works_query(filter=f"ror:{_ror(7)}",
                                   sort="citations:desc", per_page="25")
        issued = wl.parse_works_query(sort="issued:desc", per_page="25")
        by_source = wl.parse_works_query(filter="has_metric:citations", group_by="source")
        every_source = wl.parse_works_query(group_by="source")
        by_year = wl.parse_works_query(group_by="issued_year")
        ror_by_year = wl.parse_works_query(filter=f"ror:{_ror(7)}", group_by="issued_year")
        cited_by_ror = wl.parse_works_query(filter="has_metric:citations", group_by="ror")
        articles_by_issn = wl.parse_works_query(filter="type:journal-article", group_by="issn")
        half_by_ror = wl.parse_works_query(filter="issued_year:2000-2011", group_by="ror")
        for name, fn in (
                ("filter_sort_first_page", lambda: list_fn(store, first, timeout=None)),
                ("filter_sort_cursor_page", lambda: list_fn(store, second, timeout=None)),
                ("ror_sort_first_page", lambda: list_fn(store, ror, timeout=None)),
                ("issued_first_page", lambda: list_fn(store, issued, timeout=None)),
                ("group_by_source", lambda: group_fn(store, by_source, timeout=None)),
                ("has_metric_group_by_ror",
                 lambda: group_fn(store, cited_by_ror, timeout=None)),
                ("type_group_by_issn",
                 lambda: group_fn(store, articles_by_issn, timeout=None)),
                ("half_group_by_ror", lambda: group_fn(store, half_by_ror, timeout=None)),
                ("group_by_source_unfiltered",
                 lambda: group_fn(store, every_source, timeout=None)),
                ("group_by_issued_year", lambda: group_fn(store, by_year, timeout=None)),
                ("ror_group_by_issued_year",
                 lambda: group_fn(store, ror_by_year, timeout=None))):
            try:
                report(name, _timed(fn, repeat, fresh))
            except Exception as error:  # noqa: BLE001 - a failed request is a result too
                report(name, {"error": f"{type(error).__name__}: {error}"[:200]})
        if indexed:
            from alm_ld.config import Settings
            from alm_ld.pipeline import ingest_feed

            feed_id = uuid.uuid4()  # new values each run: every work the feed names changes
            ingest_feed(store, {"@context": CONTEXT, "type": "Feed",
                                "id": f"urn:uuid:{feed_id}",
                                "provider": {"id": "https://ror.org/02twcfp32",
                                             "name": "crossref"},
                                "generated": "2026-07-02T12:00:00Z",
                                "items": [{"type": "Count", "work": work(i), "metric": "citations",
                                           "value": 1000 + i + feed_id.int % 1000,
                                           "aggregation": "cumulative",
                                           "periodEnd": "2026-07-01", "source": "crossref"}
                                          for i in range(1000)]},
                        settings=Settings(store=store.spec))
            start = time.perf_counter()
            index, _ = wi.works_index(store)
            report("index_catch_up_ms", round((time.perf_counter() - start) * 1000, 1))
            if hasattr(index, "columns"):  # the in-memory columns (group_by), when there
                start = time.perf_counter()
                with index.reading() as now:
                    index.columns(now)  # the 1,000 works the feed touched, re-read
                report("columns_catch_up_ms", round((time.perf_counter() - start) * 1000, 1))
                from alm_ld.analytics.works_columns import WorkColumns

                index._columns = WorkColumns()  # as in a process just started
                start = time.perf_counter()
                with index.reading() as now:
                    index.columns(now)
                report("columns_read_whole_ms", round((time.perf_counter() - start) * 1000, 1))
            if path:
                size = sum(os.path.getsize(path + s) for s in ("", "-wal")
                           if os.path.exists(path + s))
                report("index_mb", round(size / 1e6, 1))
        return out
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--module", help="a works_list.py to time instead of the package's")
    parser.add_argument("--skip-alerts", action="store_true",
                        help="ingest without the post-ingest hook (a store bulk loaded so)")
    parser.add_argument("--keep-index", action="store_true",
                        help="time the answers over the index as found (no rebuild)")
    args = parser.parse_args()
    print(json.dumps(run(args.store, args.repeat, args.module, args.skip_alerts,
                         not args.keep_index)))


if __name__ == "__main__":
    main()
