"""Time series as documents: a W3C Data Cube shaped JSON-LD dataset, and CSV.

The dataset is one ``qb:DataSet`` for the work with one ``qb:Slice`` per (metric, source,
aggregation); each slice carries the current value and its ``qb:Observation`` points. Every point
links to its provenance: ``derivedFrom`` (the stored observations it was computed from),
``feed`` (the named graphs they came in) and ``evidence`` (the URLs the provider read them from).
With ``fill=zero`` every point also carries ``obsStatus`` (SDMX's observation status, the Data
Cube's own attribute for it): ``A`` (a stored count reports it) or ``L`` (no count reports this
period: a filled point, zero activity, without provenance).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from alm_ld.analytics.contexts import analytics_context
from alm_ld.analytics.observation_rows import Observation
from alm_ld.analytics.series import Point, Series, SeriesRequest, comparison
from alm_ld.analytics.sparql import short
from alm_ld.vocab import ALM_NS, METRICS_NS, SOURCES_NS

CSV_COLUMNS = ("work", "metric", "source", "aggregation", "period", "value", "increment",
               "periodStart", "periodEnd", "observations", "feeds", "evidence")
FILL_COLUMN = "reported"
"""The CSV column added with ``fill=zero``: ``true`` for a reported period, ``false`` for a
filled one."""
REPORTED, FILLED = "A", "L"
"""SDMX ``obsStatus`` codes: A = normal value; L = missing value, data exist but were not
collected (no stored count reports the period)."""


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _point_doc(point: Point, request: SeriesRequest, aggregation: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "qb:Observation",
        "period": point.period,
        "value": point.value,
    }
    if request.increments and point.increment is not None:
        doc["increment"] = point.increment
    if request.fill:
        doc["obsStatus"] = FILLED if point.filled else REPORTED
    if point.filled:
        doc["derivedFrom"], doc["feed"] = [], []
        return doc
    first, last = point.counts[0], point.counts[-1]
    if aggregation == ALM_NS + "interval":
        doc["periodStart"] = first.start or first.end
    doc["periodEnd"] = last.end
    doc["derivedFrom"] = [c.iri for c in point.counts]
    doc["feed"] = _unique([f for c in point.counts for f in c.feeds])
    evidence = _unique([e for c in point.counts for e in c.evidence])
    if evidence:
        doc["evidence"] = evidence if len(evidence) > 1 else evidence[0]
    return doc


def _current_doc(count: Observation | None) -> dict[str, Any]:
    if count is None:
        return {}
    doc: dict[str, Any] = {"currentObservation": count.iri, "periodEnd": count.end}
    if count.evidence:
        doc["evidence"] = count.evidence[0]
    return doc


def dataset_document(series: list[Series], request: SeriesRequest, url: str, *,
                     base_url: str | None = None) -> dict[str, Any]:
    """The Data Cube dataset; its context URLs are served under ``base_url`` when given."""
    slices = []
    for one in series:
        slice_doc: dict[str, Any] = {
            "type": "Slice",
            "metric": short(one.metric, METRICS_NS),
            "source": short(one.source, SOURCES_NS),
            "aggregation": short(one.aggregation, ALM_NS),
            "current": one.current_value,
        }
        slice_doc.update(_current_doc(one.current))
        slice_doc["observation"] = [_point_doc(p, request, one.aggregation) for p in one.points]
        slices.append(slice_doc)
    doc: dict[str, Any] = {
        "@context": analytics_context(base_url),
        "id": url,
        "type": "DataSet",
        "work": request.work,
        "granularity": request.granularity,
        "increments": request.increments,
    }
    if request.as_of:
        doc["asOf"] = request.as_of.isoformat().replace("+00:00", "Z")
    if request.start:
        doc["periodStart"] = request.start.isoformat()
    if request.end:
        doc["periodEnd"] = request.end.isoformat()
    doc["comparison"] = comparison(series)
    doc["slice"] = slices
    return doc


def csv_text(series: list[Series], request: SeriesRequest) -> str:
    """One row per (series, period); sources stay in separate rows, never summed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS + ((FILL_COLUMN,) if request.fill else ()))
    for one in series:
        for point in one.points:
            doc = _point_doc(point, request, one.aggregation)
            evidence = doc.get("evidence", [])
            writer.writerow([
                request.work, short(one.metric, METRICS_NS), short(one.source, SOURCES_NS),
                short(one.aggregation, ALM_NS), point.period, point.value,
                "" if point.increment is None or not request.increments else point.increment,
                doc.get("periodStart", ""), doc.get("periodEnd", ""),
                " ".join(doc["derivedFrom"]), " ".join(doc["feed"]),
                " ".join(evidence) if isinstance(evidence, list) else evidence,
                *((("false" if point.filled else "true"),) if request.fill else ()),
            ])
    return out.getvalue()
