"""``/openapi.json`` tells the truth: every registered route is described, the document is valid
OpenAPI 3.1, and every media type it promises for a 200 is served by the real process (and a
media type it does not promise is 406)."""

from __future__ import annotations

from urllib.parse import quote

import jsonschema
import pytest

from alm_ld.config import Settings
from alm_ld.web import create_app
from alm_ld.web.openapi import openapi_document, undocumented_routes
from tests.security.conftest import Served

# Query parameters a documented GET needs to answer 200 (everything else has defaults).
NEEDS: dict[str, str] = {}  # every documented GET answers 200 with its defaults
TABLES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
          "text/tab-separated-values")
RELATED_WORK = "10.5439/1021460"  # a demo work with related works (README)
NOT_IN_DEMO = {"/funders/{id}"}  # the demo feeds name no funder: a 404 in every type


@pytest.fixture(scope="module")
def document(served: Served) -> dict:
    response = served.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_every_registered_route_is_documented(document: dict) -> None:
    app = create_app(Settings(store="memory:"))
    assert undocumented_routes(app, document) == []
    # and the check itself notices a missing route
    trimmed = {**document, "paths": {k: v for k, v in document["paths"].items()
                                     if k != "/alerts"}}
    assert undocumented_routes(app, trimmed) == ["GET /alerts"]


def test_document_is_valid_openapi_3_1(document: dict) -> None:
    """openapi-spec-validator (pinned in the test extra), as API tooling users run it; the
    meta-schema schemathesis ships agrees."""
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate
    from schemathesis.specs.openapi.definitions import OPENAPI_31

    assert document["openapi"] == "3.1.0"
    assert document == openapi_document(document["servers"][0]["url"])
    assert [str(e) for e in OpenAPIV31SpecValidator(document).iter_errors()] == []
    validate(document)
    errors = [e.message for e in jsonschema.Draft202012Validator(OPENAPI_31).iter_errors(
        document)]
    assert errors == []
    broken = {k: v for k, v in document.items() if k != "info"}
    assert list(OpenAPIV31SpecValidator(broken).iter_errors())  # the validator does check


def _feed_id(served: Served) -> str:
    query = ("SELECT ?f WHERE { ?f a <https://w3id.org/alm-ld/vocab#Feed> } "
             "ORDER BY ?f LIMIT 1")
    response = served.get("/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    return response.json()["results"]["bindings"][0]["f"]["value"]


def _url(path: str, operation: dict, served: Served) -> str:
    for param in operation.get("parameters", []):
        if param["in"] != "path":
            continue
        if path == "/works/{id}/related":
            value = RELATED_WORK
        elif path == "/feeds/{id}":
            value = quote(_feed_id(served), safe=":")
        else:
            value = param["example"]
        path = path.replace("{" + param["name"] + "}", value)
    return path + (f"?{NEEDS[path]}" if path in NEEDS else "")


def _promised_get_media(document: dict) -> list[tuple[str, str]]:
    cases = []
    for path, item in document["paths"].items():
        ok = item.get("get", {}).get("responses", {}).get("200")
        if not ok:
            continue
        cases.extend((path, media) for media in ok["content"]
                     if media not in ("*/*", "text/event-stream"))
    return cases


def test_every_promised_media_type_is_served_and_others_are_406(served: Served,
                                                                 document: dict) -> None:
    failures = []
    for path, media in _promised_get_media(document):
        url = _url(path, document["paths"][path]["get"], served)
        if path == "/sparql" and media in TABLES:  # the service description is RDF
            url += "?query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        response = served.get(url, headers={"Accept": media}, allow_redirects=False)
        served_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if path in NOT_IN_DEMO:
            problem = "text/html" if media == "text/html" else "application/problem+json"
            if (response.status_code, served_type) != (404, problem):
                failures.append(f"{path} Accept {media}: {response.status_code} {served_type}")
            continue
        if response.status_code != 200 or served_type != media:
            failures.append(f"{path} Accept {media}: {response.status_code} {served_type}")
    assert failures == []
    for path, item in document["paths"].items():
        if "406" in item.get("get", {}).get("responses", {}):
            url = _url(path, item["get"], served)
            response = served.get(url, headers={"Accept": "application/x-not-served"})
            assert response.status_code == 406, path
            assert response.headers["Content-Type"].startswith("application/problem+json")
