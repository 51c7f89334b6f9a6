"""What keeping the stale-source alerts costs an ingest, against recomputing them whole.

    python -m benchmarks.stale_bench [--works 100000] [--repeat 5] [--dir PATH]

A service harvesting a daily provider every day: :mod:`benchmarks.datagen` with 2 dates, every
feed disclosing ``updateFrequency: P1D``, ingested through alm-ld's own path into an on-disk
store. Then, at the moment when every feed of the first date is past its cutoff (1.5 days after
its ingest) and those of the second are not — nothing is stale, since the second date updated
every pair — one table, min / median of ``--repeat`` runs:

* **whole recomputation** (:func:`alm_ld.analytics.staleness.refresh_stale_alerts`): what every
  ingest ran before, as soon as one feed of the provider was old enough: an aggregate over
  every stored count of the provider, linear in the store;
* **kept, per ingest** (:func:`~alm_ld.analytics.staleness.keep_stale_alerts` after a feed,
  the mark present, no feed crossing its cutoff): what an ingest runs now;
* **kept, catching up** every feed of the first date crossing its cutoff at once (what a day of
  time passing costs in all, spread over the ingests or cron calls of that day).

The ratio column is whole / kept per ingest (> 1: kept is cheaper); the catch-up is paid once
per feed crossing its cutoff, whatever the number of ingests. Writes ``--json`` when asked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.datagen import Dataset, feeds
from benchmarks.report import machine
from benchmarks.timing import summary


def daily(data: Dataset):  # noqa: ANN201 - a generator of feed dicts
    for doc in feeds(data):
        yield {**doc, "disclosure": {"updateFrequency": "P1D"}}


def build(spec: str, works: int) -> tuple[float, int]:
    """Ingest the 2-date dataset; (seconds, items)."""
    from alm_ld.config import Settings
    from alm_ld.pipeline import ingest_feed
    from alm_ld.store import open_store

    settings = Settings(store=spec)
    items = 0
    started = time.perf_counter()
    with open_store(spec) as store:
        for doc in daily(Dataset(works=works, dates=2)):
            items += ingest_feed(store, doc, settings=settings).items
    return time.perf_counter() - started, items


def measure(spec: str, repeat: int) -> dict[str, Any]:
    from alm_ld.analytics.alert_rules import STALE_FACTOR
    from alm_ld.analytics.sparql import select
    from alm_ld.analytics.staleness import keep_stale_alerts, refresh_stale_alerts
    from alm_ld.analytics.timeutil import moment_of
    from alm_ld.store import open_store

    with open_store(spec, load_vocabulary=False) as store:
        rows = select(store, "SELECT ?feed ?at WHERE { ?feed alm:ingestedAt ?at ; "
                             "alm:itemCount ?n }")
        stamped = sorted((moment_of(r["at"]), r["feed"]) for r in rows)
        # ids are …/<source>/<date>/<part> (datagen): the first date's count feeds come first
        first = [at for at, feed in stamped if feed.rsplit("/", 2)[-2] == "0"]
        later = [at for at, feed in stamped if feed.rsplit("/", 2)[-2] != "0"]
        span = timedelta(days=1) * STALE_FACTOR
        # every first-date feed past its cutoff, no second-date feed: nothing is stale
        now = max(first) + span + (min(later) - max(first)) / 2
        last_feed = stamped[-1][1]
        counts = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?g alm:sequence ?q . "
                               "GRAPH ?g { ?o alm:source ?s } }")
        whole: list[float] = []
        stale_found = 0
        for _ in range(repeat):
            start = time.perf_counter()
            stale_found = len(refresh_stale_alerts(store, now))
            whole.append(time.perf_counter() - start)
        kept: list[float] = []
        for k in range(repeat):
            start = time.perf_counter()
            keep_stale_alerts(store, last_feed, now + timedelta(milliseconds=k + 1))
            kept.append(time.perf_counter() - start)
        catch_up: list[float] = []
        for _ in range(repeat):
            refresh_stale_alerts(store, min(first) + timedelta(hours=1))  # nothing crossed yet
            start = time.perf_counter()
            keep_stale_alerts(store, None, now)
            catch_up.append(time.perf_counter() - start)
    return {"observations": counts[0]["n"], "feeds": len(stamped),
            "crossing_feeds": len(first), "stale_alerts": stale_found,
            "whole": summary(whole), "kept": summary(kept), "catch_up": summary(catch_up)}


def table(result: dict[str, Any]) -> str:
    whole = result["whole"]

    def row(name: str, key: str) -> str:
        m = result[key]
        # the catch-up happens once per crossing feed, not per ingest: no ratio to one ingest
        ratio = f"{whole['median'] / m['median']:,.0f}×" if key == "kept" else ""
        return (f"| {name} | {m['min'] * 1000:,.1f} ms | {m['median'] * 1000:,.1f} ms | "
                f"{m['n']} | {ratio} |")

    return "\n".join([
        "| stale-source upkeep | min | median | runs | whole / this (median) |",
        "|---|---|---|---|---|",
        row("whole recomputation (what every ingest ran before)", "whole"),
        row("kept, per ingest (no feed crossing its cutoff)", "kept"),
        row(f"kept, catching up: {result['crossing_feeds']} feeds crossing at once", "catch_up"),
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stale_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default=None,
                        help="work folder; its store/ is removed at the end (default: temp)")
    parser.add_argument("--json", default=None)
    options = parser.parse_args(argv)
    base = Path(options.dir or tempfile.mkdtemp(prefix="alm-ld-stale-"))
    spec = f"oxigraph:{base / 'store'}"
    try:
        print(f"stale_bench: {options.works:,} works × 2 dates, daily provider ({machine()})",
              flush=True)
        seconds, items = build(spec, options.works)
        print(f"ingested {items:,} items in {seconds:,.1f} s", flush=True)
        result = measure(spec, options.repeat)
    finally:  # only what this run made: a --dir given may hold other things
        shutil.rmtree(base / "store" if options.dir else base, ignore_errors=True)
    result.update(works=options.works, items=items, ingest_s=round(seconds, 1))
    print(f"{result['observations']:,} stored counts in {result['feeds']} feeds; "
          f"stale alerts at the measured moment: {result['stale_alerts']}")
    print(table(result), flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
