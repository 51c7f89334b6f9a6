"""``GET /sources``: the provider dashboard (JSON-LD; HTML through the pages area's hook)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from rdflib import Dataset, Graph

from alm_ld.analytics.contexts import analytics_context
from alm_ld.analytics.sources import source_dashboard
from alm_ld.jsonld import to_rdf_nquads
from alm_ld.sparql_text import SCHEMA_NS
from alm_ld.vocab import ALM_NS
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import JSON, JSONLD, json_response, request_url
from alm_ld.web.analytics.niso_views import niso_path
from alm_ld.web.pages import render_sources
from alm_ld.web.rdf_out import NTRIPLES, RDFXML, TURTLE, content_type, serialize
from alm_ld.web.respond import context_url, finish, link_header, negotiated_media
from alm_ld.web.state import settings, store

HTML = "text/html"
RDF_FORMS = (TURTLE, NTRIPLES, RDFXML)


@blueprint.get("/sources")
def sources() -> Response:
    offers = (JSONLD, JSON, *RDF_FORMS, HTML)
    media = negotiated_media(offers)
    rows = source_dashboard(store())
    base = settings().base_url
    for row in rows:
        row["alertsUrl"] = f"{base}/alerts?source={quote(row['id'], safe='')}"
        row["nisoUrl"] = base + niso_path(row["id"])  # NISO RP-25 self-report (niso_views)
    if media == HTML:
        response = Response(render_sources(rows), content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-cache"
        return finish(response, cache_seconds=None)
    doc = {"@context": analytics_context(settings().base_url), "id": request_url(), "sources": rows}
    if media in RDF_FORMS:
        return _as_rdf(doc, media, offers)
    return json_response(doc, offers, media)


def _as_rdf(doc: dict, media: str, offers: tuple[str, ...]) -> Response:
    """The same JSON-LD document as Turtle / N-Triples / RDF/XML: expanded offline with the
    packaged contexts (the providers are ``prov:Agent``s with their disclosure and counts)."""
    quads = Dataset()
    quads.parse(data=to_rdf_nquads(doc), format="nquads")
    graph = Graph()
    graph.bind("alm", ALM_NS)
    graph.bind("schema", SCHEMA_NS)
    for s, p, o, _ in quads.quads():
        graph.add((s, p, o))
    response = Response(serialize(graph, media, context_url=context_url()),
                        content_type=content_type(media))
    response.headers["Link"] = link_header("/sources", [o for o in offers if o != HTML], media)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return finish(response, cache_seconds=None)
