"""``GET /works/<id>``: one work's linked-data document, content-negotiated.

The document is kept ready in the store (:func:`~alm_ld.web.work_document.kept_document`: one
lookup while no newer feed mentions the work), and its renderings are kept in this process by
the document's content tag, so a request costs that lookup plus a dictionary hit. The ETag is
derived from the tag, media type and context URL: ``If-None-Match`` is answered 304 without
rendering anything, in every process serving the same store. The answers this view marks
(:data:`~alm_ld.web.fast_path.WORK_ANSWER`) are sent again, byte for byte, by the WSGI fast path
(:class:`~alm_ld.web.fast_path.WorkFastPath`) while the document stays current.

The HTML representation is the work page of the pages area
(:func:`alm_ld.web.pages.render_work`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Blueprint, Response, redirect, request
from rdflib import RDF, Graph, URIRef

from alm_ld.errors import NotAcceptable, NotFound
from alm_ld.identifiers import ACCEPTED_FORMS, parse_work_id
from alm_ld.vocab import ALM_NS
from alm_ld.web.fast_path import WORK_ANSWER, WORK_SEQUENCE
from alm_ld.web.feeds import feed_path
from alm_ld.web.pages import render_work
from alm_ld.web.rdf_out import HTML, content_type, serialize
from alm_ld.web.respond import RDF_OFFERS, context_url, finish, link_header, negotiated_media
from alm_ld.web.state import settings, store
from alm_ld.web.work_document import (
    KeptDocument,
    document_from_body,
    kept_document,
    same_as,
    work_path,
)

blueprint = Blueprint("works", __name__)

_KEPT = 2048
"""Documents whose parsed graph and renderings this process keeps (least recently used out)."""


class _Renderings:
    """tag → (graph, {media: body}) for the most recently served documents of this process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[Graph, dict[str, bytes]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, tag: str) -> tuple[Graph, dict[str, bytes]] | None:
        with self.lock:
            found = self.items.get(tag)
            if found is not None:
                self.items.move_to_end(tag)
            return found

    def put(self, tag: str, graph: Graph) -> tuple[Graph, dict[str, bytes]]:
        with self.lock:
            entry = self.items.setdefault(tag, (graph, {}))
            self.items.move_to_end(tag)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return entry


RENDERINGS = _Renderings(_KEPT)


def _etag(tag: str, media: str) -> str:
    return hashlib.sha256(f"{tag}|{media}|{context_url()}".encode()).hexdigest()[:40]


@blueprint.get("/works/<path:identifier>")
def get_work(identifier: str) -> Response:
    work = parse_work_id(identifier)
    timeout = settings().query_timeout
    # Read before the lookup, so that a kept answer is never newer than what it was checked at.
    newest = request.environ.get(WORK_SEQUENCE)
    sequence = newest() if newest is not None and not _html_asked() else None
    doc = kept_document(store(), work.iri, timeout=timeout)
    if doc is None:
        canonical = same_as(store(), work.iri, timeout=timeout)
        if canonical:
            return redirect(work_path(canonical), code=303)
        raise NotFound(f"No work {work.iri} is known to this service (asked as "
                       f"{identifier!r}).", acceptedForms=ACCEPTED_FORMS)
    path = work_path(work)
    media = negotiated_media(RDF_OFFERS)
    etag = _etag(doc.tag, media)
    # Weak comparison (RFC 9110 §13.1.2): a compressed answer carried the ETag as W/"…".
    if media != HTML and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag)
        if sequence is not None:
            request.environ[WORK_ANSWER] = (work.iri, doc.tag, sequence)
        return finish(response)
    tag, graph, bodies = _rendered(doc, timeout)
    if media == HTML:
        body: bytes | str = render_work(work.iri)
    else:
        body = bodies.get(media) or b""
        if not body:
            body = bodies[media] = serialize(graph, media, context_url=context_url(),
                                             first=URIRef(work.iri))
    response = Response(body, content_type=content_type(media))
    response.headers["Link"] = ", ".join(
        value for value in (link_header(path, RDF_OFFERS, media), *work_links(graph, path))
        if value)
    if media != HTML:
        response.set_etag(_etag(tag, media))
        if sequence is not None:
            request.environ[WORK_ANSWER] = (work.iri, tag, sequence)
    return finish(response)


def _html_asked() -> bool:
    """True when the request negotiates the HTML page (never kept by the fast path)."""
    try:
        return negotiated_media(RDF_OFFERS) == HTML
    except NotAcceptable:
        return True  # answered 406 (or 404) by the view: nothing to keep


def _rendered(doc: KeptDocument,
              timeout: float) -> tuple[str, Graph, dict[str, bytes]]:
    """The tag, parsed graph and renderings kept for ``doc`` (read once per process; when the
    document changed since ``doc`` was looked up, those of the newer one)."""
    found = RENDERINGS.get(doc.tag)
    if found is not None:
        return (doc.tag, *found)
    body = doc.body
    if body is None:
        fresh = kept_document(store(), doc.work, timeout=timeout, with_body=True)
        body = fresh.body if fresh is not None and fresh.tag == doc.tag else None
        if fresh is not None and body is None:  # changed in between: serve the newer one
            doc, body = fresh, fresh.body
    return (doc.tag, *RENDERINGS.put(doc.tag, document_from_body(body or "")))


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
