"""Deterministic benchmark data: works × (metric, source) × dates as Counts, plus Events.

The same ``(works, dates, seed)`` always gives byte-identical feeds, so two runs (or two
machines) measure the same thing. Shape, per work and date: one cumulative Count for each
:data:`SERIES` pair (4 observations); per work one Event on average: half are ``cites`` from
another work of the set (4 per citing work; popularity skewed, so a few works are co-cited a
lot, as in real citation graphs), half ``mentions`` from one of ``works / 10`` Wikipedia pages.

Feeds hold at most ``feed_size`` items; Counts of one (date, source) go to the source's
provider, Events to their own provider. :func:`feeds` is a generator, so 100k works never sit in
memory as one list of dicts.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
SERIES = (("views", "plos"), ("downloads", "plos"), ("citations", "crossref"),
          ("citations", "europepmc"))
PROVIDERS = {"plos": "https://ror.org/008zgvp64", "crossref": "https://ror.org/02twcfp32",
             "europepmc": "https://ror.org/02catss52", "events": "https://ror.org/04wxnsj81"}
GENERATED = "2026-06-30T12:00:00Z"


def work(i: int) -> str:
    return f"https://doi.org/10.5555/bench.{i}"


def period_end(date: int, dates: int = 6) -> str:
    """Date number ``d`` (0-based) of a dataset of ``dates`` harvests: up to 6, the end of
    month ``d + 1`` of 2026 (the datasets every earlier run measured); more (a daily harvest's
    growing history, benchmarks.ingest_stages), day ``d`` from 2026-01-01, at most 180 (the
    feeds say they were generated on 2026-06-30)."""
    if dates <= 6:
        return f"2026-{date + 1:02d}-28"
    if dates > 180:
        raise ValueError("at most 180 dates: the feeds were generated on 2026-06-30")
    return (datetime.date(2026, 1, 1) + datetime.timedelta(days=date)).isoformat()


@dataclass(frozen=True)
class Dataset:
    """The parameters that define one generated dataset."""

    works: int
    dates: int = 1
    seed: int = 20260630
    feed_size: int = 10_000

    @property
    def observations(self) -> int:
        return self.works * self.dates * len(SERIES)

    @property
    def events(self) -> int:
        return self.works

    @property
    def items(self) -> int:
        return self.observations + self.events


def _feed(feed_id: str, provider: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "Feed", "id": feed_id,
            "provider": {"id": PROVIDERS[provider], "name": provider},
            "generated": GENERATED, "items": items}


def _value(rng: random.Random, metric: str, date: int) -> int:
    base = {"views": 5000, "downloads": 800, "citations": 40}[metric]
    return int(base * rng.random() ** 2) + date * 3


def count_items(data: Dataset, date: int, source: str) -> Iterator[dict[str, Any]]:
    """The Counts one source reports for ``date``, work by work (deterministic per source)."""
    rng = random.Random(f"{data.seed}:{source}:{date}")
    metrics = [m for m, s in SERIES if s == source]
    for i in range(data.works):
        for metric in metrics:
            yield {"type": "Count", "work": work(i), "metric": metric,
                   "value": _value(rng, metric, date), "aggregation": "cumulative",
                   "periodEnd": period_end(date, data.dates), "source": source,
                   "retrieved": f"{period_end(date, data.dates)}T06:00:00Z"}


def event_items(data: Dataset) -> Iterator[dict[str, Any]]:
    """``works`` Events: even ones ``cites`` between works, odd ones Wikipedia ``mentions``."""
    rng = random.Random(f"{data.seed}:events")
    n = data.works
    pages = max(1, n // 10)
    for k in range(n):
        target = int(n * rng.random() ** 3)  # skewed: low numbers are popular
        if k % 2 == 0:  # each citing work cites 4 works, so co-citation exists
            subject, relation = work(((k // 8) * 7919 + 13) % n), "cites"
            if subject == work(target):
                target = (target + 1) % n
        else:
            subject, relation = f"https://en.wikipedia.org/wiki/Bench_{rng.randrange(pages)}", \
                "mentions"
        yield {"type": "Event", "id": f"https://example.org/bench-events/{k}",
               "subject": subject, "relation": relation, "object": work(target),
               "occurred": f"2026-0{1 + k % 6}-15T10:00:00Z", "source": "wikipedia"
               if relation == "mentions" else "crossref",
               "license": "https://creativecommons.org/publicdomain/zero/1.0/"}


def _chunked(prefix: str, provider: str, items: Iterator[dict[str, Any]],
             size: int) -> Iterator[dict[str, Any]]:
    batch: list[dict[str, Any]] = []
    part = 0
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield _feed(f"{prefix}/{part}", provider, batch)
            batch, part = [], part + 1
    if batch:
        yield _feed(f"{prefix}/{part}", provider, batch)


def feeds(data: Dataset) -> Iterator[dict[str, Any]]:
    """Every feed of the dataset, in ingest order (dates first, then sources, then events)."""
    base = f"https://example.org/bench/{data.works}w{data.dates}d{data.seed}"
    for date in range(data.dates):
        for source in dict.fromkeys(s for _, s in SERIES):
            yield from _chunked(f"{base}/{source}/{date}", source,
                                count_items(data, date, source), data.feed_size)
    yield from _chunked(f"{base}/events", "events", event_items(data), data.feed_size)


def single_feed(items: int, seed: int = 20260630, tag: str = "single") -> dict[str, Any]:
    """One feed of ``items`` items (4 Counts per work, then an Event per work): the unit for
    the ingest and validation comparisons."""
    n_works = max(1, items // 5)
    data = Dataset(works=n_works, seed=seed)
    chosen: list[dict[str, Any]] = []
    counts = [count_items(data, 0, s) for s in dict.fromkeys(s for _, s in SERIES)]
    for source_items in counts:
        chosen.extend(source_items)
    chosen = chosen[: items - min(items // 5, n_works)]
    chosen.extend(list(event_items(data))[: items - len(chosen)])
    return _feed(f"https://example.org/bench/{tag}/{items}/{seed}", "crossref", chosen)
