"""Analytics documents name short, cacheable context URLs that any JSON-LD processor resolves.

``/works/{id}/metrics``, ``/alerts``, ``/sources`` and ``/works/{id}/related`` carry
``"@context": ["<base>/contexts/v1.jsonld", "<base>/contexts/analytics-v1.jsonld"]``: pyld with
its *default* document loader fetches both from the live server (the only network used), and
alm-ld's offline loader reads the packaged copies — both give the same triples.
"""

from __future__ import annotations

import json

import pytest
import requests
from pyld import jsonld as pyld_jsonld
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from alm_ld import jsonld
from alm_ld.analytics.contexts import ANALYTICS_CONTEXT_NAME, analytics_context
from alm_ld.resources import context_document, context_path
from tests.analytics.feeds import count, event, feed

WORK = "https://doi.org/10.5555/ctx.1"
ALM = Namespace("https://w3id.org/alm-ld/vocab#")
QB = Namespace("http://purl.org/linked-data/cube#")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
RDFS_MEMBER = URIRef("http://www.w3.org/2000/01/rdf-schema#member")


@pytest.fixture
def live(live_server, store, ingest):
    """A decrease (30 → 25 citations) so /alerts has an alert, plus one event for /related."""
    ingest(feed([count(WORK, 30, "2026-01-31"), event("https://doi.org/10.5555/ctx.citing",
                                                      "cites", WORK, source="crossref")]),
           feed([count(WORK, 25, "2026-02-28")]))
    return live_server(store=store)


def _doc(live, path: str) -> dict:
    response = requests.get(live.url + path, headers={"Accept": "application/ld+json"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _by_default_loader(doc: dict) -> Graph:
    nquads = pyld_jsonld.to_rdf(doc, {"format": "application/n-quads"})
    return Graph().parse(data=nquads, format="nquads")


def _offline(doc: dict) -> Graph:
    return Graph().parse(data=jsonld.to_rdf_nquads(doc), format="nquads")


def test_context_file_served_like_v1(live):
    response = requests.get(f"{live.url}/contexts/{ANALYTICS_CONTEXT_NAME}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert response.headers["ETag"]
    assert response.content == context_path(ANALYTICS_CONTEXT_NAME).read_bytes()
    again = requests.get(f"{live.url}/contexts/{ANALYTICS_CONTEXT_NAME}",
                         headers={"If-None-Match": response.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_analytics_context_only_adds_to_protected_v1():
    """v1 is @protected: a term the analytics context shares with it must be defined alike."""
    v1 = context_document("v1.jsonld")["@context"]
    analytics = context_document(ANALYTICS_CONTEXT_NAME)["@context"]
    shared = {k for k in set(v1) & set(analytics) if not k.startswith("@")}
    assert shared == {"alm", "prov", "xsd"}
    assert all(v1[k] == analytics[k] for k in shared)


@pytest.mark.parametrize("path", ["/works/10.5555/ctx.1/metrics", "/alerts", "/sources",
                                  "/works/10.5555/ctx.1/related"])
def test_every_analytics_document_names_the_two_context_urls(live, path):
    doc = _doc(live, path)
    assert doc["@context"] == [f"{live.url}/contexts/v1.jsonld",
                               f"{live.url}/contexts/{ANALYTICS_CONTEXT_NAME}"]
    graph = _by_default_loader(doc)
    assert (URIRef(doc["id"]), None, None) in graph
    assert isomorphic(graph, _offline(doc))


def test_metrics_expand_to_data_cube_triples(live):
    doc = _doc(live, "/works/10.5555/ctx.1/metrics")
    for graph in (_by_default_loader(doc), _offline(doc)):
        dataset = URIRef(doc["id"])
        assert (dataset, RDF.type, QB.DataSet) in graph
        assert (dataset, ALM.work, URIRef(WORK)) in graph
        observations = set(graph.subjects(RDF.type, QB.Observation))
        assert len(observations) == 2
        values = {graph.value(o, ALM.value) for o in observations}
        assert values == {Literal(30, datatype=XSD_INTEGER), Literal(25, datatype=XSD_INTEGER)}
        [one_slice] = graph.objects(dataset, QB.slice)
        assert (one_slice, ALM.metric, URIRef("https://w3id.org/alm-ld/metrics/citations")) \
            in graph


def test_alerts_expand_to_alert_triples(live):
    doc = _doc(live, "/alerts")
    for graph in (_by_default_loader(doc), _offline(doc)):
        [alert] = graph.objects(URIRef(doc["id"]), RDFS_MEMBER)
        assert (alert, RDF.type, ALM.Alert) in graph
        assert (alert, ALM.alertType, ALM.CountDecreased) in graph
        assert (alert, ALM.work, URIRef(WORK)) in graph
        assert (alert, ALM.value, Literal(25, datatype=XSD_INTEGER)) in graph
        assert (alert, ALM.previousValue, Literal(30, datatype=XSD_INTEGER)) in graph
        assert (alert, ALM.source, URIRef("https://w3id.org/alm-ld/sources/crossref")) in graph


def test_rdflib_reads_the_inlined_contexts_alike(live):
    """rdflib cannot take a document loader: alm_ld.jsonld inlines both packaged contexts."""
    doc = _doc(live, "/alerts")
    inlined = jsonld.with_inline_context(doc)
    assert all(isinstance(c, dict) for c in inlined["@context"])
    graph = Graph().parse(data=json.dumps(inlined), format="json-ld")
    assert isomorphic(graph, _offline(doc))


def test_permanent_urls_resolve_offline():
    """Without a base URL (library use) the w3id URLs name the same packaged files."""
    [node] = jsonld.expand({"@context": analytics_context(), "id": "urn:x:1", "type": "Alert",
                            "work": WORK, "value": 3})
    assert node["@type"] == [str(ALM.Alert)]
    assert node[str(ALM.work)] == [{"@id": WORK}]
    assert node[str(ALM.value)] == [{"@value": 3, "@type": str(XSD_INTEGER)}]
