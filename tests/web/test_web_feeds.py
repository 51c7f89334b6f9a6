"""POST /validate, POST /feeds, GET /feeds/{id} over real HTTP."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

from tests.web.webdata import FEED_ID, feed_doc

LD = {"Content-Type": "application/ld+json"}


def auth(token="secret"):
    return {**LD, "Authorization": f"Bearer {token}"}


def test_validate_valid_feed(loaded_app):
    response = loaded_app.post("/validate", data=json.dumps(feed_doc()), headers=LD)
    assert response.status_code == 200
    report = response.get_json()
    assert report["valid"] is True and report["profile"] == "base"


def test_validate_strict_reports_problems(loaded_app):
    response = loaded_app.post("/validate?profile=strict",
                               data=json.dumps(feed_doc()), headers=LD)
    report = response.get_json()
    assert response.status_code == 200 and report["profile"] == "strict"
    assert report["valid"] is False and report["problems"]


def test_validate_not_json_is_a_problem_in_the_report(loaded_app):
    response = loaded_app.post("/validate", data=b"{not json", headers=LD)
    assert response.status_code == 200
    report = response.get_json()
    assert report["valid"] is False and report["problems"][0]["path"]


def test_validate_wrong_media_type_is_415(loaded_app):
    response = loaded_app.post("/validate", data=b"x",
                               headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"


def test_validate_too_large_is_413(app_client):
    live = app_client(max_body=1000)
    response = live.post("/validate", data=b" " * 5000, headers=LD)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


def test_validate_unknown_profile_is_400(loaded_app):
    response = loaded_app.post("/validate?profile=lenient",
                               data=json.dumps(feed_doc()), headers=LD)
    assert response.status_code == 400


def test_ingest_lifecycle(app_client):
    live = app_client(tokens=("secret",))
    body = json.dumps(feed_doc())
    created = live.post("/feeds", data=body, headers=auth())
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/feeds/" + FEED_ID
    again = live.post("/feeds", data=body, headers=auth())
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    changed = feed_doc()
    changed["items"][0]["value"] = 13
    conflict = live.post("/feeds", data=json.dumps(changed), headers=auth())
    assert conflict.status_code == 409
    assert conflict.headers["Content-Type"] == "application/problem+json"
    described = live.get(created.headers["Location"],
                         headers={"Accept": "text/turtle"})
    assert described.status_code == 200
    graph = Graph().parse(data=described.text, format="turtle")
    alm = "https://w3id.org/alm-ld/vocab#"
    assert int(graph.value(URIRef(FEED_ID), URIRef(alm + "observationCount"))) == 3
    assert graph.value(URIRef(FEED_ID), URIRef(alm + "provider")) is not None
    work = live.get("/works/10.1371/journal.pone.0000001")
    assert work.status_code == 200


def test_ingest_invalid_is_422_with_problems(app_client):
    live = app_client(tokens=("secret",))
    bad = feed_doc()
    bad["items"][0]["value"] = -1
    response = live.post("/feeds", data=json.dumps(bad), headers=auth())
    assert response.status_code == 422
    assert response.get_json()["problems"]
    not_json = live.post("/feeds", data=b"[1,", headers=auth())
    assert not_json.status_code == 422


@pytest.mark.parametrize(("headers", "status"), [
    (LD, 401), ({**LD, "Authorization": "Basic c2VjcmV0"}, 401), (auth("wrong"), 403),
    (auth("secre"), 403),
])
def test_ingest_needs_the_token(app_client, headers, status):
    live = app_client(tokens=("secret",))
    response = live.post("/feeds", data=json.dumps(feed_doc()), headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"


def test_ingest_closed_without_configured_tokens(app_client):
    live = app_client()
    response = live.post("/feeds", data=json.dumps(feed_doc()), headers=auth())
    assert response.status_code == 403


def test_unknown_feed_is_404(loaded_app):
    response = loaded_app.get("/feeds/urn:uuid:00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert loaded_app.get("/feeds/not an iri").status_code == 400
