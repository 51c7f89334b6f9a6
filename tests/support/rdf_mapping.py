"""The reference sink for :func:`alm_ld.mapping.feed_statements`: an rdflib Graph instead of
N-Triples text. Ingest only ever writes N-Triples; this slower route exists so tests can
compare graphs (isomorphism, SHACL) and the JSON-LD route has something to be compared with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from alm_ld.mapping import IngestContext, MappedFeed, Obj, feed_iri, feed_statements, safe_iri


def rdflib_subject(value: str, bnodes: dict[str, BNode]) -> URIRef | BNode:
    if value.startswith("_:"):
        return bnodes.setdefault(value[2:], BNode())
    return URIRef(safe_iri(value))


def rdflib_object(obj: Obj, bnodes: dict[str, BNode]) -> URIRef | BNode | Literal:
    if obj[0] == "iri":
        return URIRef(safe_iri(obj[1]))
    if obj[0] == "bnode":
        return bnodes.setdefault(obj[1], BNode())
    return Literal(obj[1], datatype=URIRef(obj[2]) if len(obj) == 3 else None)


def map_feed(doc: Mapping[str, Any], ctx: IngestContext) -> tuple[Graph, MappedFeed]:
    """The feed's graph as an rdflib Graph (the same statements as the N-Triples path)."""
    summary = MappedFeed(feed_iri(doc))
    graph = Graph()
    bnodes: dict[str, BNode] = {}
    for s, p, o in feed_statements(doc, ctx, summary):
        graph.add((rdflib_subject(s, bnodes), URIRef(p), rdflib_object(o, bnodes)))
    return graph, summary
