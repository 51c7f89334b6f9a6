"""Keep the packaged vocabulary in its named graph, so SPARQL users can join on it.

The graph carries ``<https://w3id.org/alm-ld/vocab> alm:contentHash "<sha256 of vocab.ttl>"``;
opening a store compares that hash with the packaged file's and replaces the graph in one
transaction when the vocabulary is missing or has changed (an upgrade never leaves stale terms).

The vocabulary's blank nodes (OWL restrictions, lists) are stored as skolem IRIs
``almid:genid/vocab/<label>``: Virtuoso refuses blank nodes in ``INSERT DATA``, and every backend
must hold the same graph for ``/sparql`` to answer the same everywhere. The labels come from
rdflib's canonical labelling, so the same vocabulary always gives the same IRIs.

Writing the graph is on the path of every command that opens a new store (``alm-ld ingest`` into
a fresh folder pays it once per process, issue 15): the Turtle is parsed by Oxigraph (~7 ms for
its 1,842 triples, against ~130 ms for rdflib's parser plus ~45 ms for the canonical labelling)
and written as N-Triples. rdflib's route is kept for a vocabulary that has blank nodes, the one
case where the labelling matters; both give the same quads (tests/cli/test_ingest_process.py).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from rdflib import URIRef

from alm_ld.resources import vocab_path
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, ID_NS, VOCAB_GRAPH

if TYPE_CHECKING:
    from rdflib import Graph

CONTENT_HASH = URIRef(ALM_NS + "contentHash")
SKOLEM_PREFIX = ID_NS + "genid/vocab/"


def vocabulary_hash() -> str:
    return hashlib.sha256(vocab_path().read_bytes()).hexdigest()


def ensure_vocabulary(store: Store) -> bool:
    """Load the vocabulary graph if missing or changed; True when it was (re)loaded."""
    if getattr(store, "read_only", False):
        return False
    source = vocab_path().read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    ask = f'ASK {{ GRAPH <{VOCAB_GRAPH}> {{ <{VOCAB_GRAPH}> <{CONTENT_HASH}> "{digest}" }} }}'
    if store.query(ask).boolean:
        return False
    # A new store has no graph to drop: one plain load instead of an update Oxigraph must
    # parse as SPARQL. A shared store may get one from another process meanwhile: replace.
    replace = store.shared or store.has_graph(VOCAB_GRAPH)
    store.add_graph(VOCAB_GRAPH, vocabulary_ntriples(source, digest), replace=replace)
    return True


def vocabulary_ntriples(source: bytes, digest: str) -> bytes:
    """The vocabulary graph to store (its triples plus the content-hash mark) as N-Triples."""
    import pyoxigraph as ox

    triples = [quad.triple for quad in ox.parse(source, format=ox.RdfFormat.TURTLE)]
    mark = f'<{VOCAB_GRAPH}> <{CONTENT_HASH}> "{digest}" .\n'.encode()
    if not any(isinstance(term, ox.BlankNode)
               for triple in triples for term in (triple.subject, triple.object)):
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) + mark
    return vocabulary_graph().serialize(format="nt", encoding="utf-8") + mark


def vocabulary_graph() -> Graph:
    """The packaged vocabulary with its blank nodes replaced by deterministic skolem IRIs."""
    from rdflib import BNode, Graph
    from rdflib.compare import to_canonical_graph

    canonical = to_canonical_graph(Graph().parse(vocab_path(), format="turtle"))

    def term(node: object) -> object:
        return URIRef(SKOLEM_PREFIX + str(node)) if isinstance(node, BNode) else node

    graph = Graph()
    for s, p, o in canonical:
        graph.add((term(s), p, term(o)))  # type: ignore[arg-type]
    return graph
