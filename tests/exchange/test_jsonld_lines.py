"""The JSON-LD lines of a dump are what pyld would write, as RDF: each line, read by pyld, is
the same dataset (canonical N-Quads, URDNA2015) as pyld's own compaction of the feed graph and
as the graph itself — on the demo feeds and on generated data. The lines are built by the one
table-driven compactor (:func:`alm_ld.jsonld.compact_nodes`), not by pyld."""

from __future__ import annotations

import json

import pytest
from pyld import jsonld as pyld

from alm_ld.analytics.changes import feeds_from
from alm_ld.config import Settings
from alm_ld.exchange import writers
from alm_ld.jsonld import document_loader
from alm_ld.pipeline import ingest_feed
from alm_ld.resources import CONTEXT_URL, demo_dir
from alm_ld.store import open_store
from benchmarks.datagen import single_feed


def _canonical(doc: object) -> str:
    return pyld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                "documentLoader": document_loader})


def _canonical_nquads(text: str) -> str:
    return pyld.normalize(text, {"algorithm": "URDNA2015", "inputFormat": "application/n-quads",
                                 "format": "application/n-quads"})


@pytest.fixture(scope="module", params=["demo", "generated"])
def store(request):
    settings = Settings(store="memory:")
    opened = open_store("memory:", settings=settings)
    if request.param == "demo":
        for path in sorted(demo_dir().glob("*.json")):
            ingest_feed(opened, json.loads(path.read_text(encoding="utf-8")), settings=settings)
    else:
        ingest_feed(opened, single_feed(120), settings=settings)
    return opened


def test_each_line_is_the_rdf_of_pyld_compaction(store) -> None:
    feeds = feeds_from(store, 1)
    lines = list(writers.jsonld_lines(store, iter(feeds), writers.Counts()))
    assert len(lines) == len(feeds) >= 1
    for feed, line in zip(feeds, lines, strict=True):
        doc = json.loads(line)
        assert doc["@context"] == CONTEXT_URL and doc["id"] == feed.iri
        quads = writers.graph_quads(store, feed.iri, f"s{feed.sequence}g0_")
        by_pyld = pyld.compact(writers.expanded_graph(feed.iri, quads), CONTEXT_URL,
                               {"documentLoader": document_loader})
        ours = _canonical(doc)
        assert ours == _canonical(by_pyld), feed.iri
        graph = "".join(f"{q.subject} {q.predicate} {q.object} {q.graph_name} .\n"
                        for q in quads)
        assert ours == _canonical_nquads(graph), feed.iri
        assert ours.count("\n") == len(quads)


def test_lines_do_not_depend_on_the_order_of_triples(store) -> None:
    feed = feeds_from(store, 1)[0]
    quads = writers.graph_quads(store, feed.iri, "x")
    forward = writers.feed_jsonld(feed.iri, quads)
    assert writers.feed_jsonld(feed.iri, list(reversed(quads))) == forward
