"""Every route answered from the works index says so in the OpenAPI document (a 503
``index-building`` with ``Retry-After``) and answers so while the index holds nothing to answer
from and cannot be built within the request's timeout; a request arriving while a fold is
under way (seconds at 100k works) is answered at once from the last fold, never a hang nor a
503."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from alm_ld.analytics import works_index as wi
from alm_ld.analytics.works_list import list_works, parse_works_query
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.web.openapi import WORKS_INDEX_ROUTES, openapi_document
from tests.sets.conftest import CARBERRY, NSF, PLOS_ONE, SET_FEEDS, live_server  # noqa: F401
from tests.support.set_feeds import ingested, without_works_index

ACCEPT = "application/ld+json, application/json;q=0.9"
REQUESTS = [("get", "/works?sort=citations:desc", None),
            ("get", "/works?group_by=ror&filter=has_metric:citations", None),
            ("post", "/works/batch", {"ids": ["10.5555/w1"]}),
            ("get", "/institutions/03vek6s52", None),
            ("get", f"/journals/{PLOS_ONE}", None),
            ("get", f"/funders/{NSF.rsplit('/', 2)[-2]}/{NSF.rsplit('/', 1)[-1]}", None),
            ("get", f"/authors/{CARBERRY.rsplit('/', 1)[-1]}", None),
            ("get", "/api/works?ids=10.5555/w1", None),
            ("post", "/api/works", {"ids": ["10.5555/w1"]})]


def test_the_openapi_document_lists_index_building_for_every_index_route() -> None:
    paths = openapi_document("http://127.0.0.1:8080")["paths"]
    for route in WORKS_INDEX_ROUTES:
        for method, operation in paths[route].items():
            busy = operation["responses"]["503"]
            assert "index-building" in busy["description"], (route, method)
            assert "Retry-After" in busy["headers"], (route, method)
            assert "application/problem+json" in busy["content"], (route, method)


def test_every_index_route_answers_503_index_building_while_it_cannot_be_built(
        tmp_path, live_server) -> None:  # noqa: F811
    spec, store, _ = without_works_index(tmp_path, SET_FEEDS)
    live = live_server(Settings(store=spec, query_timeout=0.2), store)
    index = wi._index_of(store)
    with index.lock:  # the builder cannot finish while this test holds the index
        for method, route, body in REQUESTS:
            answer = requests.request(method, live.url + route, json=body, timeout=30,
                                      headers={"Accept": ACCEPT})
            assert answer.status_code == 503, (route, answer.status_code, answer.text[:300])
            assert answer.headers["Retry-After"] == "5", route
            assert answer.json()["type"].endswith("/index-building"), route
    store.close()


@contextmanager
def fold_under_way(index: wi.WorksIndex) -> Iterator[None]:
    """While inside, ``index``'s writer lock is held by another thread, as by a fold under
    way in the background thread (no catch-up can finish)."""
    holding, done = threading.Event(), threading.Event()

    def fold() -> None:
        with index.lock:
            holding.set()
            done.wait(30)

    folder = threading.Thread(target=fold)
    folder.start()
    holding.wait(10)
    try:
        yield
    finally:
        done.set()
        folder.join()


def test_a_read_during_a_fold_is_answered_at_once_from_the_last_fold() -> None:
    """Readers never queue behind a fold: while one is under way (seconds at 100k works), a
    request waits at most FRESH_WAIT (here its shorter timeout), then is answered from the
    index as the last fold left it, and its ``meta`` says how many feeds it lacks; once the
    fold is done the same request includes the new feed."""
    from tests.sets.conftest import count, feed

    store = ingested("oxigraph:", SET_FEEDS)
    query = parse_works_query(sort="citations:desc", per_page="1")
    index, mark = wi.works_index(store)
    before = list_works(store, query, timeout=0.2)
    assert before["meta"]["as_of_sequence"] == mark and before["meta"]["feeds_pending"] == 0
    ingest_feed(store, feed([count(1, 99_999, "crossref")]),
                settings=Settings(store="oxigraph:"))
    with fold_under_way(index):
        started = time.monotonic()
        during = list_works(store, query, timeout=0.2)
        grouped = list_works(store, parse_works_query(group_by="source"), timeout=0.2)
        waited = time.monotonic() - started
    assert during["results"] == before["results"]
    assert during["meta"]["as_of_sequence"] == mark and during["meta"]["feeds_pending"] == 1
    assert grouped["meta"]["as_of_sequence"] == mark and grouped["meta"]["feeds_pending"] == 1
    assert waited < 5  # two requests, each at most its 0.2 s timeout plus its reads
    # once the fold is over, the same request includes the feed (a roomier timeout: only
    # the wait for the fold is under test, not how fast a loaded machine reads)
    after = list_works(store, query, timeout=10)
    assert after["results"][0]["metrics"]["citations"] == 99_999
    assert after["meta"]["as_of_sequence"] == mark + 1 and after["meta"]["feeds_pending"] == 0


def test_a_private_index_file_is_removed_when_closed() -> None:
    """The index of a store without a folder lives in a private temporary file (two
    connections must share it), removed with the index."""
    index = wi.WorksIndex(None)
    private = Path(index._file)
    assert private.exists()
    index.close()
    assert not private.exists()


def test_a_feed_posted_to_a_serving_process_is_folded_in_without_a_reader(
        live_server) -> None:  # noqa: F811
    """POST /feeds starts folding the new feed into the works index this process serves, so
    it is done before any GET /works asks (which would otherwise find the index behind)."""
    from tests.sets.conftest import count, feed

    store = ingested("oxigraph:", SET_FEEDS)
    live = live_server(Settings(store="oxigraph:", tokens=("secret",)), store)
    first = requests.get(live.url + "/works?sort=citations:desc&per_page=1", timeout=30,
                         headers={"Accept": ACCEPT})
    assert first.status_code == 200, first.text
    index = wi._index_of(store)
    before = index.sequence
    posted = requests.post(live.url + "/feeds", json=feed([count(1, 99_999, "crossref")]),
                           timeout=60, headers={"Authorization": "Bearer secret"})
    assert posted.status_code == 201, posted.text
    end = time.monotonic() + 30
    while index.sequence == before and time.monotonic() < end:  # no reader asks meanwhile
        time.sleep(0.05)
    assert index.sequence == before + 1
    top = requests.get(live.url + "/works?sort=citations:desc&per_page=1", timeout=30,
                       headers={"Accept": ACCEPT}).json()
    assert top["results"][0]["metrics"]["citations"] == 99_999
    store.close()


def test_an_index_kept_from_the_last_run_answers_while_it_catches_up(tmp_path,
                                                                      monkeypatch) -> None:
    """A restarted server finds its index file a feed behind the store: requests are answered
    from the file as it stands (``feeds_pending`` 1) while the catch-up runs, not 503."""
    from tests.sets.conftest import count, feed

    spec = f"oxigraph:{tmp_path / 'store'}"
    store = ingested(spec, SET_FEEDS)
    index, mark = wi.works_index(store)  # built, as the last run left it
    path = wi.index_path(store)
    assert path is not None and index.path == path
    ingest_feed(store, feed([count(1, 99_999, "crossref")]), settings=Settings(store=spec))
    restarted = wi.WorksIndex(path)  # what a new process opens
    monkeypatch.setitem(wi._BY_PATH, path, restarted)
    with fold_under_way(restarted):  # its catch-up has started and is not finished
        answer = list_works(store, parse_works_query(sort="citations:desc", per_page="1"),
                            timeout=0.2)
    assert answer["meta"]["as_of_sequence"] == mark and answer["meta"]["feeds_pending"] == 1
    assert answer["results"][0]["metrics"]["citations"] < 99_999
    restarted.close()
    index.close()
    store.close()


def test_over_http_a_request_during_a_fold_is_answered_with_what_it_lacks(
        live_server) -> None:  # noqa: F811
    """Over real HTTP: while a fold holds the index's writer, GET /works?group_by= answers
    200 from the last fold with ``feeds_pending`` 1 (JSON-LD, the terms in the context), and
    the same request after the fold includes the feed."""
    from tests.sets.conftest import count, feed

    store = ingested("oxigraph:", SET_FEEDS)
    live = live_server(Settings(store="oxigraph:", tokens=("secret",), query_timeout=0.5),
                       store)
    url = live.url + "/works?group_by=source"
    first = requests.get(url, timeout=30, headers={"Accept": ACCEPT})
    assert first.status_code == 200, first.text
    mark = first.json()["meta"]["as_of_sequence"]
    index = wi._index_of(store)
    with fold_under_way(index):
        posted = requests.post(live.url + "/feeds", json=feed([count(1, 99_999, "crossref")]),
                               timeout=60, headers={"Authorization": "Bearer secret"})
        assert posted.status_code == 201, posted.text
        during = requests.get(url, timeout=30, headers={"Accept": ACCEPT})
    assert during.status_code == 200, during.text
    assert during.json()["meta"] == {**first.json()["meta"], "feeds_pending": 1}
    end = time.monotonic() + 30
    while index.sequence == mark and time.monotonic() < end:
        time.sleep(0.05)
    after = requests.get(url, timeout=30, headers={"Accept": ACCEPT}).json()
    assert after["meta"]["as_of_sequence"] == mark + 1 and after["meta"]["feeds_pending"] == 0
    store.close()
