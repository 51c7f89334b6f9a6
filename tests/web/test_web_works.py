"""GET /works/{id} over real HTTP: identifiers, content negotiation, caching, links, clients."""

from __future__ import annotations

import json

import pytest
import requests
from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from tests.web.webdata import FEED_ID, WORK

ACCEPTS = {
    "application/ld+json": "json-ld",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def get(live, path, accept=None, **kw):
    headers = {"Accept": accept} if accept else {}
    return requests.get(live.url + path, headers=headers, timeout=10, **kw)


@pytest.mark.parametrize("spelling", [
    "10.1371/journal.pone.0000001", "doi:10.1371/journal.pone.0000001",
    "DOI:10.1371/JOURNAL.PONE.0000001", "https://doi.org/10.1371/journal.pone.0000001",
])
def test_doi_spellings_reach_the_same_work(loaded, spelling):
    response = get(loaded, "/works/" + spelling, "text/turtle")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(WORK), None, None) in graph


def test_alias_redirects_to_canonical_work(loaded):
    response = get(loaded, "/works/pmid:17183631", allow_redirects=False)
    # the PMID also has its own observation, so it is a work of its own
    assert response.status_code == 200
    graph = Graph().parse(data=get(loaded, "/works/pmid:17183631", "text/turtle").text,
                          format="turtle")
    assert (URIRef("https://pubmed.ncbi.nlm.nih.gov/17183631"), None, None) in graph


def test_every_rdf_form_is_the_same_graph(loaded):
    graphs = {}
    for media, fmt in ACCEPTS.items():
        response = get(loaded, "/works/10.1371/journal.pone.0000001", media)
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] == media
        assert "Accept" in response.headers["Vary"]
        if fmt == "json-ld":
            doc = response.json()
            assert doc["@context"] == loaded.url + "/contexts/v1.jsonld"
            # expanded by pyld's *default* loader: it fetches the context from this server
            nquads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
            graphs[media] = Graph().parse(data=nquads, format="nquads")
        else:
            graphs[media] = Graph().parse(data=response.content, format=fmt)
    turtle = graphs["text/turtle"]
    assert len(turtle) > 30
    for media, graph in graphs.items():
        assert isomorphic(graph, turtle), media


def test_document_holds_observations_events_and_provenance(loaded):
    doc = get(loaded, "/works/10.1371/journal.pone.0000001", "application/ld+json").json()
    nodes = {node["id"]: node for node in doc["@graph"]}
    assert doc["@graph"][0]["id"] == WORK
    observations = [n for n in nodes.values()
                    if "https://w3id.org/alm-ld/vocab#Observation" in n.get("type", [])]
    assert {o["metric"] for o in observations} == {"citations", "views"}
    assert any(n.get("type") == ["Event"] for n in nodes.values())
    feed = nodes["urn:uuid:0b0f7c3e-3d3a-4a39-9a4e-8d5d7f0f3a11"]
    assert "Feed" in feed["type"] and feed["provider"] == "https://ror.org/02twcfp32"


def test_pyld_document_loader_fetches_the_work_itself(loaded):
    """pyld's default loader GETs the work URL (Accept: ld+json) — one alternate link only."""
    expanded = jsonld.expand(loaded.url + "/works/10.1371/journal.pone.0000001")
    assert any(node.get("@id") == WORK for node in expanded)


@pytest.mark.parametrize(("fmt", "media"), [
    ("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples"),
    ("rdf", "application/rdf+xml"), ("html", "text/html"),
])
def test_format_parameter_overrides_accept(loaded, fmt, media):
    response = get(loaded, f"/works/10.1371/journal.pone.0000001?format={fmt}",
                   "application/ld+json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media


def test_q_values_decide(loaded):
    response = get(loaded, "/works/10.1371/journal.pone.0000001",
                   "application/ld+json;q=0.5, text/turtle;q=0.9, */*;q=0.1")
    assert response.headers["Content-Type"].startswith("text/turtle")


def test_browser_gets_html(loaded):
    response = get(loaded, "/works/10.1371/journal.pone.0000001",
                   "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert response.headers["Content-Type"].startswith("text/html")
    assert "citations" in response.text and "journal.pone.0000001" in response.text


def test_nothing_acceptable_is_406_problem(loaded):
    response = get(loaded, "/works/10.1371/journal.pone.0000001", "image/png")
    assert response.status_code == 406
    assert response.headers["Content-Type"] == "application/problem+json"
    bad = get(loaded, "/works/10.1371/journal.pone.0000001?format=docx")
    assert bad.status_code == 406 and "ttl" in bad.json()["detail"]


def test_etag_and_if_none_match(loaded):
    first = get(loaded, "/works/10.1371/journal.pone.0000001", "text/turtle")
    etag = first.headers["ETag"]
    again = requests.get(loaded.url + "/works/10.1371/journal.pone.0000001",
                         headers={"Accept": "text/turtle", "If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    other = get(loaded, "/works/10.1371/journal.pone.0000001", "application/n-triples")
    assert other.headers["ETag"] != etag


def test_link_headers(loaded):
    ld = get(loaded, "/works/10.1371/journal.pone.0000001", "application/ld+json")
    assert ld.headers["Link"].count('rel="alternate"') == 1
    ttl = get(loaded, "/works/10.1371/journal.pone.0000001", "text/turtle")
    link = ttl.headers["Link"]
    assert 'type="application/ld+json"' in link
    assert loaded.url + "/contexts/v1.jsonld" in link
    assert len(ttl.raw.headers.getlist("Link")) == 1


def test_link_canonical_and_describedby(loaded):
    """Whatever id form is asked: rel="canonical" is the one URL of the work, and
    rel="describedby" leads to the VoID and to the feed the data came from — both resolve."""
    for asked in ("DOI:10.1371/JOURNAL.PONE.0000001", "10.1371/journal.pone.0000001"):
        for accept in ("application/ld+json", "text/turtle", "text/html"):
            response = get(loaded, "/works/" + asked, accept)
            links = requests.utils.parse_header_links(response.headers["Link"])
            canonical = [link["url"] for link in links if link["rel"] == "canonical"]
            assert canonical == [loaded.url + "/works/10.1371/journal.pone.0000001"]
            described = [link["url"] for link in links if link["rel"] == "describedby"]
            assert described[0] == loaded.url + "/.well-known/void"
            assert described[1:] == [loaded.url + "/feeds/" + FEED_ID]
    for url in described:
        assert requests.get(url, headers={"Accept": "text/turtle"}, timeout=10).status_code == 200
    assert jsonld.expand(loaded.url + "/works/10.1371/journal.pone.0000001")  # pyld still ok


def test_unknown_work_is_404_problem(loaded):
    response = get(loaded, "/works/10.9999/does.not.exist")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "10.9999/does.not.exist" in response.json()["detail"]


@pytest.mark.parametrize("bad", ["not-an-id", "pmid:abc", "http://example.org/x", "10.1/x"])
def test_malformed_id_is_400_naming_accepted_forms(loaded, bad):
    response = get(loaded, "/works/" + bad)
    assert response.status_code == 400
    problem = response.json()
    assert "pmid:" in problem["detail"] and "arxiv:" in problem["detail"]


def test_cors_on_public_get(loaded):
    response = get(loaded, "/works/10.1371/journal.pone.0000001")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_jsonld_builder_matches_turtle_on_oxigraph(live_server, tmp_path):
    from alm_ld.config import Settings
    from alm_ld.pipeline import ingest_feed
    from alm_ld.store import open_store
    from tests.web.webdata import feed_doc

    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    settings = Settings(store=f"oxigraph:{tmp_path / 'store'}")
    ingest_feed(store, feed_doc(), settings=settings)
    live = live_server(settings, store)
    ttl = Graph().parse(data=get(live, "/works/10.1371/journal.pone.0000001",
                                 "text/turtle").text, format="turtle")
    doc = json.loads(get(live, "/works/10.1371/journal.pone.0000001",
                         "application/ld+json").text)
    from_ld = Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads"}),
                            format="nquads")
    assert isomorphic(ttl, from_ld)
    store.close()
