"""Discovery resources and API-wide guarantees (problem+json, no 500) over real HTTP."""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

from tests.web.webdata import FEED_ID

# A plain IRI, not rdflib's XSD namespace: pytest looks up attributes such as ``_mock_name``
# on every module global, and rdflib's defined namespaces warn on unknown names.
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")

VOID = "http://rdfs.org/ns/void#"


def test_context_served_as_jsonld_with_cors_and_cache(loaded_app):
    response = loaded_app.get("/contexts/v1.jsonld")
    assert response.headers["Content-Type"] == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=" in response.headers["Cache-Control"]
    assert "@context" in response.get_json()
    assert loaded_app.get("/contexts/..%2Fpyproject.toml").status_code == 404


def test_schemas(loaded_app):
    listing = loaded_app.get("/schemas").get_json()["schemas"]
    assert listing
    response = loaded_app.get(listing[0])
    assert response.headers["Content-Type"] == "application/schema+json"
    assert "$schema" in response.get_json()
    assert loaded_app.get("/schemas/nope.json").status_code == 404


def test_vocab_conneg(loaded_app):
    ttl = loaded_app.get("/vocab", headers={"Accept": "text/turtle"})
    assert ttl.headers["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=ttl.text, format="turtle")) > 50
    ld = loaded_app.get("/vocab", headers={"Accept": "application/ld+json"})
    assert ld.headers["Content-Type"] == "application/ld+json"
    html = loaded_app.get("/vocab", headers={"Accept": "text/html"})
    assert html.headers["Content-Type"].startswith("text/html")


def test_vocab_page_groups_defines_and_crosswalks_every_term(loaded_app):
    """The HTML page is built from the served graph: every alm: class and property and every
    metric has its own anchor, its definition, and the metrics their crosswalk."""
    import re
    from html import unescape

    from rdflib import OWL, RDF, RDFS, SKOS

    page = loaded_app.get("/vocab", headers={"Accept": "text/html"}).text
    graph = Graph().parse(data=loaded_app.get("/vocab?format=ttl").text,
                          format="turtle")
    assert re.findall(r'<h2 id="([a-z]+)">', page) == [
        "classes", "properties", "values", "categories", "metrics", "relations"]
    anchors = re.findall(r'<dt id="([^"]+)">', page)
    assert len(anchors) == len(set(anchors))
    alm = "https://w3id.org/alm-ld/vocab#"
    for kind, types in (("class", (RDFS.Class,)), ("property", (RDF.Property,
                                                                 OWL.ObjectProperty))):
        for term in {s for t in types for s in graph.subjects(RDF.type, t)
                     if str(s).startswith(alm)}:
            assert f'<dt id="{kind}-{str(term)[len(alm):]}">' in page, term
    citations = page[page.index('<dt id="metric-citations">'):]
    citations = citations[:citations.index("</dd>")]
    definition = graph.value(URIRef("https://w3id.org/alm-ld/metrics/citations"),
                             SKOS.definition)
    assert str(definition) in unescape(citations)
    assert 'href="#category-cited"' in citations
    assert "Crosswalk of Citations" in citations and "mappings/plumx/Citations" in citations


def test_void_statistics(loaded_app):
    response = loaded_app.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.text, format="turtle")
    dataset = URIRef(loaded_app.url + "/.well-known/void#dataset")
    assert (dataset, URIRef(VOID + "sparqlEndpoint"), URIRef(loaded_app.url + "/sparql")) in graph
    assert int(graph.value(dataset, URIRef(VOID + "triples"))) > 50
    feeds = [p for p in graph.objects(dataset, URIRef(VOID + "classPartition"))
             if graph.value(p, URIRef(VOID + "class")) ==
             URIRef("https://w3id.org/alm-ld/vocab#Feed")]
    assert graph.value(feeds[0], URIRef(VOID + "entities")) == Literal(1, datatype=XSD_INTEGER)


def test_healthz(loaded_app):
    response = loaded_app.get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_openapi_describes_every_route(loaded_app):
    doc = loaded_app.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    described = set(doc["paths"])
    for rule in loaded_app.app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.rstrip("/") == "/schemas" and \
                "/schemas" in described:
            continue
        path = rule.rule.replace("<path:identifier>", "{id}").replace("<path:feed_id>", "{id}")
        path = path.replace("<name>", "{name}")
        if rule.endpoint.split(".")[0] in ("discovery", "works", "sparql", "feeds"):
            assert path in described, path


def test_options_preflight(loaded_app):
    response = loaded_app.options("/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(["/works/", "/feeds/", "/contexts/", "/schemas/", "/sparql?query=",
                             "/works/doi:", "/vocab?format=", "/.well-known/void?format="]),
       tail=_text, accept=st.sampled_from(["", "*/*", "text/html", "x/y;q=abc", ",,,",
                                           "application/ld+json;q=0"]))
def test_fuzz_get_never_500(fuzz_server, path, tail, accept):
    response = requests.get(fuzz_server.url + path + requests.utils.quote(tail, safe=""),
                            headers={"Accept": accept} if accept else {}, timeout=10)
    assert response.status_code < 500 or response.status_code == 503
    if response.status_code >= 400:  # browsers asking for HTML get the problem as a page
        assert response.headers["Content-Type"] == (
            "text/html; charset=utf-8" if accept == "text/html" else "application/problem+json")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=200) | _text.map(str.encode),
       content_type=st.sampled_from(["application/ld+json", "application/json",
                                     "application/sparql-query",
                                     "application/x-www-form-urlencoded", "text/plain", ""]),
       path=st.sampled_from(["/validate", "/sparql", "/feeds", "/validate?profile=strict"]))
def test_fuzz_post_never_500(fuzz_server, body, content_type, path):
    headers = {"Content-Type": content_type, "Authorization": "Bearer secret"}
    response = requests.post(fuzz_server.url + path, data=body, headers=headers, timeout=10)
    assert response.status_code < 500 or response.status_code == 503, response.text
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"


def test_feed_listed_in_service_description(loaded_app):
    assert FEED_ID in loaded_app.get("/sparql").text
