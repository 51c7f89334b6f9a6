"""Serialising an RDF graph in each media type the service offers.

The media-type names and their rdflib formats are the store's (:mod:`alm_ld.store.results`), so
the CLI, the store and the web answer with one table.
"""

from __future__ import annotations

import json

from rdflib import Graph
from rdflib.term import Node

from alm_ld.sparql_text import NAMESPACES
from alm_ld.store.results import JSONLD, NTRIPLES, RDFLIB_FORMATS, RDFXML, TURTLE
from alm_ld.web.jsonld_out import graph_to_jsonld

HTML = "text/html"

RDF_MEDIA_TYPES = (JSONLD, TURTLE, NTRIPLES, RDFXML)

PREFIXES = {name: NAMESPACES[name] for name in (
    "alm", "almm", "almr", "almsrc", "almid", "prov", "qb", "cito", "dcterms", "schema", "owl",
    "skos", "xsd")}
"""The prefixes bound in Turtle/RDF-XML answers: those of the one table (alm_ld/sparql_text.py)."""


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def serialize(graph: Graph, media_type: str, *, context_url: str,
              first: Node | None = None) -> bytes:
    """``graph`` as bytes of ``media_type`` (one of :data:`RDF_MEDIA_TYPES` or JSON)."""
    if media_type in (JSONLD, "application/json"):
        doc = graph_to_jsonld(graph, context_url, first)
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    fmt = RDFLIB_FORMATS[media_type]
    if fmt == "turtle":
        bind_prefixes(graph)
    return graph.serialize(format=fmt, encoding="utf-8")


def content_type(media_type: str) -> str:
    if media_type in (TURTLE, HTML) or media_type.startswith("text/"):
        return f"{media_type}; charset=utf-8"
    return media_type
