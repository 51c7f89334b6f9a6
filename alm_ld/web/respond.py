"""Glue between negotiated representations and Flask responses (ETag, Vary, Link, CORS)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from flask import Response, request
from rdflib import Graph
from rdflib.term import Node

from alm_ld.web.conneg import negotiate
from alm_ld.web.rdf_out import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, content_type, serialize
from alm_ld.web.state import settings

RDF_OFFERS = (JSONLD, TURTLE, NTRIPLES, RDFXML, HTML)
_SHORT = {JSONLD: "jsonld", TURTLE: "ttl", NTRIPLES: "nt", RDFXML: "rdf", HTML: "html"}
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


def context_url() -> str:
    return settings().base_url + "/contexts/v1.jsonld"


def link_header(path: str, offers: Sequence[str], current: str) -> str:
    """One Link header value: alternates (one only on JSON responses) and the context.

    pyld 3.3 crashes when a response has more than one ``rel="alternate"`` link, whatever the
    number of headers (requests joins them), so JSON-LD/JSON responses name one alternate
    (Turtle); other representations list all of them, JSON-LD first.
    """
    base = settings().base_url
    others = [m for m in offers if m != current]
    if current in (JSONLD, "application/json"):
        others = [m for m in others if m == TURTLE][:1]
    links = [f'<{base}{path}?{urlencode({"format": _SHORT.get(m, m)})}>; rel="alternate"; '
             f'type="{m}"' for m in others]
    if current != JSONLD:
        links.append(f'<{context_url()}>; rel="{JSONLD_CONTEXT_REL}"; '
                     f'type="application/ld+json"')
    return ", ".join(links)


def negotiated_media(offers: Sequence[str]) -> str:
    return negotiate(request.headers.get("Accept"), offers,
                     format_param=request.args.get("format"))


def finish(response: Response, *, vary: bool = True, cache_seconds: int | None = 60) -> Response:
    """Add Vary, a strong ETag over the body and answer If-None-Match with 304."""
    if vary:
        response.vary.add("Accept")
    if cache_seconds is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = f"public, max-age={cache_seconds}"
    response.add_etag()
    return response.make_conditional(request)


def rdf_response(graph: Graph, *, path: str, first: Node | None = None,
                 offers: Sequence[str] = RDF_OFFERS,
                 html: Callable[[], str] | None = None,
                 links: Sequence[str] = ()) -> Response:
    """The negotiated representation of ``graph`` for the resource at ``path``; ``links`` are
    further Link values (``<…>; rel="…"``) added to the alternates."""
    if html is None:
        offers = [o for o in offers if o != HTML]
    media = negotiated_media(offers)
    if media == HTML and html is not None:
        body: bytes | str = html()
    else:
        body = serialize(graph, media, context_url=context_url(), first=first)
    response = Response(body, content_type=content_type(media))
    response.headers["Link"] = ", ".join(
        value for value in (link_header(path, offers, media), *links) if value)
    return finish(response)
