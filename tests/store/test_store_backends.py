"""The store contract (alm_ld/store/base.py), checked on all three backends."""

from __future__ import annotations

import copy
import csv
import io
import json
import threading
import time
from collections.abc import Callable

import pytest
from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from alm_ld.errors import FeedConflict, InvalidFeed, MalformedQuery, QueryTimeout
from alm_ld.pipeline import current_counts, ingest_feed, metric_series
from alm_ld.resources import examples_dir
from alm_ld.store import Store
from alm_ld.vocab import VOCAB_GRAPH
from tests.store.conftest import load_fixture

FEED1 = "urn:uuid:0b0f7c3e-3d3a-4a39-9a4e-8d5d7f0f3a11"
FEED2 = "urn:uuid:5a1c2a6e-0a9b-4a7e-9b2f-2b1c8e7d6f02"
WORK1 = "https://doi.org/10.1371/journal.pone.0000001"
PREFIX = "PREFIX alm: <https://w3id.org/alm-ld/vocab#>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"


def _ingest_both(store: Store, settings) -> None:
    for name in ("feed-crossref-1.json", "feed-crossref-2.json"):
        assert ingest_feed(store, load_fixture(name), settings=settings).status == "created"


def test_vocabulary_graph_is_loaded(store: Store) -> None:
    assert VOCAB_GRAPH in store.graph_names()
    assert store.query(
        "ASK { GRAPH <https://w3id.org/alm-ld/vocab> { ?s ?p ?o } }").boolean is True


def test_ingest_reports_counts_and_writes_one_graph(store: Store, memory_settings) -> None:
    result = ingest_feed(store, load_fixture("feed-crossref-1.json"), settings=memory_settings)
    assert result.to_dict() == {"id": FEED1, "items": 4, "observations": 2, "events": 2,
                                "status": "created"}
    assert URIRef(FEED1) in store.graph_names()
    rows = store.query(PREFIX + f"SELECT ?seq WHERE {{ GRAPH <{FEED1}> {{ <{FEED1}> "
                       "alm:sequence ?seq } }").rows
    assert [int(r["seq"]) for r in rows] == [1]
    # identifiers are normalised: the upper-case doi: spelling meets its canonical node
    assert store.query(PREFIX + "ASK { ?o alm:work "
                       "<https://doi.org/10.1371/journal.pone.0000002> }").boolean
    # a cites event also links the two works
    assert store.query(f"ASK {{ <https://doi.org/10.5555/citing.work> "
                       f"<http://purl.org/spar/cito/cites> <{WORK1}> }}").boolean


def test_shipped_examples_ingest(store: Store, memory_settings) -> None:
    """Valid examples are created then unchanged; invalid ones are refused, nothing written."""
    index = json.loads((examples_dir() / "index.json").read_text(encoding="utf-8"))
    assert index, "engineer A's example feeds are missing"
    seen: set[str] = set()
    for name, expected in sorted(index.items()):
        data = (examples_dir() / name).read_bytes()
        profile = expected.get("profile", "base")
        if expected["valid"]:
            feed_id = json.loads(data)["id"]
            if feed_id in seen:  # examples reuse ids: another document under a used id
                with pytest.raises(FeedConflict):
                    ingest_feed(store, data, settings=memory_settings, profile=profile)
                continue
            seen.add(feed_id)
            result = ingest_feed(store, data, settings=memory_settings, profile=profile)
            assert result.status == "created", name
            again = ingest_feed(store, data, settings=memory_settings, profile=profile)
            assert again.status == "unchanged", name
        else:
            before = store.quads_count()
            with pytest.raises(InvalidFeed):
                ingest_feed(store, data, settings=memory_settings, profile=profile)
            assert store.quads_count() == before, name


def test_reingest_is_unchanged_and_writes_nothing(store: Store, memory_settings) -> None:
    ingest_feed(store, load_fixture("feed-crossref-1.json"), settings=memory_settings)
    before = store.quads_count()
    again = ingest_feed(store, load_fixture("feed-crossref-1.json"), settings=memory_settings)
    assert again.status == "unchanged"
    assert (again.items, again.observations, again.events) == (4, 2, 2)
    assert store.quads_count() == before


def test_same_id_other_content_is_a_conflict(store: Store, memory_settings) -> None:
    ingest_feed(store, load_fixture("feed-crossref-1.json"), settings=memory_settings)
    before = store.quads_count()
    changed = load_fixture("feed-crossref-1.json")
    changed["items"][0]["value"] = 99
    with pytest.raises(FeedConflict) as caught:
        ingest_feed(store, changed, settings=memory_settings)
    assert caught.value.status == 409 and FEED1 in caught.value.detail
    assert store.quads_count() == before


def test_invalid_feed_writes_nothing(store: Store, memory_settings) -> None:
    before, graphs = store.quads_count(), store.graph_names()
    bad = load_fixture("feed-crossref-1.json")
    bad["items"][0]["value"] = -3
    del bad["generated"]
    with pytest.raises(InvalidFeed) as caught:
        ingest_feed(store, bad, settings=memory_settings)
    assert caught.value.problems and all("message" in p for p in caught.value.problems)
    with pytest.raises(InvalidFeed):
        ingest_feed(store, b"{not json", settings=memory_settings)
    assert store.quads_count() == before and store.graph_names() == graphs


def test_revision_chain_and_current_counts(store: Store, memory_settings) -> None:
    _ingest_both(store, memory_settings)
    third = load_fixture("feed-crossref-2.json")
    third["id"] = "urn:uuid:5a1c2a6e-0a9b-4a7e-9b2f-2b1c8e7d6f03"
    third["items"] = [dict(third["items"][0], value=14)]
    assert ingest_feed(store, third, settings=memory_settings).status == "created"
    rows = store.query(PREFIX + f"""SELECT ?new ?old ?newValue ?oldValue WHERE {{
        ?new prov:wasRevisionOf ?old . ?new alm:value ?newValue . ?old alm:value ?oldValue .
        ?new alm:work <{WORK1}> }}""").rows
    chain = sorted((int(r["oldValue"]), int(r["newValue"])) for r in rows)
    assert chain == [(12, 13), (13, 14)]
    counts = current_counts(store, "10.1371/journal.pone.0000001")
    assert [(c["metric"].rsplit("/", 1)[1], c["value"], c["periodEnd"]) for c in counts] == [
        ("citations", 15, "2026-11-25")]
    series = metric_series(store, WORK1, "https://w3id.org/alm-ld/metrics/citations")
    assert [(s["periodEnd"], s["value"]) for s in series] == [
        ("2026-11-24", 14), ("2026-11-25", 15)]
    sequences = store.query(PREFIX + "SELECT ?seq WHERE { ?f alm:sequence ?seq }").rows
    assert sorted(int(r["seq"]) for r in sequences) == [1, 2, 3]


def test_default_graph_is_the_union(store: Store, memory_settings) -> None:
    _ingest_both(store, memory_settings)
    rows = store.query(PREFIX + "SELECT ?f WHERE { ?f a alm:Feed }").rows
    assert {str(r["f"]) for r in rows} == {FEED1, FEED2}
    # vocabulary and data join without GRAPH clauses
    assert store.query(PREFIX + "ASK { ?o alm:metric ?m . ?m ?p ?label }").boolean


def _dataset(data: bytes, fmt: str) -> dict[URIRef, object]:
    ds = Dataset()
    ds.parse(data=data, format=fmt)
    return {g.identifier: g for g in ds.graphs()
            if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID}


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_dump_load_round_trip_is_isomorphic(store_factory: Callable[[], Store], memory_settings,
                                            fmt: str) -> None:
    first = store_factory()
    _ingest_both(first, memory_settings)
    out = io.BytesIO()
    first.dump(out, fmt)
    original = out.getvalue()
    expected = _dataset(original, fmt)
    assert URIRef(FEED1) in expected and VOCAB_GRAPH in expected
    if store_factory.backend != "sparql":  # type: ignore[attr-defined]
        first.close()
    second = store_factory()  # empty (the sparql server is cleared), vocabulary loaded
    second.load_dump(io.BytesIO(original), fmt)
    again = io.BytesIO()
    second.dump(again, fmt)
    actual = _dataset(again.getvalue(), fmt)
    assert set(actual) == set(expected)
    for name, graph in expected.items():
        assert isomorphic(graph, actual[name]), name


def test_query_forms_and_formats(store: Store, memory_settings) -> None:
    _ingest_both(store, memory_settings)
    select = PREFIX + "SELECT ?f ?seq WHERE { ?f alm:sequence ?seq } ORDER BY ?seq"
    media, chunks = store.query_serialized(select, "json")
    doc = json.loads(b"".join(chunks))
    assert media == "application/sparql-results+json"
    assert [b["f"]["value"] for b in doc["results"]["bindings"]] == [FEED1, FEED2]
    _, chunks = store.query_serialized(select, "text/csv", limit=1)
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert rows == [["f", "seq"], [FEED1, "1"]]
    _, chunks = store.query_serialized(select, "tsv")
    lines = b"".join(chunks).decode().splitlines()
    assert lines[0] == "?f\t?seq" and lines[1].startswith(f"<{FEED1}>\t")
    _, chunks = store.query_serialized(select, "xml")
    assert b"<sparql" in b"".join(chunks)
    _, chunks = store.query_serialized(PREFIX + "ASK { ?f alm:sequence 2 }", "json")
    assert json.loads(b"".join(chunks))["boolean"] is True
    construct = PREFIX + "CONSTRUCT { ?f alm:sequence ?s } WHERE { ?f alm:sequence ?s }"
    media, chunks = store.query_serialized(construct, "text/turtle")
    assert media == "text/turtle" and FEED2.encode() in b"".join(chunks)
    assert len(store.query(construct).graph) == 2


def test_malformed_query(store: Store) -> None:
    with pytest.raises(MalformedQuery) as caught:
        store.query("SELECT ?x WHERE { ?x ?y }")
    assert caught.value.status == 400 and caught.value.detail
    with pytest.raises(MalformedQuery):
        store.query_serialized("SELEC nothing", "json")


CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


# rdflib's worker is stopped by an exception injected into its thread; one that lands in a gc
# callback is swallowed there (and reported by pytest as unraisable), which is why the worker
# injects again until the thread has unwound. The assertion below checks that it did.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_expensive_query_times_out(store: Store) -> None:
    """A cross join over the ~1,500 vocabulary triples (10^12 rows) cannot finish in 0.5 s,
    and its worker does not go on evaluating after the timeout."""
    before = set(threading.enumerate())
    with pytest.raises(QueryTimeout) as caught:
        store.query(CROSS_JOIN, timeout=0.5)
    assert caught.value.status == 503
    with pytest.raises(QueryTimeout):
        _, chunks = store.query_serialized(CROSS_JOIN, "json", timeout=0.5)
        for _ in chunks:
            pass
    deadline = time.monotonic() + 5
    while any(t.name.startswith("alm-ld-query") for t in set(threading.enumerate()) - before):
        assert time.monotonic() < deadline, "a timed-out query's worker is still running"
        time.sleep(0.05)
    # the store is still usable afterwards
    assert store.query("ASK { ?s ?p ?o }", timeout=30).boolean is True


def test_feed_graphs_are_listed_and_checked(store: Store, memory_settings) -> None:
    assert not store.has_graph(URIRef(FEED1))
    ingest_feed(store, copy.deepcopy(load_fixture("feed-crossref-1.json")),
                settings=memory_settings)
    assert store.has_graph(URIRef(FEED1))
