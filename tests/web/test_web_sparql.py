"""/sparql over real HTTP: the W3C SPARQL 1.1 Protocol query cases (re-expressed), real
clients (SPARQLWrapper in all four result formats, rdflib SPARQLStore), safety refusals, timeout.
"""

from __future__ import annotations

import csv
import io
import time

import pytest
import requests
from rdflib import Graph, URIRef
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from tests.web.webdata import FEED_ID, WORK

ASK = "ASK {}"
PROBLEM = "application/problem+json"


def sparql(live, method="GET", params=None, data=None, headers=None):
    return requests.request(method, live.url + "/sparql", params=params, data=data,
                            headers=headers or {}, timeout=15)


# --- W3C SPARQL 1.1 Protocol query tests (protocol/manifest), positive ---

def test_query_get(loaded):
    response = sparql(loaded, params={"query": ASK})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_query_post_form(loaded):
    response = sparql(loaded, "POST", data={"query": ASK})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_query_post_direct(loaded):
    response = sparql(loaded, "POST", data=ASK.encode(),
                      headers={"Content-Type": "application/sparql-query; charset=UTF-8"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_query_dataset_default_graph(loaded):
    query = f"ASK {{ <{FEED_ID}> a <https://w3id.org/alm-ld/vocab#Feed> }}"
    response = sparql(loaded, "POST", params={"default-graph-uri": FEED_ID},
                      data=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200 and response.json()["boolean"] is True
    vocab_only = sparql(loaded, "POST", params={"default-graph-uri":
                                                "https://w3id.org/alm-ld/vocab"},
                        data=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert vocab_only.json()["boolean"] is False


def test_query_dataset_named_graphs(loaded):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = sparql(loaded, "POST", params={"named-graph-uri": FEED_ID}, data=query.encode(),
                      headers={"Content-Type": "application/sparql-query",
                               "Accept": "application/sparql-results+json"})
    graphs = [b["g"]["value"] for b in response.json()["results"]["bindings"]]
    assert graphs == [FEED_ID]


def test_query_multiple_dataset_uses_the_protocol_dataset(loaded):
    """SPARQL 1.1 Protocol §2.1.4: default-graph-uri / named-graph-uri replace FROM."""
    query = f"ASK FROM <https://w3id.org/alm-ld/vocab> {{ <{FEED_ID}> ?p ?o }}"
    response = sparql(loaded, "POST", params={"default-graph-uri": FEED_ID},
                      data=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200 and response.json()["boolean"] is True
    query = f"ASK FROM <{FEED_ID}> {{ <{FEED_ID}> ?p ?o }}"
    response = sparql(loaded, "POST", params={"default-graph-uri":
                                              "https://w3id.org/alm-ld/vocab"},
                      data=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200 and response.json()["boolean"] is False


def test_named_graphs_only_means_an_empty_default_graph(loaded):
    """SPARQL 1.1 Query §13.2: a dataset with named graphs only has an empty default graph."""
    query = f"ASK {{ <{FEED_ID}> ?p ?o }}"
    response = sparql(loaded, params={"query": query, "named-graph-uri": FEED_ID})
    assert response.json()["boolean"] is False
    query = f"ASK {{ GRAPH <{FEED_ID}> {{ <{FEED_ID}> ?p ?o }} }}"
    response = sparql(loaded, params={"query": query, "named-graph-uri": FEED_ID})
    assert response.json()["boolean"] is True


@pytest.mark.parametrize(("query", "types"), [
    ("SELECT (1 AS ?value) {}", {"application/sparql-results+json",
                                 "application/sparql-results+xml", "text/csv",
                                 "text/tab-separated-values"}),
    ("ASK {}", {"application/sparql-results+json", "application/sparql-results+xml"}),
    ("DESCRIBE <http://example.org/>", {"text/turtle", "application/n-triples",
                                        "application/rdf+xml", "application/ld+json"}),
    ("CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}",
     {"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"}),
])
def test_query_content_type(loaded, query, types):
    response = sparql(loaded, "POST", data=query.encode(),
                      headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] in types


# --- negative ---

def test_bad_query_method(loaded):
    response = requests.put(loaded.url + "/sparql", params={"query": ASK}, timeout=10)
    assert response.status_code == 405 and response.headers["Content-Type"] == PROBLEM


def test_bad_multiple_queries(loaded):
    response = sparql(loaded, params=[("query", ASK), ("query", "SELECT * {}")])
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM


def test_bad_query_wrong_media_type(loaded):
    response = sparql(loaded, "POST", data=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and response.headers["Content-Type"] == PROBLEM


@pytest.mark.parametrize("body", [b"query=ASK%20%7B%7D", b"ASK {}"])
def test_bad_query_missing_type(loaded, body):
    response = sparql(loaded, "POST", data=body, headers={"Content-Type": ""})
    assert response.status_code == 415


def test_bad_query_non_utf8(loaded):
    utf16 = sparql(loaded, "POST", data="ASK {}".encode("utf-16"),
                   headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert utf16.status_code in (400, 415) and utf16.headers["Content-Type"] == PROBLEM
    latin = sparql(loaded, "POST", data="ASK { ?s ?p \"caf\xe9\" }".encode("latin-1"),
                   headers={"Content-Type": "application/sparql-query"})
    assert latin.status_code == 400


def test_bad_query_syntax(loaded):
    response = sparql(loaded, params={"query": "ASK {"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("malformed-query") and problem["line"] == 1


@pytest.mark.parametrize("request_kwargs", [
    {"params": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": b"CLEAR ALL",
     "headers": {"Content-Type": "application/sparql-update"}},
    {"params": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
    {"params": {"query": "LOAD <http://example.org/data.ttl>"}},
    {"params": {"query": "DROP ALL"}},
])
def test_updates_are_refused(loaded, request_kwargs):
    response = sparql(loaded, **request_kwargs)
    assert response.status_code == 400
    assert response.json()["type"].endswith("query-refused")
    assert response.json()["feature"] == "update"
    still = sparql(loaded, params={"query": f"ASK {{ <{WORK}> ?p ?o }}"})
    assert still.json()["boolean"] is True


def test_service_is_refused(loaded):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = sparql(loaded, params={"query": query})
    assert response.status_code == 400 and response.json()["feature"] == "SERVICE"


def test_service_word_in_a_string_is_fine(loaded):
    response = sparql(loaded, params={"query": 'SELECT ("SERVICE <x> {}" AS ?v) {} # LOAD <y>'})
    assert response.status_code == 200


@pytest.mark.parametrize("iri", ["http://127.0.0.1:9/data.ttl", "file:///etc/passwd"])
def test_a_graph_not_held_is_an_empty_graph(loaded, iri):
    """Nothing is fetched or read (tests/security/test_dataset_never_fetched.py watches the
    network): the graph is simply empty, whichever way it is named."""
    queries = [(f"SELECT * FROM <{iri}> WHERE {{ ?s ?p ?o }}", {}),
               (f"SELECT * FROM NAMED <{iri}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
               ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": iri}),
               ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": iri})]
    for query, dataset in queries:
        response = sparql(loaded, params={"query": query, **dataset})
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == []


def test_from_a_stored_graph_is_allowed(loaded):
    query = f"ASK FROM <{FEED_ID}> {{ <{FEED_ID}> ?p ?o }}"
    assert sparql(loaded, params={"query": query}).json()["boolean"] is True


def test_not_acceptable_is_406(loaded):
    response = sparql(loaded, params={"query": ASK}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406 and response.headers["Content-Type"] == PROBLEM


def test_unknown_parameters_are_ignored(loaded):
    response = sparql(loaded, params={"query": ASK, "format": "json", "output": "xml",
                                      "results": "csv"},
                      headers={"Accept": "application/sparql-results+xml"})
    assert response.headers["Content-Type"].startswith("application/sparql-results+xml")


def test_result_limit(live_server):
    live = live_server(result_limit=3)
    response = sparql(live, params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                      headers={"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 1 + 3


def test_service_description(loaded):
    response = sparql(loaded)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "endpoint"), URIRef(loaded.url + "/sparql")) in graph
    assert (None, URIRef(sd + "name"), URIRef(FEED_ID)) in graph


# --- real clients ---

@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_every_result_format(loaded, fmt):
    client = SPARQLWrapper(loaded.url + "/sparql")
    client.setQuery(f"SELECT ?metric ?value WHERE {{ ?o <https://w3id.org/alm-ld/vocab#work> "
                    f"<{WORK}> ; <https://w3id.org/alm-ld/vocab#metric> ?metric ; "
                    "<https://w3id.org/alm-ld/vocab#value> ?value } ORDER BY ?metric")
    client.setReturnFormat(fmt)
    result = client.query()
    converted = result.convert()
    if fmt == JSON:
        values = [b["value"]["value"] for b in converted["results"]["bindings"]]
    elif fmt == XML:
        values = [n.firstChild.data for n in converted.getElementsByTagName("literal")]
    else:
        text = converted.decode() if isinstance(converted, bytes) else converted
        values = [line.split("," if fmt == CSV else "\t")[1] for line in text.splitlines()[1:]]
        values = [v.split("^^")[0].strip('"') for v in values]
    assert values == ["12", "340"]


def test_sparqlwrapper_post_and_construct(loaded):
    from SPARQLWrapper import POST, TURTLE
    client = SPARQLWrapper(loaded.url + "/sparql")
    client.setMethod(POST)
    client.setQuery(f"CONSTRUCT {{ <{WORK}> ?p ?o }} WHERE {{ <{WORK}> ?p ?o }}")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert (URIRef(WORK), None, None) in graph


def test_rdflib_sparqlstore(loaded):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(SPARQLStore(loaded.url + "/sparql", returnFormat="json"))
    rows = list(graph.query(f"SELECT ?p WHERE {{ <{WORK}> ?p ?o }}"))
    assert rows
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    triples = list(graph.triples((URIRef(WORK), None, None)))
    assert triples


def test_concurrent_first_queries_all_succeed(loaded):
    from concurrent.futures import ThreadPoolExecutor

    queries = [f"SELECT ?o WHERE {{ <{WORK}> ?p ?o }} LIMIT {n}" for n in range(1, 25)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda q: sparql(loaded, params={"query": q}).status_code,
                                 queries))
    assert set(statuses) == {200}


# --- timeout ---

SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
        "?m ?n2 ?o }")


@pytest.mark.parametrize("spec", ["memory:", "oxigraph:"])
def test_long_query_is_stopped_and_next_request_served(loaded, live_server, spec):
    from alm_ld.config import Settings
    from alm_ld.pipeline import ingest_feed
    from alm_ld.store import open_store
    from tests.web.webdata import feed_doc

    store = open_store(spec)
    settings = Settings(store=spec, query_timeout=1.0)
    ingest_feed(store, feed_doc(), settings=settings)
    live = live_server(settings, store)
    started = time.monotonic()
    response = sparql(live, params={"query": SLOW})
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["type"].endswith("query-timeout")
    assert elapsed < settings.query_timeout + 1.0
    after = sparql(live, params={"query": ASK})
    assert after.status_code == 200
