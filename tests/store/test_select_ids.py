"""select_ids: the large reads of IRIs and counts, from the store's TSV answer, give what
select gives, on every backend (the remote one re-writes its engine's answer)."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from alm_ld.analytics.sparql import select, select_ids

EX = "https://example.org/"
DATA = (
    f'<{EX}a> <{EX}count> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    f'<{EX}b> <{EX}count> "-12"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    f'<{EX}c> <{EX}count> "7"^^<http://www.w3.org/2001/XMLSchema#int> .\n'
    f'<{EX}c> <{EX}link> <{EX}a?x=1&y=%C3%A9#f> .\n'
    f'<{EX}d> <{EX}label> "not a count" .\n'
).encode()


def _ids(store, query: str) -> list:  # type: ignore[no-untyped-def]
    return sorted(select_ids(store, query), key=repr)


def test_ids_and_counts_read_as_select_reads_them(store) -> None:  # type: ignore[no-untyped-def]
    store.add_graph(URIRef(EX + "g"), DATA)
    query = f"""SELECT ?s ?n ?o WHERE {{ GRAPH <{EX}g> {{
  {{ ?s <{EX}count> ?n }} UNION {{ ?s <{EX}link> ?o }} }} }}"""
    expected = sorted(((r["s"], r.get("n"), r.get("o")) for r in select(store, query)), key=repr)
    assert _ids(store, query) == expected
    assert (EX + "b", -12, None) in expected
    assert (EX + "c", None, EX + "a?x=1&y=%C3%A9#f") in expected
    assert _ids(store, f"SELECT ?s WHERE {{ GRAPH <{EX}g> {{ ?s <{EX}none> ?o }} }}") == []
    assert _ids(store, f"""SELECT (COUNT(*) AS ?c) WHERE {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}""") \
        == [(5,)]


def test_a_literal_is_refused_not_misread(store) -> None:  # type: ignore[no-untyped-def]
    store.add_graph(URIRef(EX + "g"), DATA)
    with pytest.raises(ValueError, match="not a count"):
        list(select_ids(store, f"SELECT ?l WHERE {{ GRAPH <{EX}g> {{ ?s <{EX}label> ?l }} }}"))
