"""A store that answers but is wrong for alm-ld is refused at start-up (exit 5, one line) and
named by /healthz (503 problem+json ``store-misconfigured``); a store that is down or stalled is
503 ``store-unavailable`` and the service recovers by itself when the store is back.

Against real ``oxigraph serve`` processes: one started WITHOUT ``--union-default-graph`` (the
misconfiguration of issue 14), and one that is stopped, restarted without the flag, paused with
SIGSTOP (stalled: the kernel accepts connections, nobody answers) and resumed."""

from __future__ import annotations

import time

import pytest
import requests

from alm_ld.errors import StoreMisconfigured
from alm_ld.resources import examples_dir
from alm_ld.store import open_store
from alm_ld.store.health import check_store

pytestmark = pytest.mark.timeout(240)

TIMEOUT_ENV = {"ALM_LD_QUERY_TIMEOUT": "3"}
WORK = "/works/10.7717/peerj.4375"


def _problem(response: requests.Response) -> dict:
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.text
    return response.json()


def test_serve_refuses_a_server_without_union_default_graph(oxigraph_factory, serve_factory):
    """An empty server: the write-then-read probe shows the fault even with no data at all."""
    server = oxigraph_factory(union=False)
    served = serve_factory("--store", server.spec, env=TIMEOUT_ENV)
    assert served.wait_exit() == 5
    lines = [line for line in served.stderr().splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("alm-ld: Store misconfigured: ")
    assert "--union-default-graph" in lines[0]
    # Nothing was left behind by the probe.
    store = open_store(server.spec, load_vocabulary=False)
    assert store.quads_count() == 0


def test_read_only_spec_over_a_server_without_union_is_refused(oxigraph_factory, serve_factory):
    """Without an update URL nothing can be written: the data already there (the vocabulary,
    written by an earlier writer) is what shows the fault."""
    server = oxigraph_factory(union=False)
    open_store(server.spec).close()  # writes the vocabulary graph
    query_only = f"sparql:{server.url}/query"
    served = serve_factory("--store", query_only, env=TIMEOUT_ENV)
    assert served.wait_exit() == 5
    assert "does not show the vocabulary graph" in served.stderr()


def test_update_url_that_takes_no_writes_is_refused(oxigraph_factory, serve_factory):
    server = oxigraph_factory(union=True)
    wrong = f"sparql:{server.url}/query;{server.url}/query"  # the query URL twice
    served = serve_factory("--store", wrong, env=TIMEOUT_ENV)
    assert served.wait_exit() == 5
    assert "refuses writes" in served.stderr()


def test_ingest_enabled_without_update_url_is_refused(oxigraph_factory, serve_factory):
    server = oxigraph_factory(union=True)
    served = serve_factory("--store", f"sparql:{server.url}/query",
                           env={**TIMEOUT_ENV, "ALM_LD_TOKENS": "t"})
    assert served.wait_exit() == 5
    assert "no update URL" in served.stderr()


def test_store_down_at_start_up_warns_serves_503_and_recovers(tmp_path, serve_factory):
    """A store that does not answer may be (re)starting: one warning line, the service starts,
    answers 503 store-unavailable, and is healthy once the store is up — with no restart."""
    from tests.deploy.conftest import Oxigraph

    server = Oxigraph(tmp_path / "late", union=True)  # its port is reserved, nothing listens
    served = serve_factory("--store", server.spec, env=TIMEOUT_ENV)
    deadline = time.monotonic() + 60
    while "warning: Store unavailable" not in served.stderr():
        assert served.process.poll() is None, served.stderr()
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.2)
    answer = _wait_status(served.url + "/healthz", 503)
    assert _problem(answer)["type"].endswith("/store-unavailable")
    server.start()
    try:
        _wait_status(served.url + "/healthz", 200)
    finally:
        server.stop()


def test_a_good_store_passes_and_leaves_nothing(oxigraph_factory):
    server = oxigraph_factory(union=True)
    store = open_store(server.spec)
    before = store.quads_count()
    assert check_store(store, writes=True, probe=True) == {"writable": True,
                                                           "unionDefaultGraph": "vocabulary"}
    assert check_store(store, writes=True) == {"writable": True,
                                               "unionDefaultGraph": "vocabulary"}
    assert store.quads_count() == before
    assert all("/probe/" not in str(name) for name in store.graph_names())


def test_library_check_names_the_fault(oxigraph_factory):
    server = oxigraph_factory(union=False)
    store = open_store(server.spec)
    with pytest.raises(StoreMisconfigured) as caught:
        check_store(store, writes=False)
    assert caught.value.extra["fault"] == "default-graph-not-union"
    assert caught.value.exit_code == 5 and caught.value.status == 503


def _wait_status(url: str, status: int, seconds: float = 30) -> requests.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = requests.get(url, timeout=10)
            if response.status_code == status:
                return response
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        time.sleep(0.3)


def test_healthz_follows_the_store_down_stalled_misconfigured_and_back(
        oxigraph_factory, serve_factory):
    """One served process (2 workers, ingest enabled) over one Oxigraph folder, while the
    Oxigraph server under it is stopped, stalled, restarted without the union default graph, on
    an empty folder, and restarted right: every answer is problem+json 503 naming the fault,
    within the query timeout, and the service recovers with no restart of its own."""
    server = oxigraph_factory(union=True)
    served = serve_factory("--store", server.spec, "--workers", "2", "--demo",
                           env={**TIMEOUT_ENV, "ALM_LD_TOKENS": "t"})
    served.wait_healthy()
    health = requests.get(served.url + "/healthz", timeout=10).json()
    assert health["checks"] == {"writable": True, "unionDefaultGraph": "vocabulary"}
    document = requests.get(served.url + WORK, timeout=10,
                            headers={"Accept": "application/ld+json"})
    assert document.status_code == 200

    # Down: connection refused. Routes that need no store keep answering.
    server.stop()
    for path in ("/healthz", WORK):
        answer = requests.get(served.url + path, timeout=10)
        assert answer.status_code == 503
        assert _problem(answer)["type"].endswith("/store-unavailable")
    assert requests.get(served.url + "/openapi.json", timeout=10).status_code == 200
    feed = (examples_dir() / "valid-strict.json").read_bytes()
    validated = requests.post(served.url + "/validate", data=feed, timeout=30,
                              headers={"Content-Type": "application/ld+json"})
    assert validated.status_code == 200, validated.text

    # Restarted without --union-default-graph: answers, but wrongly.
    server.start(union=False)
    answer = requests.get(served.url + "/healthz", timeout=10)
    assert answer.status_code == 503
    problem = _problem(answer)
    assert problem["type"].endswith("/store-misconfigured")
    assert problem["fault"] == "default-graph-not-union"
    assert "--union-default-graph" in problem["detail"]

    # Restarted on an empty location (as an in-memory server would be): the dataset is gone.
    server.stop()
    original, server.location = server.location, server.location.parent / "empty"
    server.start(union=True)
    for _ in range(10):  # every worker, also one that opens the store only now, sees it
        answer = requests.get(served.url + "/healthz", timeout=10)
        assert answer.status_code == 503
        assert _problem(answer)["fault"] == "dataset-missing"

    # Restarted right: healthy again, the same document.
    server.stop()
    server.location = original
    server.start(union=True)
    _wait_status(served.url + "/healthz", 200)
    again = requests.get(served.url + WORK, timeout=10, headers={"Accept": "application/ld+json"})
    assert again.status_code == 200 and again.json() == document.json()

    # Stalled (SIGSTOP): 503 within the query timeout (3 s) + slack, then recovery.
    server.pause()
    try:
        for path in ("/healthz", WORK):
            started = time.monotonic()
            answer = requests.get(served.url + path, timeout=30)
            assert answer.status_code == 503
            assert time.monotonic() - started < 3 * 3 + 3  # at most three queries in /healthz
            assert _problem(answer)["type"].rsplit("/", 1)[1] in ("store-unavailable",
                                                                  "query-timeout")
    finally:
        server.resume()
    _wait_status(served.url + "/healthz", 200)
    assert requests.get(served.url + WORK, timeout=10).status_code == 200


def test_stalled_store_at_start_up_delays_start_by_one_timeout_only(oxigraph_factory,
                                                                   serve_factory):
    """A stalled store (SIGSTOP: connections accepted, never answered) costs the start-up one
    query timeout per probe request, then a warning, then serving (the app's own routes answer
    at once; the store's answer 503)."""
    server = oxigraph_factory(union=True)
    server.pause()
    try:
        started = time.monotonic()
        served = serve_factory("--store", server.spec, env={**TIMEOUT_ENV, "ALM_LD_TOKENS": "t"})
        answer = _wait_status(served.url + "/openapi.json", 200, seconds=60)
        assert answer.status_code == 200
        assert time.monotonic() - started < 3 + 30  # one 3 s probe, plus Python start-up
        assert "warning: Store unavailable" in served.stderr()
        assert requests.get(served.url + "/healthz", timeout=30).status_code == 503
    finally:
        server.resume()
    _wait_status(served.url + "/healthz", 200)


@pytest.mark.parametrize("embedded", ["memory:", "oxigraph:{tmp}/store"])
def test_healthz_on_embedded_stores(embedded, tmp_path, serve_factory):
    """Embedded stores are the union by construction and take no write probe (ingest enabled or
    not): /healthz is 200 with the read check."""
    served = serve_factory("--store", embedded.format(tmp=tmp_path),
                           env={**TIMEOUT_ENV, "ALM_LD_TOKENS": "t"})
    served.wait_healthy()
    body = requests.get(served.url + "/healthz", timeout=10).json()
    assert body["status"] == "ok"
    assert body["checks"] == {"unionDefaultGraph": "vocabulary"}
