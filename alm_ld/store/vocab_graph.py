"""Keep the packaged vocabulary in its named graph, so SPARQL users can join on it.

The graph carries ``<https://w3id.org/alm-ld/vocab> alm:contentHash "<sha256 of vocab.ttl>"``;
opening a store compares that hash with the packaged file's and replaces the graph in one
transaction when the vocabulary is missing or has changed (an upgrade never leaves stale terms).

The vocabulary's blank nodes (OWL restrictions, lists) are stored as skolem IRIs
``almid:genid/vocab/<label>``: Virtuoso refuses blank nodes in ``INSERT DATA``, and every backend
must hold the same graph for ``/sparql`` to answer the same everywhere. The labels come from
rdflib's canonical labelling, so the same vocabulary always gives the same IRIs.
"""

from __future__ import annotations

import hashlib

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from alm_ld.resources import vocab_path
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, ID_NS, VOCAB_GRAPH

CONTENT_HASH = URIRef(ALM_NS + "contentHash")
SKOLEM_PREFIX = ID_NS + "genid/vocab/"


def vocabulary_hash() -> str:
    return hashlib.sha256(vocab_path().read_bytes()).hexdigest()


def ensure_vocabulary(store: Store) -> bool:
    """Load the vocabulary graph if missing or changed; True when it was (re)loaded."""
    if getattr(store, "read_only", False):
        return False
    digest = vocabulary_hash()
    ask = f'ASK {{ GRAPH <{VOCAB_GRAPH}> {{ <{VOCAB_GRAPH}> <{CONTENT_HASH}> "{digest}" }} }}'
    if store.query(ask).boolean:
        return False
    graph = vocabulary_graph()
    graph.add((VOCAB_GRAPH, CONTENT_HASH, Literal(digest)))
    store.add_graph(VOCAB_GRAPH, graph, replace=True)
    return True


def vocabulary_graph() -> Graph:
    """The packaged vocabulary with its blank nodes replaced by deterministic skolem IRIs."""
    canonical = to_canonical_graph(Graph().parse(vocab_path(), format="turtle"))

    def term(node: object) -> object:
        return URIRef(SKOLEM_PREFIX + str(node)) if isinstance(node, BNode) else node

    graph = Graph()
    for s, p, o in canonical:
        graph.add((term(s), p, term(o)))  # type: ignore[arg-type]
    return graph
