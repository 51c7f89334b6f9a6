"""Keep the packaged vocabulary in its named graph, so SPARQL users can join on it.

The graph carries ``<https://w3id.org/alm-ld/vocab> alm:contentHash "<sha256 of vocab.ttl>"``;
opening a store compares that hash with the packaged file's and replaces the graph in one
transaction when the vocabulary is missing or has changed (an upgrade never leaves stale terms).
"""

from __future__ import annotations

import hashlib

from rdflib import Graph, Literal, URIRef

from alm_ld.resources import vocab_path
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, VOCAB_GRAPH

CONTENT_HASH = URIRef(ALM_NS + "contentHash")


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
    graph = Graph().parse(vocab_path(), format="turtle")
    graph.add((VOCAB_GRAPH, CONTENT_HASH, Literal(digest)))
    store.add_graph(VOCAB_GRAPH, graph, replace=True)
    return True
