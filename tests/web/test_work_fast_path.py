"""``GET /works/{id}`` sent again by the WSGI fast path is the answer Flask sent (issue 15).

:class:`alm_ld.web.fast_path.WorkFastPath` keeps the works view's answers (status, headers, body)
and sends them again without Flask while the work's document is current. Over real HTTP: the
first request of a kind is the view's, the second the fast path's (checked by its counter); both
must match byte for byte, headers included (``Date``/``Server`` aside), for every representation,
compressed or not, and for 304s. A feed about the work — ingested by another app on the same
store, or by another server of a shared ``sparql:`` store — must end the replays at once; a feed
about another work must not.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from alm_ld.vocab import ALM_NS
from alm_ld.web.pages.work_view import build_work_page
from alm_ld.web.work_document import work_graph, work_path
from tests.analytics.feeds import count, feed

A = "https://doi.org/10.5555/fast-a"
B = "https://doi.org/10.5555/fast-b"
PROV_REVISION = URIRef("http://www.w3.org/ns/prov#wasRevisionOf")


def fast(live: Any) -> Any:
    return live.app.wsgi_app.works


def get(live: Any, work: str, query: str = "", **headers: str) -> requests.Response:
    return requests.get(live.url + work_path(work) + query, headers=headers, timeout=30,
                        stream=True)


def twice(live: Any, work: str, query: str = "", **headers: str
          ) -> tuple[requests.Response, bytes, requests.Response, bytes]:
    """The view's answer and the fast path's answer to the same request."""
    before = fast(live).answered
    first = get(live, work, query, **headers)
    first_body = first.raw.read()
    assert fast(live).answered == before  # the view answered and the answer was kept
    second = get(live, work, query, **headers)
    second_body = second.raw.read()
    assert fast(live).answered == before + 1  # sent again without Flask
    return first, first_body, second, second_body


def assert_same(one: requests.Response, one_body: bytes, two: requests.Response,
                two_body: bytes) -> None:
    skip = {"date", "server"}
    assert one.status_code == two.status_code
    assert one_body == two_body  # the bytes sent, compressed or not
    assert {k.lower(): v for k, v in one.headers.items() if k.lower() not in skip} == \
        {k.lower(): v for k, v in two.headers.items() if k.lower() not in skip}


@pytest.fixture
def live(live_server: Any) -> Any:
    store = open_store("oxigraph:")
    settings = Settings(store="oxigraph:")
    ingest_feed(store, feed([count(A, 10, "2026-01-31"), count(B, 3, "2026-01-31"),
                             {"type": "Work", "id": A, "title": "Fast " + "x" * 2000}]),
                settings=settings)
    return live_server(settings, store)


@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle", "application/n-triples",
                                    "application/rdf+xml", "*/*",
                                    "text/turtle;q=0.5, application/ld+json"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_replayed_answer_is_the_views_answer(live: Any, accept: str, encoding: str) -> None:
    first, first_body, second, second_body = twice(live, A, **{"Accept": accept,
                                                               "Accept-Encoding": encoding})
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert (first.headers.get("Content-Encoding") == "gzip") == (encoding == "gzip")
    assert_same(first, first_body, second, second_body)


@pytest.mark.parametrize("query", ["?format=ttl", "?format=jsonld"])
def test_format_parameter_answers_are_replayed_as_sent(live: Any, query: str) -> None:
    assert_same(*twice(live, A, query, **{"Accept": "text/html"}))


def test_not_modified_is_the_views_304(live: Any) -> None:
    for encoding in ("identity", "gzip"):
        etag = get(live, A, **{"Accept": "text/turtle", "Accept-Encoding": encoding}
                   ).headers["ETag"]
        first, first_body, second, second_body = twice(
            live, A, **{"Accept": "text/turtle", "Accept-Encoding": encoding,
                        "If-None-Match": etag})
        assert first.status_code == 304
        assert_same(first, first_body, second, second_body)
        other = get(live, A, **{"Accept": "text/turtle", "Accept-Encoding": encoding,
                                "If-None-Match": '"not-this-one"'})
        assert other.status_code == 200 and other.headers["ETag"] == etag


def test_html_other_routes_and_unknown_works_are_never_replayed(live: Any) -> None:
    before = fast(live).answered
    for _ in range(2):
        assert get(live, A, **{"Accept": "text/html"}).status_code == 200
        assert get(live, A, "/metrics").status_code == 200
        assert get(live, "https://doi.org/10.5555/unknown").status_code == 404
        assert get(live, A, **{"Accept": "image/png"}).status_code == 406
    assert fast(live).answered == before


def test_two_apps_on_one_store_never_replay_a_changed_document(live_server: Any) -> None:
    """A feed written through another app of the same embedded store ends the replays of the
    work it mentions, and only those."""
    store = open_store("oxigraph:")
    settings = Settings(store="oxigraph:", tokens=("secret",))
    ingest_feed(store, feed([count(A, 10, "2026-01-31"), count(B, 3, "2026-01-31")]),
                settings=settings)
    one, two = live_server(settings, store), live_server(settings, store)
    twice(one, A, **{"Accept": "text/turtle"})
    twice(one, B, **{"Accept": "text/turtle"})
    old_etag = get(one, A, **{"Accept": "text/turtle"}).headers["ETag"]

    response = requests.post(two.url + "/feeds", json=feed([count(A, 12, "2026-01-31")]),
                             headers={"Authorization": "Bearer secret",
                                      "Content-Type": "application/ld+json"}, timeout=30)
    assert response.status_code in (200, 201, 202), response.text[:300]
    before = fast(one).answered
    changed = get(one, A, **{"Accept": "text/turtle"})
    assert fast(one).answered == before  # not replayed: the view made the new document
    assert changed.headers["ETag"] != old_etag and "12" in changed.text
    assert get(one, B, **{"Accept": "text/turtle"}).status_code == 200
    assert fast(one).answered == before + 1  # B's answer is still current: replayed
    assert isomorphic(Graph().parse(data=get(one, A, **{"Accept": "text/turtle"}).text,
                                    format="turtle"), work_graph(store, A))


def test_servers_of_one_sparql_store_never_replay_a_changed_document(
        live_server: Any, sparql_store_spec: str) -> None:
    """Other processes write a shared store unseen: every replay asks the store first."""
    settings = Settings(store=sparql_store_spec)
    one = live_server(settings, open_store(sparql_store_spec))
    two = live_server(settings, open_store(sparql_store_spec))
    ingest_feed(one.store, feed([count(A, 10, "2026-01-31")]), settings=settings)
    twice(one, A, **{"Accept": "application/ld+json"})
    ingest_feed(two.store, feed([count(A, 13, "2026-02-28")]), settings=settings)
    before = fast(one).answered
    after = get(one, A, **{"Accept": "application/ld+json"})
    assert fast(one).answered == before and "13" in after.text
    again = get(one, A, **{"Accept": "application/ld+json"})
    assert fast(one).answered == before + 1 and again.text == after.text  # the new one, replayed


def test_current_is_one_rule_for_the_page_the_metrics_and_the_document(app_client: Any) -> None:
    """Two feeds, the later one with an OLDER periodEnd; then a revision of the newer period.
    The page's current value and /works/{id}/metrics agree (the latest period's value from its
    newest feed, analytics.series.newest_per_key), and the document holds every observation
    with the revision link the feeds gave."""
    store = open_store("oxigraph:")
    settings = Settings(store="oxigraph:")
    ingest_feed(store, feed([count(A, 10, "2026-02-28")]), settings=settings)
    ingest_feed(store, feed([count(A, 7, "2026-01-31")]), settings=settings)  # later, older end
    client = app_client(settings, store)

    def current() -> tuple[int, int]:
        metrics = client.get(work_path(A) + "/metrics").get_json()
        (series,) = [s for s in metrics["slice"] if s["aggregation"] == "cumulative"]
        page = build_work_page(store, A, base_url=client.url)
        (value,) = [v for block in page.categories for v in block.values]
        return series["current"], value.value

    assert current() == (10, 10)
    ingest_feed(store, feed([count(A, 11, "2026-02-28")]), settings=settings)  # revises the 10
    assert current() == (11, 11)
    document = Graph().parse(data=client.get(work_path(A),
                                             headers={"Accept": "text/turtle"}).text,
                             format="turtle")
    values = {int(v) for v in document.objects(None, URIRef(ALM_NS + "value"))}
    assert values == {7, 10, 11}
    assert len(list(document.subject_objects(PROV_REVISION))) == 1
