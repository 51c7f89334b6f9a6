"""Vocabulary terms as Python names.

The namespaces below are the contract between feeds, the RDF model and SPARQL users. ``ALM`` is
a closed namespace built from the packaged Turtle (``alm_ld/data/vocab.ttl``), so a typo in a
term name is an error at import rather than a silently wrong triple.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD, ClosedNamespace, DefinedNamespace

from alm_ld.resources import vocab_path

ALM_NS = "https://w3id.org/alm-ld/vocab#"
METRICS_NS = "https://w3id.org/alm-ld/metrics/"
RELATIONS_NS = "https://w3id.org/alm-ld/relations/"
SOURCES_NS = "https://w3id.org/alm-ld/sources/"
ID_NS = "https://w3id.org/alm-ld/id/"
VOCAB_GRAPH = URIRef("https://w3id.org/alm-ld/vocab")

METRICS = Namespace(METRICS_NS)
RELATIONS = Namespace(RELATIONS_NS)
SOURCES = Namespace(SOURCES_NS)
QB = Namespace("http://purl.org/linked-data/cube#")
CITO = Namespace("http://purl.org/spar/cito/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SCHEMA = Namespace("http://schema.org/")

# Concept ids that providers write by hand (DESIGN.md §2); they must exist with exactly these ids.
CORE_METRICS = (
    "views", "downloads", "readers", "bookmarks", "mentions", "comments", "citations",
    "recommendations",
)
CORE_RELATIONS = (
    "cites", "references", "discusses", "mentions", "bookmarks", "likes", "reads", "reviews",
    "recommends",
)
CATEGORIES = ("viewed", "saved", "discussed", "cited", "recommended")


def _alm_terms() -> list[str]:
    graph = Graph().parse(vocab_path(), format="turtle")
    names = set()
    for subject in graph.subjects(RDF.type, None):
        if isinstance(subject, URIRef) and str(subject).startswith(ALM_NS):
            names.add(str(subject)[len(ALM_NS):])
    return sorted(n for n in names if n)


ALM = ClosedNamespace(ALM_NS, _alm_terms())

__all__ = [
    "ALM", "ALM_NS", "CATEGORIES", "CITO", "CORE_METRICS", "CORE_RELATIONS", "DCTERMS",
    "DefinedNamespace", "ID_NS", "METRICS", "METRICS_NS", "OWL", "PROV", "QB", "RDF", "RDFS",
    "RELATIONS", "RELATIONS_NS", "SCHEMA", "SKOS", "SOURCES", "SOURCES_NS", "VOCAB_GRAPH", "XSD",
]
