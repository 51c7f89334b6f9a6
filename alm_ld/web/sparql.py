"""``/sparql``: the SPARQL 1.1 Protocol, read-only and safe to expose.

The view is glue: :mod:`sparql_protocol` reads the request, :mod:`sparql_bounds` bounds its
size, nesting and patterns before any parser sees it, :mod:`sparql_check` decides what the query
is and whether it may run, :mod:`conneg` picks the result format, and the query is evaluated
under ``settings.query_timeout`` (raising ``QueryTimeout``, answered as 503 problem+json) with at
most ``settings.result_limit`` rows — by the sandboxed, killable worker processes of
:mod:`alm_ld.store.query_pool` for an on-disk Oxigraph store, by the store itself otherwise. The
store's own parser messages are never shown. Results are materialised before the response
starts, so a timeout or store error is always a clean problem document, never a truncated 200.

The common request — ``GET /sparql?query=…`` alone, a plainly safe SELECT or ASK, on a store
served by the worker pool — is answered by :class:`~alm_ld.web.fast_path.SparqlFastPath`, a WSGI
layer in front of Flask that runs the very same steps (bounds, :func:`quick_analysis`,
negotiation, the pool) and sends the very same headers without Flask's request and response
objects, which cost more than a cached answer (issue 15). Anything else goes to the view; so does
every failure: the pool's error travels in the WSGI environ (:data:`OUTCOME`) and the view raises
it where it would have been raised, so problems are made in one place.

HTML (the query editor) is the pages area's :func:`~alm_ld.web.pages.render_sparql_editor`.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from alm_ld.errors import MalformedQuery
from alm_ld.sparql_text import with_base
from alm_ld.store.results import GRAPH_TYPES, RESULT_TYPES
from alm_ld.store.results import JSON as SRJ
from alm_ld.store.results import XML as SRX
from alm_ld.web.conneg import negotiate
from alm_ld.web.pages import render_sparql_editor
from alm_ld.web.rdf_out import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, content_type
from alm_ld.web.respond import finish, rdf_response
from alm_ld.web.service_description import service_description
from alm_ld.web.sparql_bounds import check_bounds
from alm_ld.web.sparql_check import analyse_query, resolve_dataset
from alm_ld.web.sparql_protocol import parse_protocol_request
from alm_ld.web.state import settings, state, store

blueprint = Blueprint("sparql", __name__)

SELECT_OFFERS = RESULT_TYPES  # SPARQL JSON first: the default when Accept allows anything
ASK_OFFERS = (SRJ, SRX)
GRAPH_OFFERS = GRAPH_TYPES  # Turtle first
# Generic types some clients send, served as the matching SPARQL format.
TABLE_ALIASES = {"application/json": SRJ, "application/xml": SRX, "text/xml": SRX}
GRAPH_ALIASES = {"application/json": JSONLD, "text/plain": NTRIPLES, "application/xml": RDFXML}


def offers_for(form: str) -> tuple[tuple[str, ...], dict[str, str]]:
    if form == "SELECT":
        return SELECT_OFFERS, TABLE_ALIASES
    if form == "ASK":
        return ASK_OFFERS, TABLE_ALIASES
    return GRAPH_OFFERS, GRAPH_ALIASES


OUTCOME = "alm_ld.sparql.outcome"
"""WSGI environ key: the error the fast path met evaluating, raised by the view in turn."""


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    pending = request.environ.pop(OUTCOME, None)
    body = request.get_data(cache=False) if request.method == "POST" else b""
    protocol = parse_protocol_request(request.method, request.args, request.content_type, body)
    if protocol.query is None:
        return _describe_service()
    limits = settings()
    check_bounds(protocol.query, max_bytes=limits.query_max_bytes,
                 max_depth=limits.query_max_depth, max_patterns=limits.query_max_patterns)
    info = analyse_query(protocol.query)
    if request.method == "GET" and html_wanted(request.headers.get("Accept"), info.form):
        return finish(Response(render_sparql_editor(protocol.query),
                               content_type=content_type(HTML)))
    offers, aliases = offers_for(info.form)
    media = negotiate(request.headers.get("Accept"), offers, aliases=aliases)
    default_graphs, named_graphs = resolve_dataset(
        info, protocol.default_graphs, protocol.named_graphs,
        {str(g) for g in store().graph_names()}
        if protocol.has_protocol_dataset or info.from_graphs or info.from_named_graphs else set())
    pool = state().get_query_pool()
    text = with_base(protocol.query, limits.base_url + "/sparql")
    try:
        if pending is not None:
            raise pending
        if pool is not None:
            media_type, payload = pool.query_serialized(
                text, media, default_graphs=default_graphs, named_graphs=named_graphs,
                timeout=limits.query_timeout, limit=limits.result_limit)
        else:
            started = time.monotonic()
            with state().query_slot(limits.query_timeout):
                left = max(0.1, limits.query_timeout - (time.monotonic() - started))
                media_type, chunks = store().query_serialized(
                    text, media, default_graphs=default_graphs, named_graphs=named_graphs,
                    timeout=left, limit=limits.result_limit)
                payload = b"".join(chunks)
    except MalformedQuery:
        analyse_query(protocol.query, full=True)  # the detailed problem (line, column) if any
        # rdflib accepts what the store refused: say so without echoing the store's parser.
        raise MalformedQuery("The query is not valid SPARQL 1.1 for this endpoint's engine.",
                             engine="store") from None
    response = Response(payload, content_type=content_type(media_type))
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return response


def html_wanted(accept: str | None, form: str) -> bool:
    """True when ``accept`` prefers the query editor (HTML) to any result format of ``form``."""
    offers, aliases = offers_for(form)
    try:
        return negotiate(accept, (*offers, HTML), aliases=aliases) == HTML
    except Exception:  # noqa: BLE001 - not acceptable is decided later, for the real offers
        return False


def _describe_service() -> Response:
    graph = service_description(settings(), [str(g) for g in store().graph_names()])
    return rdf_response(graph, path="/sparql", offers=(TURTLE, JSONLD, NTRIPLES, RDFXML, HTML),
                        html=render_sparql_editor)
