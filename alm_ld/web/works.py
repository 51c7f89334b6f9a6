"""``GET /works/<id>``: one work's linked-data document, content-negotiated."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template
from rdflib import URIRef

from alm_ld.errors import NotFound
from alm_ld.identifiers import ACCEPTED_FORMS, parse_work_id
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

    return rdf_response(graph, path=path, first=URIRef(work.iri), html=html)
