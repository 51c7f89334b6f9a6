"""The footer's promise, tested: the home page and /sources are also RDF at the same URL
(JSON-LD, Turtle, N-Triples, RDF/XML), as are works, the vocabulary and the SPARQL service.
Over real HTTP."""

from __future__ import annotations

import re

import pytest
import requests
from rdflib import RDF, Graph, Namespace, URIRef

DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
PROV = Namespace("http://www.w3.org/ns/prov#")
FORMATS = {"application/ld+json": "json-ld", "text/turtle": "turtle",
           "application/n-triples": "nt", "application/rdf+xml": "xml"}


def rdf(live, path, media):
    response = requests.get(live.url + path, headers={"Accept": media}, timeout=20)
    assert response.status_code == 200, (path, media, response.text[:300])
    assert response.headers["Content-Type"].split(";")[0] == media
    return Graph().parse(data=response.text, format=FORMATS[media],
                         publicID=live.url + path)


@pytest.mark.parametrize("media", list(FORMATS))
def test_home_is_a_dcat_catalog_of_the_void_dataset(loaded, media):
    graph = rdf(loaded, "/", media)
    catalog = URIRef(loaded.url + "/")
    dataset = URIRef(loaded.url + "/.well-known/void#dataset")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert (catalog, DCAT.dataset, dataset) in graph
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert (dataset, VOID.sparqlEndpoint, URIRef(loaded.url + "/sparql")) in graph
    urls = {str(u) for u in graph.objects(None, DCAT.accessURL)}
    assert {loaded.url + p for p in ("/sparql", "/changes", "/sources")} <= urls


@pytest.mark.parametrize("media", list(FORMATS))
def test_sources_are_providers_as_rdf(loaded, media):
    graph = rdf(loaded, "/sources", media)
    provider = URIRef("https://ror.org/02twcfp32")
    assert (provider, RDF.type, PROV.Agent) in graph
    assert (URIRef(loaded.url + "/sources"), URIRef("http://www.w3.org/2000/01/rdf-schema#member"),
            provider) in graph


def test_browsers_and_anything_still_get_the_page(loaded):
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*", None):
        response = requests.get(loaded.url + "/", timeout=20,
                                headers={"Accept": accept} if accept else {})
        assert response.headers["Content-Type"].startswith("text/html")
        assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]


def test_the_footer_names_only_what_is_true(loaded):
    page = requests.get(loaded.url + "/", headers={"Accept": "text/html"}, timeout=20).text
    footer = re.search(r'<footer class="site-footer">(.*?)</footer>', page, re.S).group(1)
    assert "This home page, every work, the" in footer
    for path in ("/", "/works/10.1371/journal.pone.0000001", "/sources", "/vocab", "/sparql"):
        for media in ("application/ld+json", "text/turtle"):
            assert len(rdf(loaded, path, media)) > 0, (path, media)
