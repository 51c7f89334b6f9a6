"""The very first query on a freshly started server is answered, even with a short timeout.

The query worker processes of an on-disk store start with the first public query (a new
interpreter, the sandbox, the engine's imports: easily over a second on a loaded machine).
That start-up used to count against the query's timeout, so the first query on a fresh server
could answer 503 "did not finish" for a query that takes a millisecond. Here each server is
new, its timeout is far shorter than a worker's start-up, and its first query must succeed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from alm_ld.config import Settings
from tests.support.live import Live

TIMEOUT = 0.2  # seconds: far below a worker's start-up, far above this query's evaluation
JSON = "application/sparql-results+json"


@pytest.fixture
def fresh(live_server: Callable[..., Live], tmp_path):
    servers: list[Live] = []

    def start() -> Live:
        live = live_server(Settings(store=f"oxigraph:{tmp_path / f'store{len(servers)}'}"),
                           query_timeout=TIMEOUT)
        servers.append(live)
        return live

    yield start
    for live in servers:
        pool = live.app.extensions["alm_ld"].query_pool
        if pool is not None:
            pool.close()
        live.store.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_first_query_on_a_fresh_server_succeeds(fresh, method: str) -> None:
    live = fresh()
    assert live.app.extensions["alm_ld"].query_pool is None  # no worker started yet
    query = "ASK { ?s ?p ?o }"
    if method == "GET":
        response = requests.get(live.url + "/sparql", params={"query": query},
                                headers={"Accept": JSON}, timeout=90)
    else:
        response = requests.post(live.url + "/sparql", data={"query": query},
                                 headers={"Accept": JSON}, timeout=90)
    assert response.status_code == 200, response.text
    assert response.json() == {"head": {}, "boolean": True}  # the vocabulary is in the store
    # ... and the timeout still holds once the workers are up: a runaway query is stopped.
    runaway = requests.get(live.url + "/sparql", headers={"Accept": JSON}, timeout=90, params={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"})
    assert runaway.status_code == 503
    assert runaway.json()["timeoutSeconds"] == TIMEOUT
