"""The W3C SPARQL 1.1 Protocol query tests (all 20, from ``tests/fixtures/w3c-protocol``) over
real HTTP, against two real endpoints holding the suite's three graphs:

* ``serve``: the production path — ``alm-ld load`` then ``alm-ld serve`` (waitress) over an
  on-disk Oxigraph store, public queries evaluated in the sandboxed query worker processes;
* ``memory``: the app over a ``memory:`` store (rdflib) in the web tests' threaded server.

The suite's update tests are out of scope: the endpoint is read-only (docs/api.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alm_ld.config import Settings
from alm_ld.store import open_store
from alm_ld.web import create_app
from tests.processes import free_port, stop, wait_ready
from tests.support.server import ThreadedServer
from tests.web.w3c_protocol import DATASET, FORM_VARIANTS, QUERY_CASES, SUITE, run_case


def _serve(tmp: Path) -> Iterator[str]:
    store = f"oxigraph:{tmp}/store"
    subprocess.run([sys.executable, "-m", "alm_ld", "load", "--store", store, str(DATASET)],
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    log = tmp / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--port", str(port), "--store", store],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url + "/healthz", "alm-ld serve", seconds=90, log=log)
        yield url + "/sparql"
    finally:
        stop(process)


def _memory() -> Iterator[str]:
    store = open_store("memory:")
    with open(DATASET, "rb") as data:
        store.load_dump(data, "nquads")
    server = ThreadedServer()
    server.start(create_app(Settings(store="memory:", base_url=server.url), store))
    try:
        yield server.url + "/sparql"
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["serve", "memory"])
def endpoint(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "serve":
        yield from _serve(tmp_path_factory.mktemp("w3c"))
    else:
        yield from _memory()


def test_the_suite_has_twenty_query_tests() -> None:
    assert len(QUERY_CASES) == 20
    assert SUITE["source"]["repository"] == "w3c/rdf-tests"


@pytest.mark.parametrize("case", QUERY_CASES, ids=[c["id"] for c in QUERY_CASES])
def test_w3c_query_case(endpoint: str, case: dict) -> None:
    assert run_case(endpoint, case) == []


@pytest.mark.parametrize("case", FORM_VARIANTS, ids=[c["id"] for c in FORM_VARIANTS])
def test_w3c_query_case_form_encoded(endpoint: str, case: dict) -> None:
    """The older manifest's form-encoded spelling of the same tests (dataset in the body)."""
    assert run_case(endpoint, case) == []
