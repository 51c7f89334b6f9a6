"""Media-type parameters in Accept choose the representation they name, never a 406.

ActivityPub clients send ``application/ld+json; profile="https://www.w3.org/ns/activitystreams"``,
JSON-LD clients ``profile="http://www.w3.org/ns/json-ld#compacted"``, and many clients add
``charset=utf-8``. Only ``q`` ranks; other parameters do not change the representation.
"""

from __future__ import annotations

import pytest

from tests.web.webdata import WORK

CASES = [
    ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
     "application/ld+json"),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
     "application/ld+json"),
    ("text/turtle;charset=utf-8", "text/turtle"),
    ("application/n-triples; charset=UTF-8, text/turtle;q=0.2", "application/n-triples"),
    ('text/turtle;charset=utf-8;q=0.1, application/ld+json;profile="x";q=0.9',
     "application/ld+json"),
]


@pytest.mark.parametrize(("accept", "served"), CASES)
def test_work_document_honours_accept_with_parameters(loaded_app, accept, served):
    response = loaded_app.get(f"/works/{WORK}", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == served


def test_sparql_results_with_charset(loaded_app):
    response = loaded_app.get("/sparql", params={"query": "ASK {}"},
                              headers={"Accept": "application/sparql-results+json;charset=utf-8"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    assert response.get_json()["boolean"] is True  # the empty pattern has one solution


def test_unknown_type_with_parameters_is_still_406(loaded_app):
    response = loaded_app.get(f"/works/{WORK}",
                              headers={"Accept": "image/png; q=1; foo=bar"})
    assert response.status_code == 406
    assert response.headers["Content-Type"].startswith("application/problem+json")
