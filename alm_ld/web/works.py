"""``GET /works/<id>``: one work's linked-data document, content-negotiated."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template
from rdflib import RDF, Graph, URIRef

from alm_ld.errors import NotFound
from alm_ld.identifiers import ACCEPTED_FORMS, parse_work_id
from alm_ld.vocab import ALM_NS
from alm_ld.web.feeds import feed_path
from alm_ld.web.respond import RDF_OFFERS, rdf_response
from alm_ld.web.state import settings, store
from alm_ld.web.work_document import same_as, work_graph, work_path, work_view

blueprint = Blueprint("works", __name__)

# The template the HTML representation renders; the pages area may ship its own "work.html".
WORK_TEMPLATE = "work.html"


@blueprint.get("/works/<path:identifier>")
def get_work(identifier: str) -> Response:
    work = parse_work_id(identifier)
    timeout = settings().query_timeout
    graph = work_graph(store(), work.iri, timeout=timeout)
    if len(graph) == 0:
        canonical = same_as(store(), work.iri, timeout=timeout)
        if canonical:
            return redirect(work_path(canonical), code=303)
        raise NotFound(f"No work {work.iri} is known to this service (asked as "
                       f"{identifier!r}).", acceptedForms=ACCEPTED_FORMS)
    path = work_path(work)

    def html() -> str:
        return render_template(WORK_TEMPLATE, work=work, view=work_view(graph, work.iri),
                               path=path, offers=RDF_OFFERS, base_url=settings().base_url)

    return rdf_response(graph, path=path, first=URIRef(work.iri), html=html,
                        links=work_links(graph, path))


MAX_FEED_LINKS = 20
"""Feeds named in a work's Link header; a work that many feeds report lists the rest in its
document (``prov:wasDerivedFrom`` / the feed nodes) and in the VoID."""


def work_links(graph: Graph, path: str) -> list[str]:
    """``rel="canonical"`` (the one URL of the work, whatever id form was asked) and
    ``rel="describedby"`` for the dataset description (VoID) and the feeds the work's data came
    from (their provenance at ``/feeds/{id}``), so a client can find both from any response."""
    base = settings().base_url
    feeds = sorted(str(f) for f in graph.subjects(RDF.type, URIRef(ALM_NS + "Feed")))
    return [f'<{base}{path}>; rel="canonical"',
            f'<{base}/.well-known/void>; rel="describedby"; type="text/turtle"',
            *(f'<{base}{feed_path(feed)}>; rel="describedby"; type="application/ld+json"'
              for feed in feeds[:MAX_FEED_LINKS])]
