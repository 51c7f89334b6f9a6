"""GET /works/{id} served from the document kept in the store (issue 15): the served documents
are the ones built by query (isomorphic RDF) on the demo and on generated data after revisions
and a sameAs merge; ETag/If-None-Match answer 304 until a feed about the work changes it; kept
documents are shared by every server of one store and survive a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from alm_ld.analytics.sparql import select
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from alm_ld.web.work_document import document_graph, work_graph, work_path
from tests.analytics.feeds import count, feed

DEMO = sorted((Path(__file__).resolve().parents[2] / "alm_ld" / "data" / "demo").glob("*.json"))
A = "https://doi.org/10.5555/kept-a"
ALIAS = "https://pubmed.ncbi.nlm.nih.gov/1234567"


def get(live: Any, work: str, accept: str = "text/turtle", **headers: str) -> requests.Response:
    return requests.get(live.url + work_path(work), headers={"Accept": accept, **headers},
                        timeout=30)


def served(live: Any, work: str, accept: str = "text/turtle") -> Graph:
    response = get(live, work, accept)
    assert response.status_code == 200, response.text[:300]
    fmt = "json-ld" if "json" in accept else "turtle"
    return Graph().parse(data=response.text, format=fmt, publicID=live.url)


def works_in(store: Any) -> list[str]:
    return sorted({r["w"] for r in select(store, """SELECT DISTINCT ?w WHERE { GRAPH ?g {
      ?g alm:sequence ?s . { ?o alm:work ?w } UNION { ?e alm:object ?w } } }""")})


def assert_served_as_built(live: Any, works: list[str]) -> None:
    for work in works:
        built = work_graph(live.store, work)
        assert len(built), work
        assert isomorphic(served(live, work), built), work


def test_demo_documents_are_the_ones_built_by_query(live_server) -> None:
    store = open_store("oxigraph:")
    settings = Settings(store="oxigraph:")
    for path in DEMO:
        ingest_feed(store, path.read_bytes(), settings=settings)
    live = live_server(settings, store)
    works = works_in(store)
    assert len(works) > 10
    assert_served_as_built(live, works)  # built and kept
    assert_served_as_built(live, works)  # served from what was kept
    for work in works[:3]:  # JSON-LD, expanded with the context this server serves
        assert isomorphic(served(live, work, "application/ld+json"), work_graph(store, work))


def test_revisions_and_a_same_as_merge_change_the_document_and_its_etag(live_server) -> None:
    store = open_store("oxigraph:")
    settings = Settings(store="oxigraph:")
    ingest_feed(store, feed([count(A, 10, "2026-01-31"), count(ALIAS, 3, "2026-01-31")]),
                settings=settings)
    live = live_server(settings, store)
    first = get(live, A)
    etag = first.headers["ETag"]
    assert get(live, A, **{"If-None-Match": etag}).status_code == 304
    json_etag = get(live, A, "application/ld+json").headers["ETag"]
    assert json_etag != etag  # one ETag per representation

    ingest_feed(store, feed([count(A, 9, "2026-01-31")]), settings=settings)  # revised down
    after = get(live, A, **{"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "9" in after.text
    assert_served_as_built(live, [A, ALIAS])

    ingest_feed(store, feed([{"type": "Work", "id": A, "title": "Merged", "sameAs": [ALIAS]},
                             count(ALIAS, 4, "2026-02-28")]), settings=settings)
    assert_served_as_built(live, [A, ALIAS])
    assert "Merged" in get(live, A).text

    # A feed about another work leaves the document (and its ETag) as it was.
    etag = get(live, A).headers["ETag"]
    ingest_feed(store, feed([count("https://doi.org/10.5555/kept-other", 1, "2026-01-31")]),
                settings=settings)
    assert get(live, A, **{"If-None-Match": etag}).status_code == 304


def test_two_servers_of_one_sparql_store_serve_the_current_document(
        live_server, sparql_store_spec: str) -> None:
    settings = Settings(store=sparql_store_spec)
    one = live_server(settings, open_store(sparql_store_spec))
    two = live_server(settings, open_store(sparql_store_spec))
    ingest_feed(one.store, feed([count(A, 10, "2026-01-31")]), settings=settings)
    for live in (one, two):  # one keeps the document, the other serves what was kept
        assert isomorphic(served(live, A), work_graph(live.store, A))
    ingest_feed(two.store, feed([count(A, 12, "2026-02-28")]), settings=settings)
    for live in (one, two):
        assert isomorphic(served(live, A), work_graph(live.store, A))
        assert "12" in get(live, A).text


def test_kept_documents_survive_a_restart(live_server, tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'store'}"
    settings = Settings(store=spec)
    store = open_store(spec)
    ingest_feed(store, feed([count(A, 10, "2026-01-31")]), settings=settings)
    live = live_server(settings, store)
    assert get(live, A).status_code == 200
    store.close()
    with open_store(spec) as reopened:
        kept = kept_tag(reopened)
        assert kept is not None  # kept in the store, not in the process
        again = live_server(settings, reopened)
        etag = get(again, A).headers["ETag"]
        assert kept_tag(reopened) == kept  # served from it, not rebuilt
        assert get(again, A, **{"If-None-Match": etag}).status_code == 304
        assert isomorphic(served(again, A), work_graph(reopened, A))


def kept_tag(store: Any) -> tuple[str, str] | None:
    rows = select(store, f"""SELECT ?tag ?at WHERE {{ GRAPH <{document_graph(A)}> {{
      ?d alm:documentTag ?tag ; alm:asOf ?at }} }}""")
    return (rows[0]["tag"], str(rows[0]["at"])) if rows else None


def test_a_kept_body_keeps_literals_with_unicode_line_separators() -> None:
    """N-Triples leaves U+2028, U+0085 and \\x1c raw inside literals; the kept body must not
    split there (it did: every page of such a work answered 500)."""
    from rdflib import Literal, URIRef

    from alm_ld.web.work_document import _canonical, document_from_body

    graph = Graph()
    for n, text in enumerate(("a\u2028b", "c\u0085d", "e\x1cf", "g\u2029h\x0bi\x0cj")):
        graph.add((URIRef(A), URIRef(f"http://e/p{n}"), Literal(text)))
    assert isomorphic(document_from_body(_canonical(graph)), graph)
