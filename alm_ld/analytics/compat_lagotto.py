"""The retired Lagotto (PLOS ALM) works API, answered from alm-ld's counts.

``GET /api/works?ids=…`` (and ``POST``) answers in the body shape Lagotto's API gave with
``info=detail`` (the recordings in tests/fixtures/lagotto): ``{"total", "total_pages", "page",
"error", "data": [work, …]}``, each work with ``sources`` and, per source, ``metrics``,
``by_day``, ``by_month`` and ``by_year``. docs/compat.md lists every field.

Nothing is computed twice:

* which works exist and their title, issue date and per-metric values come from
  :func:`alm_ld.analytics.works_list.batch_works` (the ``POST /works/batch`` answer);
* the per-source numbers come from :func:`alm_ld.analytics.series.fetch_counts` and
  :func:`~alm_ld.analytics.series.build_series` (the ``/works/{id}/metrics`` series), with
  ``increments`` for the per-period totals.

Names: one Lagotto source per (metric, alm-ld source). Its ``name`` follows the vocabulary's
Lagotto crosswalk (``skos:*Match`` to ``https://w3id.org/alm-ld/mappings/lagotto-source/…`` on
the metric concept or one of its narrower concepts): the crosswalk name that spells the alm-ld
source (``crossref``, ``europe_pmc``, ``wikipedia``), else the only Lagotto source of the metric,
else the alm-ld source id (``openalex``, which Lagotto never had). ``group_name`` is the metric's
PLOS category (viewed, saved, discussed, cited, recommended). Lagotto summed sources into the
work's ``viewed``/``saved``/``discussed``/``cited``; alm-ld never adds sources (they overlap), so
these are the highest source total in the group, as ``/works`` takes the highest source value.
A source total is the series' current value: the latest cumulative count, or (interval counts
only) their sum.
"""

from __future__ import annotations

from functools import cache
from math import ceil
from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS

from alm_ld.analytics.series import Series, SeriesRequest, build_series, fetch_counts
from alm_ld.analytics.sparql import short
from alm_ld.analytics.timeutil import period_label
from alm_ld.analytics.works_list import (
    MAX_BATCH,
    WorksQuery,
    batch_works,
    list_works,
    parse_works_query,
)
from alm_ld.errors import UsageError
from alm_ld.store.base import Store
from alm_ld.vocab import (
    ALM_NS,
    CATEGORIES,
    METRICS_NS,
    SOURCES_NS,
    category_of,
    vocab_graph,
)

LAGOTTO_SOURCE_NS = "https://w3id.org/alm-ld/mappings/lagotto-source/"
_MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch, SKOS.broadMatch,
            SKOS.narrowMatch)
METRIC_FIELDS = ("pdf", "html", "readers", "comments", "likes", "total")
# Lagotto's named per-source metrics, filled when the alm-ld metric is that kind of number.
_FIELD_OF_METRIC = {"pdf-downloads": "pdf", "html-views": "html", "readers": "readers",
                    "mendeley-readers": "readers", "comments": "comments", "likes": "likes"}


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


@cache
def lagotto_names(metric: str) -> tuple[str, ...]:
    """Lagotto source names the vocabulary relates to ``metric`` (an IRI) or its narrower
    concepts, the metric's own first."""
    graph = vocab_graph()
    own: list[str] = []
    narrower: list[str] = []
    concepts = [(URIRef(metric), own)] + [
        (c, narrower) for c in graph.subjects(SKOS.broader, URIRef(metric))]
    for concept, bucket in concepts:
        for predicate in _MATCHES:
            for target in graph.objects(concept, predicate):
                text = str(target)
                if text.startswith(LAGOTTO_SOURCE_NS):
                    bucket.append(text[len(LAGOTTO_SOURCE_NS):])
    return tuple(dict.fromkeys(sorted(own) + sorted(narrower)))


def lagotto_source_name(metric: str, source: str) -> str:
    """The Lagotto ``name`` of the (metric IRI, alm-ld source IRI) pair (module docstring)."""
    source_id = short(source, SOURCES_NS) or source
    names = lagotto_names(metric)
    for name in names:
        if _fold(name) == _fold(source_id):
            return name
    mine = _own_names(metric)
    if len(mine) == 1:
        return mine[0]
    return source_id


@cache
def _own_names(metric: str) -> tuple[str, ...]:
    graph = vocab_graph()
    return tuple(sorted({str(t)[len(LAGOTTO_SOURCE_NS):] for p in _MATCHES
                         for t in graph.objects(URIRef(metric), p)
                         if str(t).startswith(LAGOTTO_SOURCE_NS)}))


def parse_ids(raw: object) -> list[str]:
    """``ids`` as Lagotto took it: comma-separated text (GET, form POST) or a JSON list."""
    if isinstance(raw, str):
        ids = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list):
        ids = raw
    else:
        ids = []
    if not 1 <= len(ids) <= MAX_BATCH:
        raise UsageError(f"ids must name 1 to {MAX_BATCH} works (comma-separated DOIs, PMIDs, "
                         f"PMCIDs or URLs), not {len(ids)}.")
    return ids


def _period(label: str) -> dict[str, int]:
    parts = [int(p) for p in label.split("-")]
    return dict(zip(("year", "month", "day"), parts, strict=False))


def _totals(series: Series | None, granularity: str) -> list[dict[str, int]]:
    """Per-period totals: an interval series' sums, a cumulative series' growth in the period
    (its first period: the value reached by then). An interval count longer than the period
    (a yearly count in ``by_day``) is left out of that granularity rather than shown as if it
    all happened on its last day."""
    if series is None:
        return []
    cumulative = series.aggregation == ALM_NS + "cumulative"
    out = []
    for point in series.points:
        if not cumulative and any(
                period_label(c.start or c.end, granularity) != point.period
                for c in point.counts):
            continue
        value = point.value if not cumulative or point.increment is None else point.increment
        out.append({**_period(point.period), "total": value})
    return out


def _issued(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    return {"date-parts": [[int(p) for p in text[:10].split("-")]]}


def _work_sources(store: Store, work: str) -> list[dict[str, Any]]:
    counts = fetch_counts(store, work)
    by_granularity = {g: build_series(counts, SeriesRequest(work=work, granularity=g,
                                                            increments=True))
                      for g in ("day", "month", "year")}
    keyed: dict[tuple[str, str], dict[str, Series]] = {}
    for granularity, series_list in by_granularity.items():
        for one in series_list:
            slot = keyed.setdefault((one.metric, one.source), {})
            # interval series give the per-period numbers; cumulative ones the current total
            kind = "interval" if one.aggregation == ALM_NS + "interval" else "cumulative"
            slot[f"{kind}:{granularity}"] = one
    sources = []
    for (metric, source), slot in sorted(keyed.items()):
        current = slot.get("cumulative:day") or slot.get("interval:day")
        assert current is not None
        total = current.current_value
        per = {g: slot.get(f"interval:{g}") or slot.get(f"cumulative:{g}")
               for g in ("day", "month", "year")}
        metric_id = short(metric, METRICS_NS) or metric
        metrics: dict[str, int | None] = dict.fromkeys(METRIC_FIELDS)
        metrics["total"] = total
        if (field := _FIELD_OF_METRIC.get(metric_id)) is not None:
            metrics[field] = total
        latest = current.current.end if current.current else (
            current.points[-1].period if current.points else None)
        source_id = short(source, SOURCES_NS) or source
        sources.append({
            "name": lagotto_source_name(metric, source),
            "display_name": source_id,
            "group_name": category_of(metric) or "other",
            "events_url": (current.current.evidence[0]
                           if current.current and current.current.evidence else None),
            "by_day": _totals(per["day"], "day"), "by_month": _totals(per["month"], "month"),
            "by_year": _totals(per["year"], "year"),
            "update_date": latest,
            "metrics": metrics,
            "events": [], "events_csl": [],
            "metric": metric_id, "source": source_id,
        })
    return sources


def _lagotto_id(work: str) -> str:
    if work.startswith("https://doi.org/"):
        return "doi/" + work[len("https://doi.org/"):]
    return work


def lagotto_works(store: Store, ids: list[Any], *, timeout: float | None = None
                  ) -> dict[str, Any]:
    """The Lagotto answer for ``ids``: known works in request order (each once); unknown and
    invalid ids are left out of ``data`` (as Lagotto did) and listed in ``missing``."""
    answer = batch_works(store, ids, timeout=timeout)
    data = []
    seen: set[str] = set()
    missing = []
    for result in answer["results"]:
        if "error" in result:
            missing.append({"id": result["input"], "status": result["error"]["status"],
                            "detail": result["error"]["detail"]})
            continue
        work = result["id"]
        if work in seen:
            continue
        seen.add(work)
        sources = _work_sources(store, work)
        groups: dict[str, int] = dict.fromkeys(CATEGORIES[:4], 0)
        for source in sources:
            if source["group_name"] in groups:
                groups[source["group_name"]] = max(groups[source["group_name"]],
                                                   source["metrics"]["total"])
        entry: dict[str, Any] = {
            "id": _lagotto_id(work), "title": result.get("title"),
            "issued": _issued(result.get("issued")),
            "doi": work[len("https://doi.org/"):] if work.startswith("https://doi.org/")
            else None,
            "canonical_url": work,
            **groups,
            "update_date": max((s["update_date"] for s in sources if s["update_date"]),
                               default=None),
            "sources": sources,
        }
        data.append(entry)
    return {"total": len(data), "total_pages": 1 if data else 0, "page": 1, "error": None,
            "data": data, "missing": missing}


MAX_PER_PAGE = 50  # Lagotto's own page size
MAX_LISTED = 10000


def lagotto_page(store: Store, page: int = 1, per_page: int = MAX_PER_PAGE, *,
                 timeout: float | None = None) -> dict[str, Any]:
    """Without ``ids`` Lagotto listed every work, ``page`` by ``page``: here the works in
    ``/works`` order (:func:`~alm_ld.analytics.works_list.list_works`, walking its cursor to
    the page), each answered as :func:`lagotto_works` does. Pages reach the first
    :data:`MAX_LISTED` works; beyond, ``/works`` with its cursor is the way."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise UsageError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}.")
    if page < 1 or page * per_page > MAX_LISTED:
        raise UsageError(f"page={page} is out of range: pages reach the first {MAX_LISTED} "
                         "works; use /works with its cursor for more.")
    answer = list_works(store, WorksQuery(per_page=per_page), timeout=timeout)
    for _ in range(page - 1):
        following = answer["meta"]["next_cursor"]
        if following is None:
            answer = {**answer, "results": []}
            break
        answer = list_works(store, parse_works_query(per_page=str(per_page), cursor=following),
                            timeout=timeout)
    ids = [result["id"] for result in answer["results"]]
    body = lagotto_works(store, ids, timeout=timeout) if ids else {"data": [], "missing": []}
    total = answer["meta"]["count"]
    return {"total": total, "total_pages": ceil(total / per_page), "page": page,
            "error": None, "data": body["data"], "missing": body["missing"]}
