"""A dataset naming graphs the store does not hold is answered from empty graphs, and nothing is
ever fetched: FROM / FROM NAMED in the query and default-graph-uri / named-graph-uri in the
request all point at the canary, which must see no connection — on the production process
(``alm-ld serve``, on-disk Oxigraph, sandboxed query workers) and on a ``memory:`` store.
The names never even reach the engine (:func:`resolve_dataset` leaves them out), so a
remote ``sparql:`` store has nothing to dereference either.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.store import open_store
from alm_ld.web import create_app
from alm_ld.web.sparql_check import EMPTY_GRAPH, QueryInfo, resolve_dataset
from tests.support.server import ThreadedServer

QUERIES = {
    "FROM": ("SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}", {}),
    "FROM NAMED": ("SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
    "default-graph-uri": ("SELECT * WHERE {{ ?s ?p ?o }}", {"default-graph-uri": "{url}"}),
    "named-graph-uri": ("SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                        {"named-graph-uri": "{url}"}),
    "both": ("SELECT * FROM <{url}/q> WHERE {{ ?s ?p ?o }}", {"default-graph-uri": "{url}"}),
}


@pytest.fixture(scope="module")
def memory_url() -> Iterator[str]:
    server = ThreadedServer()
    server.start(create_app(Settings(store="memory:", base_url=server.url),
                            open_store("memory:")))
    yield server.url
    server.stop()


@pytest.mark.parametrize("where", ["serve", "memory"])
@pytest.mark.parametrize("case", sorted(QUERIES))
def test_graphs_not_held_are_empty_and_never_fetched(request, canary, where: str,
                                                     case: str) -> None:
    base = (request.getfixturevalue("served").url if where == "serve"
            else request.getfixturevalue("memory_url"))
    template, dataset = QUERIES[case]
    params = {"query": template.format(url=canary.url),
              **{k: v.format(url=canary.url) for k, v in dataset.items()}}
    for method in ("GET", "POST"):
        response = requests.request(method, base + "/sparql",
                                    **({"params": params} if method == "GET"
                                       else {"data": params}), timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == []
    canary.assert_untouched()


def test_names_not_held_never_reach_the_engine() -> None:
    held = {"urn:g:1"}
    info = QueryInfo("SELECT", ("http://evil.example/a",), ("file:///etc/passwd",))
    assert resolve_dataset(info, (), (), held) == ((EMPTY_GRAPH,), ())
    assert resolve_dataset(info, ("urn:g:1", "http://evil.example/b"), (), held) == (
        ("urn:g:1",), ())
    assert resolve_dataset(info, (), ("urn:g:1", "http://evil.example/b"), held) == (
        (EMPTY_GRAPH,), ("urn:g:1",))
    assert resolve_dataset(QueryInfo("ASK"), (), (), held) == ((), ())
