"""Aggregates over every work's current values: per (source, metric) totals, the works with
the highest value of a metric, per-metric totals (issue 15).

Why from the works index: it already holds each (work, metric, source) current value and each
(work, metric) highest value, updated by folding each new feed in (work proportional to the
feed, not to the store), with the highest values in a B-tree ordered by value and in each
process's in-memory columns. So a ranking is the first rows of an index scan and a total is a
vector sum: no answer has to be computed over every work after an ingest, and none is
written back to the store on a read (the current-value view's kept answers used to be).
"""

from __future__ import annotations

from typing import Any

from alm_ld.analytics.works_index import OPEN, works_index
from alm_ld.store.base import Store


def source_totals(store: Store, timeout: float | None = None) -> list[dict[str, Any]]:
    """Per (source, metric): the sum of the works' current cumulative values from that source
    and how many works it gives one for, ordered by source then metric."""
    index, _ = works_index(store, timeout)
    with index.reading() as now:
        rows = index.columns(now).source_totals()
    return sorted(({"source": source, "metric": metric, "works": works, "total": total}
                   for metric, source, works, total in rows),
                  key=lambda t: (t["source"], t["metric"]))


def top_works(store: Store, metric: str, limit: int = 10,
              timeout: float | None = None) -> list[tuple[str, int]]:
    """The ``limit`` works with the highest current value of ``metric`` (the highest among
    sources), ties by work IRI: the first rows of the index's ordered scan."""
    index, _ = works_index(store, timeout)
    rows = index.rows(f"SELECT work, value FROM top WHERE metric = ? AND vto = {OPEN} "
                      "ORDER BY value DESC, work LIMIT ?", (metric, max(0, int(limit))))
    return [(work, int(value)) for work, value in rows]


def metric_totals(store: Store, timeout: float | None = None) -> dict[str, int]:
    """Per metric: the sum over works of each work's highest current cumulative value."""
    index, _ = works_index(store, timeout)
    with index.reading() as now:
        return index.columns(now).metric_totals()


__all__ = ["metric_totals", "source_totals", "top_works"]
