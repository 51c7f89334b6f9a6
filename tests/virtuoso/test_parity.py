"""Issue 14: the same answers on every engine. The same feeds (the eight demo feeds, in one
order) are ingested into the embedded store (``oxigraph:PATH``), into ``oxigraph serve``
(``sparql:``) and into Virtuoso 7 (``sparql:``), each is served by ``alm-ld serve`` with one
base URL, and every read endpoint must give the same document: ``GET /works/{id}`` (JSON-LD,
compared as RDF graphs: isomorphic), ``/works/{id}/metrics``, ``/changes``, ``/works?filter=``,
``/sources``, the VoID and the service description (as RDF graphs) and ``/sparql`` SELECTs (the
feeds by sequence; triples per graph, where a leaked system graph would show).

What differs by nature between two ingests is masked first: the ingest activity IRIs (a UUID
per ingest) and the times of ingest and alert detection (today's date-times). The embedded
and Oxigraph server cases run without Virtuoso; the Virtuoso case skips when it is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from rdflib import Dataset, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from alm_ld.config import Settings
from alm_ld.jsonld import to_rdf_nquads
from alm_ld.pipeline import ingest_feed
from alm_ld.resources import demo_dir
from alm_ld.store import open_store
from tests.processes import free_port, stop, wait_ready
from tests.scale.conftest import start_oxigraph
from tests.virtuoso.conftest import empty

BASE = "http://alm.test"
_INGEST = re.compile(r"https://w3id\.org/alm-ld/id/ingest/[0-9a-f-]{36}")


def _today_times() -> re.Pattern[str]:
    days = {dt.datetime.now(dt.UTC).date() + dt.timedelta(days=d) for d in (-1, 0)}
    dates = "|".join(day.isoformat() for day in days)
    return re.compile(rf"(?:{dates})T\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


def _mask(text: str) -> str:
    return _today_times().sub("2000-01-01T00:00:00Z",
                              _INGEST.sub("https://w3id.org/alm-ld/id/ingest/x", text))


def _ingest(spec: str) -> list[str]:
    """The demo feeds, in file order; returns the works of their first items."""
    settings = Settings(store=spec)
    works = []
    with open_store(spec, settings=settings) as store:
        for path in sorted(demo_dir().glob("*.json")):
            doc = json.loads(path.read_bytes())
            assert ingest_feed(store, doc, settings=settings).status == "created"
            first = next((item for item in doc["items"] if "work" in item), None)
            if first is not None and first["work"] not in works:
                works.append(first["work"])
    return works


def _serve(spec: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--port", str(port), "--store", spec],
            stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "ALM_LD_BASE_URL": BASE, "ALM_LD_QUERY_TIMEOUT": "30",
                 "ALM_LD_DUMPS": str(log.parent / "dumps")})  # none: VoID lists no dump
    wait_ready(process, url + "/healthz", "alm-ld serve", log=log)
    return process, url


SELECTS = {
    "feeds": "PREFIX alm: <https://w3id.org/alm-ld/vocab#> SELECT ?feed ?seq ?n WHERE { "
             "GRAPH ?feed { ?feed alm:sequence ?seq ; alm:itemCount ?n } } ORDER BY ?seq",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g "
              "ORDER BY ?g",
    "total": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
}


def _documents(url: str, works: list[str]) -> dict[str, Any]:
    """Every read endpoint's answer, masked; work documents as canonical RDF graphs."""
    docs: dict[str, Any] = {}

    def get(path: str, **headers: str) -> requests.Response:
        response = requests.get(url + path, headers=headers, timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response

    for work in works:
        body = get(f"/works/{work}", Accept="application/ld+json").json()
        quads = Dataset()
        quads.parse(data=to_rdf_nquads(json.loads(_mask(json.dumps(body))), base=BASE),
                    format="nquads")
        graph = Graph()
        for s, p, o, _ in quads.quads((None, None, None, None)):
            graph.add((s, p, o))
        assert len(graph) > 5, work
        docs[f"work {work}"] = to_isomorphic(graph)
        docs[f"metrics {work}"] = _mask(get(f"/works/{work}/metrics").text)
    for name, path in (("rdf void", "/.well-known/void"), ("rdf service", "/sparql")):
        text = _mask(get(path, Accept="application/n-triples").text)
        docs[name] = to_isomorphic(Graph().parse(data=text, format="nt"))
    docs["changes"] = _mask(get("/changes?since=2000-01-01T00:00:00Z&limit=1000").text)
    docs["works?filter"] = _mask(get("/works?filter=source:plos|crossref|openalex").text)
    docs["sources"] = _mask(get("/sources").text)
    for name, query in SELECTS.items():
        docs[f"sparql {name}"] = _mask(get(
            "/sparql?" + requests.compat.urlencode({"query": query}),
            Accept="application/sparql-results+json").text)
    return docs


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], dict]]:
    """The documents of the embedded store (``oxigraph:PATH``, served by one process)."""
    folder = tmp_path_factory.mktemp("embedded")
    spec = f"oxigraph:{folder / 'store'}"
    works = _ingest(spec)
    process, url = _serve(spec, folder / "serve.log")
    try:
        yield works, _documents(url, works)
    finally:
        stop(process)


KNOWN: dict[str, set[str]] = {}
"""Known divergences per engine, reported rather than hidden (none now: Virtuoso 7.2's missing
view mark — no solution for ``DELETE/INSERT … WHERE { OPTIONAL … }`` — was fixed in
analytics/current_view.py). A key listed here that matches again fails the test, saying so."""


def _difference(expected: Any, got: Any) -> str:
    if isinstance(expected, str):
        return f"got {got[:600]!r}, expected {expected[:600]!r}"
    _, only_expected, only_got = graph_diff(expected, got)
    return (f"only expected: {sorted(only_expected)[:5]}, "
            f"only got: {sorted(only_got)[:5]}")


def _compare(expected: dict[str, Any], got: dict[str, Any], engine: str) -> None:
    assert sorted(got) == sorted(expected)
    known = []
    for key, value in expected.items():
        same = (isomorphic(value, got[key]) if key.startswith(("work ", "rdf "))
                else got[key] == value)
        if not same and key in KNOWN.get(engine, ()):
            known.append(key)
            continue
        assert same, (key, _difference(value, got[key]))
    if KNOWN.get(engine):
        if known:
            pytest.xfail(f"known divergence on {engine}: {', '.join(known)} (see KNOWN)")
        pytest.fail(f"{engine} now matches in {sorted(KNOWN[engine])}: drop it from KNOWN")


@pytest.mark.parametrize("engine", ["oxigraph-server", "virtuoso"])
def test_every_read_endpoint_answers_the_same_as_the_embedded_store(
        engine: str, reference: tuple[list[str], dict], tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    works, expected = reference
    server = None
    if engine == "virtuoso":
        virtuoso = request.getfixturevalue("virtuoso")
        empty(virtuoso)
        spec = virtuoso.spec
    else:
        server, spec = start_oxigraph(tmp_path / "oxigraph")
    try:
        assert _ingest(spec) == works
        process, url = _serve(spec, tmp_path / "serve.log")
        try:
            _compare(expected, _documents(url, works), engine)
        finally:
            stop(process)
    finally:
        if server is not None:
            stop(server)
