"""The query pool answers a repeated query from memory, and never a stale one after a write.

Real worker processes over real checkpoints of an on-disk Oxigraph store (issue 15).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from alm_ld.store.oxigraph import OxigraphStore
from alm_ld.store.query_pool import QueryPool, ResultCache

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }"
CSV = "text/csv"


def graph(count: int, start: int = 0) -> Graph:
    g = Graph()
    for i in range(start, start + count):
        g.add((URIRef(f"urn:s{i}"), URIRef("urn:p"), Literal(i)))
    return g


@pytest.fixture
def store_and_pool(tmp_path: Path):
    store = OxigraphStore(str(tmp_path / "store"))
    store.add_graph(URIRef("urn:g1"), graph(3))
    pool = QueryPool(store.checkpoint, 1, store.prune_checkpoints)
    yield store, pool
    pool.close()
    store.close()


def count(pool: QueryPool) -> int:
    _, payload = pool.query_serialized(COUNT, CSV, timeout=30)
    return int(payload.decode().split()[-1])


def test_repeated_query_is_a_cache_hit_and_a_write_is_seen_at_once(store_and_pool):
    store, pool = store_and_pool
    assert count(pool) == 3
    hits = pool.cache.hits
    assert count(pool) == 3
    assert pool.cache.hits == hits + 1  # the second answer came from memory
    store.add_graph(URIRef("urn:g2"), graph(4, start=10))
    assert count(pool) == 7  # a new checkpoint: a new key, never the cached 3
    store.add_graph(URIRef("urn:g1"), graph(1, start=100), replace=True)
    assert count(pool) == 5
    assert count(pool) == 5


def test_cache_keys_include_media_type_dataset_and_limit(store_and_pool):
    _, pool = store_and_pool
    query = "SELECT ?o WHERE { ?s <urn:p> ?o } ORDER BY ?o"
    _, csv = pool.query_serialized(query, CSV, timeout=30)
    _, json = pool.query_serialized(query, "application/sparql-results+json", timeout=30)
    assert csv.startswith(b"o\r\n") and json.startswith(b"{")
    _, capped = pool.query_serialized(query, CSV, timeout=30, limit=1)
    assert capped.decode().split() == ["o", "0"]
    _, empty = pool.query_serialized(query, CSV, timeout=30, default_graphs=("urn:none",))
    assert empty.decode().split() == ["o"]


def test_errors_are_not_cached(store_and_pool):
    _, pool = store_and_pool
    from alm_ld.errors import MalformedQuery

    for _ in range(2):
        with pytest.raises(MalformedQuery):
            pool.query_serialized("SELECT * WHERE { ?s ?p }", CSV, timeout=30)
    assert pool.cache.hits == 0


def test_cache_is_bounded_by_bytes():
    cache = ResultCache(budget=1000, entry=600)
    cache.put(("v", "q-big", CSV, (), (), None), CSV, b"x" * 700)  # above the entry size
    assert cache.get(("v", "q-big", CSV, (), (), None)) is None
    for i in range(10):
        cache.put(("v", f"q{i}", CSV, (), (), None), CSV, b"x" * 100)
    kept = [i for i in range(10) if cache.get(("v", f"q{i}", CSV, (), (), None))]
    assert kept == list(range(10 - len(kept), 10)) and 0 < len(kept) < 10  # LRU, within budget
    cache.forget_views({"other"})
    assert cache.get(("v", "q9", CSV, (), (), None)) is None
