"""Validation and ingest over HTTP: ``POST /validate``, ``POST /feeds``, ``GET /feeds/<id>``.

``/validate`` always answers 200 with the report (a body that is not JSON is a problem in the
report); only a wrong media type (415) or an oversized body (413) are HTTP errors, because then
there is no feed to report on. ``/feeds`` is the token-protected ingest: tokens come from
``settings.tokens`` and are compared in constant time.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request
from rdflib import URIRef

from alm_ld.errors import Forbidden, NotFound, Unauthorized, UnsupportedMediaType
from alm_ld.identifiers import checked_iri, is_iri, normalise_iri
from alm_ld.sparql_text import bind_iri, prefixes
from alm_ld.web.respond import rdf_response
from alm_ld.web.state import settings, store

blueprint = Blueprint("feeds", __name__)

JSON_TYPES = ("application/ld+json", "application/json")

_FEED_QUERY = prefixes("alm", "prov") + """
CONSTRUCT { ?feed ?p ?o . ?act ?ap ?ao . ?agent ?gp ?go . ?d ?dp ?do . }
WHERE { GRAPH ?feed {
  { ?feed ?p ?o }
  UNION { ?feed prov:wasGeneratedBy ?act . ?act ?ap ?ao }
  UNION { ?feed alm:provider ?agent . ?agent ?gp ?go }
  UNION { ?feed alm:disclosure ?d . ?d ?dp ?do }
} }"""


def _require_json_body() -> bytes:
    mimetype = (request.mimetype or "").lower()
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the feed as application/ld+json or application/json (got "
            f"{mimetype or 'no Content-Type'}).", accepted=list(JSON_TYPES))
    return request.get_data(cache=False)


def _profile() -> str:
    return request.args.get("profile", "base")


@blueprint.post("/validate")
def validate() -> Response:
    from alm_ld.web.feed_body import validate_body  # a feed as JSON or as RDF (SHACL)

    return jsonify(validate_body(_profile(), settings()).to_dict())


def _check_token() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("POST /feeds needs 'Authorization: Bearer <token>'.")
    given = token.strip().encode()
    if not any(hmac.compare_digest(given, t.encode()) for t in settings().tokens):
        raise Forbidden("This token may not ingest feeds.")


def feed_path(feed_id: str) -> str:
    return "/feeds/" + quote(feed_id, safe=":@")


@blueprint.post("/feeds")
def post_feed() -> Response:
    from alm_ld.pipeline import ingest_feed
    from alm_ld.validate import parse_feed_bytes

    _check_token()
    data = _require_json_body()
    doc = parse_feed_bytes(data, settings=settings())
    result = ingest_feed(store(), doc, settings=settings(), profile=_profile())
    response = jsonify(result.to_dict())
    location = feed_path(result.feed_id)
    response.headers["Content-Location"] = location
    if result.status == "created":
        response.status_code = 201
        response.headers["Location"] = location
        _fold_in_background()
    return response


def _fold_in_background() -> None:
    """Start folding the new feed into the works index now (one daemon thread per index, when
    this process serves ``GET /works``), so the next ``GET /works`` finds it done instead of
    answering 503 ``index-building`` while the fold runs. A failure here is the index's
    business: the feed is already stored."""
    from alm_ld.analytics.works_index import fold_soon

    try:
        fold_soon(store())
    except Exception:  # noqa: BLE001 - the next GET /works starts it again
        current_app.logger.warning("works index catch-up not started", exc_info=True)


@blueprint.get("/feeds/<path:feed_id>")
def get_feed(feed_id: str) -> Response:
    if not is_iri(normalise_iri(feed_id)):  # stored ids are normalised (mapping.feed_iri)
        checked_iri(feed_id, "feed id (an absolute IRI such as urn:uuid:…)")  # names the value
    feed_id = normalise_iri(feed_id)
    query = bind_iri(_FEED_QUERY, "feed", feed_id)
    graph = store().query(query, timeout=settings().query_timeout).graph
    if graph is None or len(graph) == 0:
        raise NotFound(f"No feed {feed_id} has been ingested here.")
    return rdf_response(graph, path=feed_path(feed_id), first=URIRef(feed_id))
