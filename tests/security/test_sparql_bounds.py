"""Queries that crashed the engine's parser are bounded before any parser sees them (item 3).

A small query with 3,000 nested ``{``, 5,000 nested ``(`` or a flat group of 10,000 triple
patterns ended in SIGSEGV inside Oxigraph's parser and took every in-flight request with it.
The served process must answer each with a 400 problem+json naming the setting, and keep
answering everything else.
"""

from __future__ import annotations

import pytest

from alm_ld.errors import QueryRefused
from alm_ld.web.sparql_bounds import check_bounds, measure
from tests.security.conftest import Served

JSON = "application/sparql-results+json"
LIMITS = {"max_bytes": 100_000, "max_depth": 64, "max_patterns": 2000}

ATTACKS = {
    "3000 nested {": ("ASK " + "{" * 3000 + "}" * 3000, "ALM_LD_QUERY_MAX_DEPTH"),
    "5000 nested (": ("ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
                      "ALM_LD_QUERY_MAX_DEPTH"),
    "10,000 patterns (110 KB)": (
        "SELECT * WHERE { " + " ".join(f"?s{i} <http://x/p> ?o ." for i in range(10_000)) + " }",
        "ALM_LD_QUERY_MAX_BYTES"),
    "2,500 short patterns": (
        "SELECT * WHERE { " + " ".join("?s ?p ?o ." for _ in range(2_500)) + " }",
        "ALM_LD_QUERY_MAX_PATTERNS"),
    "nesting spelled with \\u escapes": (
        "ASK " + "\\u007B" * 100 + "\\u007D" * 100, "ALM_LD_QUERY_MAX_DEPTH"),
    "nesting inside a string": (
        'ASK { FILTER("' + "(" * 100 + '" != "") }', "ALM_LD_QUERY_MAX_DEPTH"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_bounds_refuse_before_parsing(name: str) -> None:
    text, setting = ATTACKS[name]
    with pytest.raises(QueryRefused) as caught:
        check_bounds(text, **LIMITS)
    assert caught.value.extra["setting"] == setting
    assert caught.value.status == 400


def test_measures_never_underestimate() -> None:
    found = measure("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f ; ?g ?h , ?i }")
    assert found.depth == 1
    assert found.patterns >= 4
    assert measure("ASK { { { } } }").depth == 3
    assert measure("ASK \\u007B \\U0000007B } }").depth == 2


def test_ordinary_queries_are_within_bounds() -> None:
    text = """PREFIX alm: <https://w3id.org/alm-ld/vocab#>
    SELECT ?work (SUM(?v) AS ?total) WHERE {
      ?obs alm:work ?work ; alm:value ?v .
      OPTIONAL { ?obs alm:source ?s . FILTER(?s != <http://x/y>) }
    } GROUP BY ?work ORDER BY DESC(?total) LIMIT 10"""
    found = check_bounds(text, **LIMITS)
    assert found.depth < 10 and found.patterns < 20


@pytest.mark.parametrize("name", list(ATTACKS))
def test_served_refuses_and_stays_up(served: Served, name: str) -> None:
    text, setting = ATTACKS[name]
    response = served.post("/sparql", data={"query": text}, headers={"Accept": JSON})
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["setting"] == setting
    assert setting in problem["detail"]
    assert served.alive()
    assert served.get("/healthz").status_code == 200
    ok = served.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON})
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_deepest_accepted_nesting_is_evaluated(served: Served) -> None:
    """At the limit the query runs (in a worker with a big stack): the bound is not too tight."""
    depth = LIMITS["max_depth"]
    text = "ASK " + "{" * depth + " ?s ?p ?o " + "}" * depth
    response = served.post("/sparql", data={"query": text}, headers={"Accept": JSON})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["boolean"] is True
