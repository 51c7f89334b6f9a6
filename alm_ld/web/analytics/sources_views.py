"""``GET /sources``: the provider dashboard (JSON-LD; HTML through the pages area's hook)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from alm_ld.analytics.contexts import analytics_context
from alm_ld.analytics.sources import source_dashboard
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import JSON, JSONLD, json_response, request_url
from alm_ld.web.respond import finish, negotiated_media
from alm_ld.web.state import settings, state, store

HTML = "text/html"


@blueprint.get("/sources")
def sources() -> Response:
    hook = state().html_hooks.get("sources")
    offers = (JSONLD, JSON, HTML) if hook else (JSONLD, JSON)
    media = negotiated_media(offers)
    rows = source_dashboard(store())
    base = settings().base_url
    for row in rows:
        row["alertsUrl"] = f"{base}/alerts?source={quote(row['id'], safe='')}"
    if media == HTML and hook is not None:
        response = Response(hook(rows), content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-cache"
        return finish(response, cache_seconds=None)
    doc = {"@context": analytics_context(settings().base_url), "id": request_url(), "sources": rows}
    return json_response(doc, offers, media)
