"""``GET /sparql?query=…`` answered by the WSGI fast path is the answer Flask would give.

:class:`alm_ld.web.fast_path.SparqlFastPath` skips Flask for the common request (issue 15). Each
request here is sent twice over real HTTP to a server over an on-disk store (query workers):
once as it is (the fast path, checked by its counter) and once with an extra parameter the
endpoint ignores (``output``, as SPARQLWrapper sends), which the fast path leaves to the Flask
view. Status, body and every header but ``Date``/``Server`` must be the same; failures (a
query the engine refuses, a bound, an unacceptable type) come from the view either way.
"""

from __future__ import annotations

import gzip
import json

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from tests.web.webdata import feed_doc

SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 40"
SMALL = "SELECT ?p WHERE { ?s ?p ?o } ORDER BY ?p LIMIT 1"
ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from alm_ld.store import open_store
    from alm_ld.web import create_app
    from tests.support.server import ThreadedServer

    spec = "oxigraph:" + str(tmp_path_factory.mktemp("fast") / "store")
    store = open_store(spec)
    settings = Settings(store=spec)
    ingest_feed(store, feed_doc(), settings=settings)
    live = ThreadedServer()
    app = create_app(settings.with_(base_url=live.url, query_max_patterns=50), store)
    live.start(app)
    yield live.url, app.wsgi_app.sparql
    live.stop()
    pool = app.extensions["alm_ld"].query_pool
    if pool is not None:
        pool.close()
    store.close()


def both(served, query: str, headers: dict[str, str]):
    url, fast = served
    before = fast.answered
    quick = requests.get(url + "/sparql", params={"query": query}, headers=headers, timeout=30,
                         stream=True)
    went_fast = fast.answered == before + 1
    slow = requests.get(url + "/sparql", params={"query": query, "output": "json"},
                        headers=headers, timeout=30, stream=True)
    assert fast.answered == before + int(went_fast)  # the extra parameter is never fast
    return quick, slow, went_fast


def same(quick: requests.Response, slow: requests.Response) -> None:
    assert quick.status_code == slow.status_code
    skip = {"date", "server"}
    if quick.headers.get("Content-Type", "").startswith("application/problem+json"):
        # a problem names the request it answers ("instance"), which differs by ?output=
        skip.add("content-length")
        mine, theirs = json.loads(quick.raw.read()), json.loads(slow.raw.read())
        mine.pop("instance", None)
        theirs.pop("instance", None)
        assert mine == theirs
    else:
        assert quick.raw.read() == slow.raw.read()  # the bytes sent, compressed or not
    assert {k.lower(): v for k, v in quick.headers.items() if k.lower() not in skip} == \
        {k.lower(): v for k, v in slow.headers.items() if k.lower() not in skip}


@pytest.mark.parametrize("accept", [None, "*/*", "application/sparql-results+json", "text/csv",
                                    "text/tab-separated-values", "application/xml",
                                    "application/sparql-results+xml;q=0.9, text/csv;q=0.1"])
@pytest.mark.parametrize("encoding", ["identity", "gzip", "gzip;q=0, deflate"])
@pytest.mark.parametrize("query", [SELECT, SMALL, ASK])
def test_fast_answer_equals_the_view_answer(served, accept, encoding, query):
    headers = {"Accept-Encoding": encoding}
    if accept:
        headers["Accept"] = accept
    quick, slow, went_fast = both(served, query, headers)
    table_only = query == ASK and accept in ("text/csv", "text/tab-separated-values")
    assert went_fast is not table_only  # an ASK has no CSV/TSV: the view answers 406
    assert quick.status_code == (406 if table_only else 200)
    same(quick, slow)


def test_large_answer_is_gzipped_when_asked(served):
    quick, _, went_fast = both(served, SELECT, {"Accept-Encoding": "gzip"})
    assert went_fast and quick.headers["Content-Encoding"] == "gzip"
    assert b'"bindings"' in gzip.decompress(quick.raw.read())


@pytest.mark.parametrize(("query", "accept", "status"), [
    ("SELECT * WHERE { ?s ?p }", None, 400),  # passes the lexical check, refused by the engine
    ("SELECT * WHERE { " + "?s ?p ?o . " * 60 + "}", None, 400),  # over the pattern bound
    (SELECT, "image/png", 406),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", None, 200),  # full parse path
    ("CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle", 200),
])
def test_everything_else_is_the_view_answer(served, query, accept, status):
    quick, slow, _ = both(served, query, {"Accept": accept} if accept else {})
    assert quick.status_code == status
    same(quick, slow)


def test_unusual_requests_are_left_to_the_view(served):
    url, fast = served
    before = fast.answered
    for params in ({"query": SELECT, "default-graph-uri": "http://example.org/g"},
                   {"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, {"query": " "}, {}):
        requests.get(url + "/sparql", params=params, timeout=30)
    requests.get(url + "/sparql", params={"query": SELECT},
                 headers={"Accept": "text/html"}, timeout=30)
    requests.post(url + "/sparql", data={"query": SELECT}, timeout=30)
    assert fast.answered == before


def test_stores_without_worker_pool_are_always_the_view(app_client):
    """memory: (and sparql:) stores are evaluated by the view, in this process."""
    client = app_client()
    ingest_feed(client.store, feed_doc(), settings=client.settings)
    answer = client.app.test_client().get("/sparql", query_string={"query": ASK},
                                          headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200 and answer.get_json()["boolean"] is True
    assert client.app.wsgi_app.sparql.answered == 0


def test_a_repeated_query_answers_what_the_store_holds_now(served):
    """What the fast path keeps of a query (its checks, its headers) never includes the answer:
    the same query string after a new feed counts the new feed's graph."""
    url, fast = served
    count = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"

    def graphs() -> int:
        before = fast.answered
        answer = requests.get(url + "/sparql", params={"query": count}, timeout=30)
        assert answer.status_code == 200 and fast.answered == before + 1
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    first = graphs()
    assert graphs() == first and fast._kept_plan.cache_info().hits >= 1  # noqa: SLF001
    doc = feed_doc()
    doc["id"] = "urn:uuid:0b0f7c3e-3d3a-4a39-9a4e-8d5d7f0f3a12"
    doc["generated"] = "2026-11-25T10:00:00Z"
    ingest_feed(fast.state.get_store(), doc, settings=fast.state.settings)
    assert graphs() > first


def test_a_query_longer_than_the_kept_plans_is_still_answered_fast(served):
    from alm_ld.web.fast_path import PLAN_QUERY_MAX

    padded = SMALL.replace("LIMIT 1", "# " + "x" * PLAN_QUERY_MAX + "\nLIMIT 1")
    quick, slow, went_fast = both(served, padded, {})
    assert went_fast and quick.status_code == 200
    same(quick, slow)
