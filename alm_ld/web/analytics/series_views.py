"""``GET /works/<id>/metrics``: one work's time series as Data Cube JSON-LD or CSV."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, request

from alm_ld.analytics.series import SeriesRequest, work_series
from alm_ld.analytics.series_doc import csv_text, dataset_document
from alm_ld.analytics.timeutil import parse_date, parse_datetime
from alm_ld.vocab import METRICS_NS, SOURCES_NS
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import (
    JSON,
    JSONLD,
    bool_param,
    concept,
    json_response,
    known_work,
    request_url,
)
from alm_ld.web.respond import finish, negotiated_media
from alm_ld.web.state import settings, store

CSV = "text/csv"
OFFERS = (JSONLD, JSON, CSV)


def _as_of(value: str | None) -> datetime | None:
    """``as_of``: a date-time, or a date meaning the end of that day (UTC), so
    ``as_of=2026-03-01`` includes feeds ingested during 1 March."""
    if not value or not value.strip():
        return None
    moment = parse_datetime(value, "as_of")
    if len(value.strip()) == 10:
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


@blueprint.get("/works/<path:identifier>/metrics")
def work_metrics(identifier: str) -> Response:
    args = request.args
    series_request = SeriesRequest(
        work=known_work(identifier),
        metric=concept(args.get("metric"), METRICS_NS, "metric"),
        source=concept(args.get("source"), SOURCES_NS, "source"),
        start=parse_date(args["from"], "from") if args.get("from") else None,
        end=parse_date(args["to"], "to") if args.get("to") else None,
        granularity=(args.get("granularity") or "day").strip().lower(),
        increments=bool_param("increments"),
        fill=(args.get("fill") or "").strip().lower() or None,
        as_of=_as_of(args.get("as_of")),
    )
    media = negotiated_media(OFFERS)
    series = work_series(store(), series_request)
    if media == CSV:
        response = Response(csv_text(series, series_request),
                            content_type="text/csv; charset=utf-8; header=present")
        response.headers["Cache-Control"] = "no-cache"
        return finish(response, cache_seconds=None)
    doc = dataset_document(series, series_request, request_url(), base_url=settings().base_url)
    return json_response(doc, OFFERS, media)
