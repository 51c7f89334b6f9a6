"""Discovery: what a client fetches to learn what this service is and speaks.

Contexts are served as ``application/ld+json`` (jsonld.js rejects other types, rdflib then
silently mis-reads them) with CORS and a long cache lifetime; schemas as
``application/schema+json``; the vocabulary with content negotiation; VoID with live
statistics; the OpenAPI description; and a health check.
"""

from __future__ import annotations

import json
from functools import cache

from flask import Blueprint, Response, jsonify, render_template
from rdflib import Graph

from alm_ld.resources import context_path, schema_path, schemas_dir, vocab_path
from alm_ld.store.health import check_store
from alm_ld.store.spec import StoreSpec
from alm_ld.web.openapi import openapi_document
from alm_ld.web.rdf_out import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE
from alm_ld.web.respond import finish, rdf_response
from alm_ld.web.state import settings, store
from alm_ld.web.vocab_page import vocabulary_groups
from alm_ld.web.void import void_graph

blueprint = Blueprint("discovery", __name__)

LONG_CACHE = 86400 * 7


@blueprint.get("/healthz")
def healthz() -> Response:
    """Not only "the store answers" but "the store answers as alm-ld needs": a remote server
    without a union default graph answers every query and serves empty works
    (:mod:`alm_ld.store.health`; 503 ``store-misconfigured`` naming the fault). When ingest is
    enabled, a remote store must also take a write (one update that inserts and drops a probe)."""
    current = settings()
    checks = check_store(store(), writes=bool(current.tokens), timeout=current.query_timeout,
                         opened=True)
    response = jsonify({"status": "ok", "store": StoreSpec.parse(store().spec).scheme,
                        "checks": checks})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/contexts/<name>")
def context(name: str) -> Response:
    data = context_path(name).read_bytes()
    return finish(Response(data, content_type="application/ld+json"), vary=False,
                  cache_seconds=LONG_CACHE)


@blueprint.get("/schemas/")
@blueprint.get("/schemas")
def schema_index() -> Response:
    base = settings().base_url
    names = sorted(p.name for p in schemas_dir().glob("*.json"))
    return finish(jsonify({"schemas": [f"{base}/schemas/{n}" for n in names]}), vary=False)


@blueprint.get("/schemas/<name>")
def schema(name: str) -> Response:
    data = schema_path(name).read_bytes()
    return finish(Response(data, content_type="application/schema+json"), vary=False,
                  cache_seconds=LONG_CACHE)


@cache
def _vocab_graph() -> Graph:
    return Graph().parse(vocab_path(), format="turtle")


@blueprint.get("/vocab")
def vocab() -> Response:
    graph = _vocab_graph()

    def html() -> str:
        return render_template("vocab.html", groups=vocabulary_groups(graph))

    return rdf_response(graph, path="/vocab", offers=(TURTLE, JSONLD, NTRIPLES, RDFXML, HTML),
                        html=html)


@blueprint.get("/.well-known/void")
def void() -> Response:
    graph = void_graph(store(), settings())
    return rdf_response(graph, path="/.well-known/void",
                        offers=(TURTLE, JSONLD, NTRIPLES, RDFXML))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    body = json.dumps(openapi_document(settings().base_url), indent=1)
    return finish(Response(body, content_type="application/json"), vary=False)
