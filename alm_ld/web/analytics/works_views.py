"""``GET /works``: sets of works, OpenAlex-style (filter, sort, per_page, cursor, select,
group_by); ``POST /works/batch``: many works by id in one call.

The logic is :mod:`alm_ld.analytics.works_list`; this module only reads the parameters and
writes the answer as JSON(-LD) or CSV (one row per work, one column per metric on the page).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request

from alm_ld.analytics.batch import batch_works_following_same_as
from alm_ld.analytics.contexts import analytics_context
from alm_ld.analytics.works_list import list_works, parse_works_query
from alm_ld.errors import IndexBuilding, UsageError
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import JSON, JSONLD, json_response, request_url
from alm_ld.web.problems import error_response
from alm_ld.web.respond import finish, negotiated_media
from alm_ld.web.state import settings, store

CSV = "text/csv"
OFFERS = (JSONLD, JSON, CSV)


def csv_text(answer: dict[str, Any]) -> str:
    """``id,title,issued,<metric>…`` with the metrics of this page's works as columns; for a
    ``group_by`` answer ``key,key_display_name,count,<metric sum>…``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if "group_by" in answer:
        sums = sorted({m for group in answer["group_by"] for m in group["sum"]})
        writer.writerow(["key", "key_display_name", "count", *sums])
        for group in answer["group_by"]:
            writer.writerow([group["key"] or "", group["key_display_name"] or "",
                             group["count"], *(group["sum"].get(m, "") for m in sums)])
        return out.getvalue()
    metrics = sorted({m for result in answer["results"] for m in result["metrics"]})
    writer.writerow(["id", "title", "issued", *metrics])
    for result in answer["results"]:
        writer.writerow([result["id"], result["title"] or "", result["issued"] or "",
                         *(result["metrics"].get(m, "") for m in metrics)])
    return out.getvalue()


@blueprint.app_errorhandler(IndexBuilding)
def index_building(error: IndexBuilding) -> Response:
    """The 503 of an index still being built, with ``Retry-After`` (every route reading the
    works index: /works, /works/batch, sets, the Lagotto compat routes)."""
    response = error_response(error)
    response.headers["Retry-After"] = str(error.extra.get("retryAfterSeconds", 5))
    return response


@blueprint.get("/works")
def list_works_view() -> Response:
    args = request.args
    query = parse_works_query(filter=args.get("filter"), sort=args.get("sort"),
                              per_page=args.get("per_page"), cursor=args.get("cursor"),
                              select=args.get("select"), group_by=args.get("group_by"))
    answer = list_works(store(), query, timeout=settings().query_timeout)
    media = negotiated_media(OFFERS)
    if media == CSV:
        response = Response(csv_text(answer), content_type="text/csv; charset=utf-8; "
                            "header=present")
        response.headers["Cache-Control"] = "no-cache"
        return finish(response, cache_seconds=None)
    doc = {"@context": analytics_context(settings().base_url), "id": request_url(), **answer}
    return json_response(doc, OFFERS[:2], media)


@blueprint.post("/works/batch")
def batch_works_view() -> Response:
    """Up to 1,000 works in one call (``{"ids": [...]}``), answered in request order; an
    ``owl:sameAs`` alias answers with its work (``sameAs`` names the id asked)."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict) or set(body) != {"ids"}:
        raise UsageError('The body is a JSON object {"ids": [...]} with 1 to 1000 work ids.')
    answer = batch_works_following_same_as(store(), body["ids"],
                                           timeout=settings().query_timeout)
    doc = {"@context": analytics_context(settings().base_url), **answer}
    return json_response(doc, OFFERS[:2])
