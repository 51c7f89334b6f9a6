"""What a whole ``alm-ld ingest`` / ``validate`` process does once its start-up got cheaper
(issue 15): the vocabulary graph a new store gets is the same graph as before, a changed
vocabulary still replaces the stored one, the vocabulary module is importable without rdflib
and still closed, and a one-feed CLI ingest into a new store is complete (view, alerts) and
idempotent. Behaviour only: the times are in benchmarks/ (docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from alm_ld.store import open_store
from alm_ld.store import vocab_graph as vg
from alm_ld.vocab import VOCAB_GRAPH

VOCAB_QUADS = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCAB_GRAPH}> {{ ?s ?p ?o }} }}"


def stored_vocabulary(spec: str) -> set[tuple[object, object, object]]:
    store = open_store(spec)
    try:
        graph = store.query(VOCAB_QUADS).graph
        assert graph is not None
        return set(graph)
    finally:
        store.close()


def rdflib_route() -> set[tuple[object, object, object]]:
    """The graph the rdflib route (parse, canonical labels, skolem IRIs) gives, with its mark."""
    graph = vg.vocabulary_graph()
    graph.add((VOCAB_GRAPH, vg.CONTENT_HASH, Literal(vg.vocabulary_hash())))
    return set(graph)


@pytest.mark.parametrize("spec", ["oxigraph:", "memory:", "oxigraph:{tmp}/store"])
def test_a_new_store_holds_the_vocabulary_the_rdflib_route_gives(spec: str,
                                                                 tmp_path: Path) -> None:
    assert stored_vocabulary(spec.format(tmp=tmp_path)) == rdflib_route()


def test_a_changed_vocabulary_replaces_the_stored_one(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path}/store"
    store = open_store(spec)
    stale = URIRef("https://w3id.org/alm-ld/vocab#RemovedTerm")
    store.add_graph(VOCAB_GRAPH, (  # an older vocabulary: another hash, a term since removed
        f'<{VOCAB_GRAPH}> <{vg.CONTENT_HASH}> "0000" .\n'
        f"<{stale}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<http://www.w3.org/2000/01/rdf-schema#Class> .\n").encode(), replace=True)
    store.close()
    assert stored_vocabulary(spec) == rdflib_route()


def test_a_vocabulary_with_blank_nodes_is_stored_with_skolem_iris(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ttl = tmp_path / "vocab.ttl"
    ttl.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                   "<https://w3id.org/alm-ld/vocab#x> owl:equivalentClass "
                   "[ owl:onProperty <https://w3id.org/alm-ld/vocab#p> ] .\n", encoding="utf-8")
    monkeypatch.setattr(vg, "vocab_path", lambda: ttl)
    data = vg.vocabulary_ntriples(ttl.read_bytes(), "abc").decode()
    assert "_:" not in data and vg.SKOLEM_PREFIX in data
    assert f'<{VOCAB_GRAPH}> <{vg.CONTENT_HASH}> "abc" .' in data


_VOCAB_PROBE = """
import sys
import alm_ld.vocab as vocab
assert "rdflib" not in sys.modules, "importing alm_ld.vocab imported rdflib"
from alm_ld.vocab import ALM, METRICS, RDF, VOCAB_GRAPH
assert str(ALM.Alert) == vocab.ALM_NS + "Alert" and str(RDF.type).endswith("#type")
assert str(METRICS.views) == vocab.METRICS_NS + "views"
assert str(VOCAB_GRAPH) == vocab.VOCAB_GRAPH_IRI
try:
    ALM.NoSuchTerm
except AttributeError:
    print("closed")
"""


def test_the_vocabulary_module_loads_rdflib_only_when_an_rdflib_name_is_used() -> None:
    done = subprocess.run([sys.executable, "-c", _VOCAB_PROBE], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"  # a misspelt term is still an error


def test_one_feed_into_a_new_store_is_complete_and_a_rerun_is_unchanged(
        tmp_path: Path) -> None:
    from benchmarks.datagen import single_feed

    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(single_feed(50, tag="process")), encoding="utf-8")
    spec = f"oxigraph:{tmp_path}/store"

    def ingest() -> dict[str, object]:
        done = subprocess.run([sys.executable, "-m", "alm_ld", "ingest", "--store", spec,
                               str(feed)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = ingest()
    assert first["status"] == "created" and first["items"] == 50
    store = open_store(spec)
    try:
        from alm_ld.analytics.current_view import view_is_current

        assert view_is_current(store)  # the view was written with the feed
        feed_id = str(first["id"])
        assert store.query(  # and the feed's alerts were computed (their mark is there)
            "ASK { GRAPH ?g { ?g <https://w3id.org/alm-ld/vocab#alertsComputedFor> "
            f"<{feed_id}> }} }}").boolean
    finally:
        store.close()
    assert ingest()["status"] == "unchanged"
