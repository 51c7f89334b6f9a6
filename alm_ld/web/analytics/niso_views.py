"""``GET /sources/{provider}/niso``: a provider's NISO RP-25-2016 self-reporting table (HTML,
JSON-LD, CSV by content negotiation), built by :mod:`alm_ld.analytics.niso`.

``{provider}`` is the provider's IRI as it appears in feeds (``alm:provider``), percent-encoded
as one path segment (``/sources/https%3A%2F%2Fror.org%2F02twcfp32/niso``); the ``nisoUrl`` of each
``/sources`` entry is that link. Servers decode ``%2F`` before routing, so the route takes the
rest of the path and keeps double slashes (``https://``) as they are.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from flask import Response, render_template

from alm_ld.analytics.contexts import analytics_context
from alm_ld.analytics.niso import niso_report
from alm_ld.errors import NotFound
from alm_ld.identifiers import is_absolute_iri
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import JSON, JSONLD, json_response
from alm_ld.web.respond import finish, negotiated_media
from alm_ld.web.state import settings, store

HTML = "text/html"
CSV = "text/csv"
OFFERS = (JSONLD, JSON, CSV, HTML)
REPORT_TERMS = "https://w3id.org/alm-ld/niso-report#"
"""Where the report's own keys (``items``, ``declared``, ``observed``, …) expand in RDF: they
describe this table, not the metrics, so they stay out of the alm-ld vocabulary."""


def niso_path(provider: str) -> str:
    """The path of ``provider``'s self-report (used by the /sources view and page)."""
    return f"/sources/{quote(provider, safe='')}/niso"


def csv_text(report: dict[str, Any]) -> str:
    """``item,codes,key,requirement,declared,observed``: one row per reporting item."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item", "codes", "key", "requirement", "declared", "observed"])
    for row in report["items"]:
        writer.writerow([row["item"], row["codes"], row["key"], row["requirement"],
                         row["declared"] or "", row.get("observedText", "")])
    return out.getvalue()


@blueprint.get("/sources/<path:provider>/niso", merge_slashes=False)
def niso_view(provider: str) -> Response:
    if not is_absolute_iri(provider):
        raise NotFound(f"{provider!r} is not a provider IRI; the /sources list links each "
                       "provider's self-report (nisoUrl).")
    report = niso_report(store(), provider)
    if report is None:
        raise NotFound(f"No feed from provider {provider} has been ingested here; /sources "
                       "lists the providers.")
    media = negotiated_media(OFFERS)
    if media in (HTML, CSV):
        if media == HTML:
            body = render_template("niso.html", report=report, sources_url="/sources")
            content_type = "text/html; charset=utf-8"
        else:
            body = csv_text(report)
            content_type = "text/csv; charset=utf-8; header=present"
        response = Response(body, content_type=content_type)
        response.headers["Cache-Control"] = "no-cache"
        return finish(response, cache_seconds=None)
    doc = {"@context": [*analytics_context(settings().base_url), {"@vocab": REPORT_TERMS}],
           "id": settings().base_url + niso_path(provider),
           "type": "NisoSelfReport", **report}
    return json_response(doc, OFFERS[:2], media)
