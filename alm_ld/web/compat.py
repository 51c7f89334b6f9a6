"""Drop-in endpoints for two retired APIs (docs/compat.md): ``GET /v1/events`` in the shape of
the Crossref Event Data Query API and ``GET|POST /api/works`` in the shape of Lagotto's works
API. Read-only; the answers are built by :mod:`alm_ld.analytics.compat_eventdata` and
:mod:`alm_ld.analytics.compat_lagotto` from the same data and functions as the native API, and
this module only reads parameters and writes JSON. Bad parameters are problem+json (400).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from alm_ld.analytics.compat_eventdata import parse_event_query, query_events
from alm_ld.analytics.compat_lagotto import MAX_PER_PAGE, lagotto_page, lagotto_works, parse_ids
from alm_ld.errors import UsageError
from alm_ld.web.respond import finish
from alm_ld.web.state import settings, store

blueprint = Blueprint("compat", __name__)


def _json(doc: Any) -> Response:
    response = Response(json.dumps(doc, ensure_ascii=False),
                        content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return finish(response, vary=False, cache_seconds=None)


def _whole(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise UsageError(f"{name}={raw!r} is not a whole number.")
    return int(raw)


@blueprint.get("/v1/events")
def event_data_events() -> Response:
    """Events in Crossref Event Data's Query API shape (cursor-paged)."""
    query = parse_event_query(request.args)
    return _json(query_events(store(), query, timeout=settings().query_timeout))


@blueprint.route("/api/works", methods=["GET", "POST"])
def lagotto_works_view() -> Response:
    """Works by id (up to 1,000) in Lagotto's works shape; POST takes a form or JSON body."""
    raw: object = request.args.get("ids")
    if request.method == "POST":
        if request.is_json:
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or "ids" not in body:
                raise UsageError('A JSON body is {"ids": [...]} or {"ids": "id1,id2"}.')
            raw = body["ids"]
        else:
            raw = request.form.get("ids", raw)
    if raw is None and request.method == "GET":  # Lagotto listed all works, page by page
        page = _whole("page", 1)
        per_page = _whole("per_page", MAX_PER_PAGE)
        return _json(lagotto_page(store(), page, per_page, timeout=settings().query_timeout))
    if raw is None:
        raise UsageError("ids is required: comma-separated DOIs (or PMIDs, PMCIDs, URLs).")
    ids = parse_ids(raw)
    return _json(lagotto_works(store(), ids, timeout=settings().query_timeout))


__all__ = ["blueprint"]
