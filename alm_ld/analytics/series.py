"""Time series of one work's counts: current value per (metric, source) plus a per-period series.

Rules (documented in docs/analytics.md):

* A **series** is one (metric, source, aggregation). Sources are never merged: two sources
  reporting ``citations`` give two series, shown side by side (``comparison``).
* Of several revisions of the same count (same key, different value) the one in the feed with the
  highest ``alm:sequence`` is current (docs/MODEL.md); older revisions are not plotted.
* Bucketing by ``granularity`` uses each count's ``periodEnd``. A **cumulative** series takes the
  value with the latest ``periodEnd`` in the bucket (what the count stood at when the period
  closed); an **interval** series sums the counts ending in the bucket.
* ``increments=True`` adds ``increment`` to every point: for cumulative series the difference to
  the previous bucket (absent for the first bucket, which has nothing to subtract; negative when
  the count decreased); for interval series the bucket's sum itself.
* ``current`` ignores ``from``/``to``: it is what the source says now — the latest cumulative value,
  or for interval counts the sum of all intervals.
* ``fill="zero"`` makes every period of the range a point (the range is ``from``…``to``, each
  end defaulting to the series' first / last reported period). A period no stored count
  reports is *filled*: zero activity, i.e. value 0 for an interval series and the previous
  period's value for a cumulative one (0 before its first report), with no provenance. Every
  point then says which it is — ``reported`` or ``filled`` — so a reported zero is never
  confused with a period nobody reported.
* ``as_of`` (an aware datetime) answers as the service knew it then: only feeds *ingested* at
  or before that instant (``alm:ingestedAt``) count, and among them the usual rule picks the
  current revision — so a count revised by a later feed shows its earlier value, and counts
  first ingested later are absent. (``prov:generatedAtTime`` is the provider's clock, not
  what this service knew, so it is not used.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from alm_ld.analytics.observation_rows import Observation
from alm_ld.analytics.sparql import iri, select, short
from alm_ld.analytics.timeutil import GRANULARITIES, moment_of, period_label
from alm_ld.errors import UsageError
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, METRICS_NS, SOURCES_NS

T = TypeVar("T")


@dataclass(frozen=True)
class SeriesRequest:
    work: str
    metric: str | None = None
    source: str | None = None
    start: date | None = None
    end: date | None = None
    granularity: str = "day"
    increments: bool = False
    fill: str | None = None
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        if self.fill not in (None, "zero"):
            raise UsageError(f"fill={self.fill!r}: the only filling is fill=zero (every "
                             "period of the range, unreported ones marked as filled).")
        if self.granularity not in GRANULARITIES:
            raise UsageError(f"granularity={self.granularity!r} is not one of "
                             f"{', '.join(GRANULARITIES)}.")
        if self.start and self.end and self.start > self.end:
            raise UsageError(f"from={self.start} is after to={self.end}.")


@dataclass
class Point:
    period: str
    value: int
    counts: list[Observation]
    increment: int | None = None
    filled: bool = False


@dataclass
class Series:
    metric: str
    source: str
    aggregation: str
    current: Observation | None
    current_value: int
    points: list[Point]


def fetch_counts(store: Store, work: str, *, metric: str | None = None,
                 source: str | None = None, as_of: datetime | None = None,
                 timeout: float | None = None) -> list[Observation]:
    """Every observation about ``work`` (one per observation node, with all its feeds);
    with ``as_of``, only as stated by feeds ingested at or before it."""
    filters = ""
    if metric:
        filters += f" FILTER(?metric = {iri(metric)})"
    if source:
        filters += f" FILTER(?source = {iri(source)})"
    rows = select(store, f"""
SELECT ?obs ?metric ?source ?agg ?value ?start ?end ?feed ?seq ?ingested ?evidence WHERE {{
  GRAPH ?feed {{
    ?obs alm:work {iri(work)} ; alm:metric ?metric ; alm:source ?source ;
         alm:aggregation ?agg ; alm:value ?value ; alm:periodEnd ?end .
    OPTIONAL {{ ?obs alm:periodStart ?start }}
    OPTIONAL {{ ?obs prov:wasDerivedFrom ?evidence }}
  }}
  ?feed alm:sequence ?seq .
  OPTIONAL {{ ?feed alm:ingestedAt ?ingested }}{filters}
}}""", timeout=timeout)
    by_iri: dict[str, Observation] = {}
    for row in rows:
        if as_of is not None and not (row.get("ingested")
                                      and moment_of(str(row["ingested"])) <= as_of):
            continue
        count = by_iri.get(row["obs"])
        if count is None:
            count = by_iri[row["obs"]] = Observation(
                iri=row["obs"], work=work, metric=row["metric"], source=row["source"],
                aggregation=row["agg"], value=int(row["value"]), start=row.get("start"),
                end=row["end"], sequence=int(row["seq"]))
        count.sequence = max(count.sequence, int(row["seq"]))
        if row["feed"] not in count.feeds:
            count.feeds.append(row["feed"])
        if row.get("evidence") and row["evidence"] not in count.evidence:
            count.evidence.append(row["evidence"])
    return list(by_iri.values())


def newest_per_key(items: Iterable[T], key: Callable[[T], Any],
                   rank: Callable[[T], Any]) -> list[T]:
    """The one rule of "current" (docs/MODEL.md): per observation key, the revision whose feed
    has the highest ``alm:sequence``; ``rank`` is that sequence plus a stable tie-breaker."""
    best: dict[Any, T] = {}
    for item in items:
        seen = best.get(key(item))
        if seen is None or rank(item) > rank(seen):
            best[key(item)] = item
    return list(best.values())


def current_revisions(counts: Iterable[Observation]) -> list[Observation]:
    """Per key the revision from the latest feed (highest ``alm:sequence``)."""
    return newest_per_key(counts, key=lambda c: (c.metric, c.source, c.aggregation, c.start, c.end),
                          rank=lambda c: (c.sequence, c.iri))


def build_series(counts: Iterable[Observation], request: SeriesRequest) -> list[Series]:
    """Group current revisions into series and bucket them (see the module docstring)."""
    groups: dict[tuple[str, str, str], list[Observation]] = {}
    for count in current_revisions(counts):
        groups.setdefault((count.metric, count.source, count.aggregation), []).append(count)
    result = []
    for (metric, source, aggregation), members in sorted(groups.items()):
        members.sort(key=lambda c: (c.end, c.sequence))
        cumulative = aggregation == ALM_NS + "cumulative"
        current = members[-1] if members else None
        current_value = current.value if cumulative and current else sum(c.value for c in members)
        window = [c for c in members if _in_window(c, request)]
        points = _bucket(window, request.granularity, cumulative)
        if request.fill == "zero":
            points = _fill(points, request, cumulative, members)
        if request.increments:
            _add_increments(points, cumulative)
        result.append(Series(metric, source, aggregation, current if cumulative else None,
                             current_value, points))
    return result


def _in_window(count: Observation, request: SeriesRequest) -> bool:
    day = date.fromisoformat(count.end[:10])
    if request.start and day < request.start:
        return False
    return not (request.end and day > request.end)


def _bucket(counts: list[Observation], granularity: str, cumulative: bool) -> list[Point]:
    points: dict[str, Point] = {}
    for count in counts:  # sorted by periodEnd, then sequence
        label = period_label(count.end, granularity)
        point = points.get(label)
        if point is None:
            points[label] = Point(label, count.value, [count])
        elif cumulative:
            point.value = count.value
            point.counts.append(count)
        else:
            point.value += count.value
            point.counts.append(count)
    return [points[label] for label in sorted(points)]


def _next_period(label: str, granularity: str) -> str:
    if granularity == "day":
        return (date.fromisoformat(label) + timedelta(days=1)).isoformat()
    if granularity == "month":
        year, month = int(label[:4]), int(label[5:7])
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return f"{int(label) + 1:04d}"


MAX_FILLED = 40_000
"""Periods one filled series may have (a century of days): a wider range is a 400."""


def _fill(points: list[Point], request: SeriesRequest, cumulative: bool,
          members: list[Observation]) -> list[Point]:
    """Every period of the range, unreported ones filled (see the module docstring)."""
    granularity = request.granularity
    first = period_label(request.start.isoformat(), granularity) if request.start else (
        points[0].period if points else None)
    last = period_label(request.end.isoformat(), granularity) if request.end else (
        points[-1].period if points else None)
    if first is None or last is None or first > last:
        return points
    reported = {p.period: p for p in points}
    # a cumulative count reported before the range still stands at its last value
    before = [c for c in members
              if period_label(c.end, granularity) < first]
    carried = before[-1].value if cumulative and before else 0
    out: list[Point] = []
    label = first
    while label <= last:
        if len(out) >= MAX_FILLED:
            raise UsageError(f"fill=zero over {first}…{last} by {granularity} gives more than "
                             f"{MAX_FILLED} periods; narrow from/to or use a coarser "
                             "granularity.")
        point = reported.get(label)
        if point is None:
            point = Point(label, carried if cumulative else 0, [], filled=True)
        out.append(point)
        if cumulative:
            carried = point.value
        label = _next_period(label, granularity)
    return out


def _add_increments(points: list[Point], cumulative: bool) -> None:
    previous: int | None = None
    for point in points:
        if cumulative:
            point.increment = None if previous is None else point.value - previous
            previous = point.value
        else:
            point.increment = point.value


def comparison(series: list[Series]) -> list[dict[str, Any]]:
    """Per metric with more than one source: the sources' current values side by side."""
    by_metric: dict[str, list[Series]] = {}
    for one in series:
        by_metric.setdefault(one.metric, []).append(one)
    rows = []
    for metric, members in sorted(by_metric.items()):
        if len({m.source for m in members}) < 2:
            continue
        values = [m.current_value for m in members]
        low, high = min(values), max(values)
        rows.append({
            "metric": short(metric, METRICS_NS),
            "values": [{"source": short(m.source, SOURCES_NS),
                        "aggregation": short(m.aggregation, ALM_NS), "value": m.current_value}
                       for m in members],
            "ratio": round(high / low, 3) if low else None,
        })
    return rows


def work_series(store: Store, request: SeriesRequest) -> list[Series]:
    counts = fetch_counts(store, request.work, metric=request.metric, source=request.source,
                          as_of=request.as_of)
    return build_series(counts, request)
