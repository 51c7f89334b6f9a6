"""A query's dataset means the same on every backend: ``memory:``, embedded ``oxigraph:`` and a
remote ``sparql:`` store (a real ``oxigraph serve``), asked through ``GET /sparql``.

* A protocol dataset (``default-graph-uri`` / ``named-graph-uri``) replaces the query's FROM /
  FROM NAMED (SPARQL 1.1 Protocol §2.1.4), and the remote engine never sees those clauses.
* A graph the store does not hold is empty; ``GRAPH ?g`` never binds a placeholder for it.
* A dataset that names no named graph has none: ``GRAPH ?g`` over it gives nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from alm_ld.store.sparql import SparqlStore, without_dataset_clauses
from alm_ld.vocab import VOCAB_GRAPH
from alm_ld.web import create_app
from tests.support.server import ThreadedServer
from tests.web.webdata import FEED_ID, feed_doc

ELSEWHERE = "http://elsewhere.example/graph"
VOCAB = str(VOCAB_GRAPH)

# (query, protocol dataset, expected rows as sorted lists of {variable: value})
CASES = {
    "FROM a graph not held: no named graphs": (
        f"SELECT ?g FROM <{ELSEWHERE}> WHERE {{ GRAPH ?g {{ }} }}", {}, []),
    "FROM NAMED a graph not held": (
        f"SELECT ?g FROM NAMED <{ELSEWHERE}> WHERE {{ GRAPH ?g {{ }} }}", {}, []),
    "FROM a held graph: no named graphs": (
        f"SELECT ?g FROM <{FEED_ID}> WHERE {{ GRAPH ?g {{ }} }}", {}, []),
    "FROM NAMED a held graph": (
        f"SELECT ?g FROM NAMED <{FEED_ID}> WHERE {{ GRAPH ?g {{ }} }}", {}, [{"g": FEED_ID}]),
    "FROM NAMED held and not held": (
        f"SELECT ?g FROM NAMED <{FEED_ID}> FROM NAMED <{ELSEWHERE}> "
        "WHERE { GRAPH ?g { } }", {}, [{"g": FEED_ID}]),
    "GRAPH ?g with an optional pattern over a graph not held": (
        "SELECT ?g WHERE { GRAPH ?g { OPTIONAL { ?s ?p ?o } } }",
        {"named-graph-uri": ELSEWHERE}, []),
    "named-graph-uri not held with a default graph": (
        "SELECT ?g WHERE { GRAPH ?g { } }",
        {"default-graph-uri": FEED_ID, "named-graph-uri": ELSEWHERE}, []),
    "protocol default graph replaces FROM": (
        f"SELECT (COUNT(*) AS ?n) FROM <{FEED_ID}> WHERE {{ ?s ?p ?o }}",
        {"default-graph-uri": ELSEWHERE}, [{"n": "0"}]),
    "protocol named graphs replace FROM: the default graph is empty": (
        f"SELECT (COUNT(*) AS ?n) FROM <{FEED_ID}> WHERE {{ ?s ?p ?o }}",
        {"named-graph-uri": FEED_ID}, [{"n": "0"}]),
    "protocol named graphs replace FROM NAMED": (
        f"SELECT ?g FROM NAMED <{VOCAB}> WHERE {{ GRAPH ?g {{ }} }}",
        {"named-graph-uri": FEED_ID}, [{"g": FEED_ID}]),
    "FROM then GRAPH over it": (
        f"SELECT (COUNT(*) AS ?n) FROM <{FEED_ID}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        {}, [{"n": "0"}]),
    "the word from in a string and a variable": (
        'SELECT ?from WHERE { BIND ("FROM <http://x/>" AS ?from) }', {},
        [{"from": "FROM <http://x/>"}]),
}


def _rows(base: str, query: str, dataset: dict[str, str]) -> list[dict[str, str]]:
    response = requests.get(base + "/sparql", params={"query": query, **dataset},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    rows = [{k: v["value"] for k, v in binding.items()}
            for binding in response.json()["results"]["bindings"]]
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


@pytest.fixture(scope="module")
def served(request, tmp_path_factory) -> Iterator[dict[str, str]]:
    """One app per backend, each holding the same feed."""
    specs = {"memory": "memory:",
             "oxigraph": "oxigraph:" + str(tmp_path_factory.mktemp("parity") / "store"),
             "sparql": request.getfixturevalue("oxigraph_server").spec}
    request.getfixturevalue("oxigraph_server").clear()
    servers, urls = [], {}
    for backend, spec in specs.items():
        settings = Settings(store=spec)
        store = open_store(spec, settings=settings)
        ingest_feed(store, feed_doc(), settings=settings)
        live = ThreadedServer()
        live.start(create_app(settings.with_(base_url=live.url), store))
        servers.append(live)
        urls[backend] = live.url
    yield urls
    for live in servers:
        live.stop()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_dataset_on_every_backend(served: dict[str, str], case: str) -> None:
    query, dataset, expected = CASES[case]
    answers = {backend: _rows(url, query, dataset) for backend, url in served.items()}
    assert answers["oxigraph"] == answers["memory"] == answers["sparql"], answers
    if expected is not None:
        assert answers["oxigraph"] == expected
    assert "urn:x-alm-ld:empty-graph" not in json.dumps(answers)


class _Recorder(BaseHTTPRequestHandler):
    """A SPARQL endpoint that records what it was sent and answers no rows."""

    seen: list[dict[str, list[str]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        self.seen.append(parse_qs(self.rfile.read(length).decode()))
        body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_remote_engine_never_sees_the_querys_dataset_clauses() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = SparqlStore(f"http://127.0.0.1:{server.server_port}/query")
        store._foreign = False  # no graph listing needed for this check
        store.query("PREFIX e: <http://evil.example/>\nSELECT * FROM e:a FROM NAMED "
                    "<http://evil.example/b> WHERE { ?s ?p ?o }",
                    default_graphs=[FEED_ID], named_graphs=[])
    finally:
        server.shutdown()
        server.server_close()
    sent = _Recorder.seen[-1]
    assert sent["query"] == ["PREFIX e: <http://evil.example/>\nSELECT *     WHERE { ?s ?p ?o }"]
    assert sent["default-graph-uri"] == [FEED_ID]
    assert "named-graph-uri" not in sent


@pytest.mark.parametrize("text, kept", [
    ("SELECT * FROM <http://a/> FROM NAMED <http://b/> WHERE { ?s ?p ?o }",
     "SELECT *     WHERE { ?s ?p ?o }"),
    ("PREFIX from: <http://f/>\nSELECT ?from WHERE { from:x <http://p/> \"FROM <x>\" } # FROM <y>",
     None),
    ("SELECT * from\n# a comment\n<http://a/> WHERE { ?s ?p ?o }", "SELECT *   WHERE { ?s ?p ?o }"),
])
def test_dataset_clauses_are_cut_on_tokens(text: str, kept: str | None) -> None:
    assert without_dataset_clauses(text) == (text if kept is None else kept)
