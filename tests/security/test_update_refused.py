"""Every way of smuggling a SPARQL Update to /sparql is refused (400 query-refused), and nothing
is written. The update-only parameters (``update``, ``using-graph-uri``,
``using-named-graph-uri``) are refused wherever they appear, including the URL of a direct
``application/sparql-query`` POST, where they used to be silently ignored."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.security.conftest import Served

INSERT = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> <urn:x:c> } }"
ASK = "ASK { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> <urn:x:c> } }"
QUERY = "ASK { ?s ?p ?o }"
DIRECT = {"Content-Type": "application/sparql-query"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

ATTEMPTS = {
    "direct-post-update-in-url": ("POST", f"?update={quote(INSERT)}", DIRECT, QUERY),
    "direct-post-using-graph-uri": ("POST", "?using-graph-uri=urn:x:g", DIRECT, QUERY),
    "direct-post-using-named-graph-uri": ("POST", "?using-named-graph-uri=urn:x:g", DIRECT,
                                          QUERY),
    "get-using-named-graph-uri": ("GET", f"?query={quote(QUERY)}&using-named-graph-uri=urn:x:g",
                                  {}, None),
    "get-update": ("GET", f"?update={quote(INSERT)}", {}, None),
    "form-update-in-body": ("POST", "", FORM, f"update={quote(INSERT)}"),
    "form-query-with-update-in-url": ("POST", f"?update={quote(INSERT)}", FORM,
                                      f"query={quote(QUERY)}"),
    "form-using-named-graph-uri-in-body": ("POST", "", FORM,
                                           f"query={quote(QUERY)}&using-named-graph-uri=urn:x:g"),
    "sparql-update-body": ("POST", "", {"Content-Type": "application/sparql-update"}, INSERT),
    "unknown-type-with-update-in-url": ("POST", f"?update={quote(INSERT)}",
                                        {"Content-Type": "text/plain"}, INSERT),
}


@pytest.mark.parametrize("name", list(ATTEMPTS))
def test_update_attempt_is_refused(served: Served, name: str) -> None:
    method, query_string, headers, body = ATTEMPTS[name]
    response = (served.get("/sparql" + query_string, headers=headers) if method == "GET" else
                served.post("/sparql" + query_string, headers=headers, data=body))
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("query-refused") and problem["feature"] == "update"
    check = served.get("/sparql", params={"query": ASK},
                       headers={"Accept": "application/sparql-results+json"})
    assert check.status_code == 200 and check.json()["boolean"] is False


def test_plain_direct_post_still_answers(served: Served) -> None:
    response = served.post("/sparql", headers={**DIRECT,
                                               "Accept": "application/sparql-results+json"},
                           data=QUERY)
    assert response.status_code == 200 and response.json()["boolean"] is True
