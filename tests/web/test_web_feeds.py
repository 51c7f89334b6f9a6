"""POST /validate, POST /feeds, GET /feeds/{id} over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests
from rdflib import Graph, URIRef

from tests.web.webdata import FEED_ID, feed_doc

LD = {"Content-Type": "application/ld+json"}


def auth(token="secret"):
    return {**LD, "Authorization": f"Bearer {token}"}


def test_validate_valid_feed(loaded):
    response = requests.post(loaded.url + "/validate", data=json.dumps(feed_doc()), headers=LD,
                             timeout=10)
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is True and report["profile"] == "base"


def test_validate_strict_reports_problems(loaded):
    response = requests.post(loaded.url + "/validate?profile=strict",
                             data=json.dumps(feed_doc()), headers=LD, timeout=10)
    report = response.json()
    assert response.status_code == 200 and report["profile"] == "strict"
    assert report["valid"] is False and report["problems"]


def test_validate_not_json_is_a_problem_in_the_report(loaded):
    response = requests.post(loaded.url + "/validate", data=b"{not json", headers=LD, timeout=10)
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is False and report["problems"][0]["path"]


def test_validate_wrong_media_type_is_415(loaded):
    response = requests.post(loaded.url + "/validate", data=b"x",
                             headers={"Content-Type": "text/plain"}, timeout=10)
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"


def test_validate_too_large_is_413(live_server):
    live = live_server(max_body=1000)
    response = requests.post(live.url + "/validate", data=b" " * 5000, headers=LD, timeout=10)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


def test_validate_unknown_profile_is_400(loaded):
    response = requests.post(loaded.url + "/validate?profile=lenient",
                             data=json.dumps(feed_doc()), headers=LD, timeout=10)
    assert response.status_code == 400


def test_ingest_lifecycle(live_server):
    live = live_server(tokens=("secret",))
    body = json.dumps(feed_doc())
    created = requests.post(live.url + "/feeds", data=body, headers=auth(), timeout=10)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/feeds/" + FEED_ID
    again = requests.post(live.url + "/feeds", data=body, headers=auth(), timeout=10)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    changed = feed_doc()
    changed["items"][0]["value"] = 13
    conflict = requests.post(live.url + "/feeds", data=json.dumps(changed), headers=auth(),
                             timeout=10)
    assert conflict.status_code == 409
    assert conflict.headers["Content-Type"] == "application/problem+json"
    described = requests.get(live.url + created.headers["Location"],
                             headers={"Accept": "text/turtle"}, timeout=10)
    assert described.status_code == 200
    graph = Graph().parse(data=described.text, format="turtle")
    alm = "https://w3id.org/alm-ld/vocab#"
    assert int(graph.value(URIRef(FEED_ID), URIRef(alm + "observationCount"))) == 3
    assert graph.value(URIRef(FEED_ID), URIRef(alm + "provider")) is not None
    work = requests.get(live.url + "/works/10.1371/journal.pone.0000001", timeout=10)
    assert work.status_code == 200


def test_ingest_invalid_is_422_with_problems(live_server):
    live = live_server(tokens=("secret",))
    bad = feed_doc()
    bad["items"][0]["value"] = -1
    response = requests.post(live.url + "/feeds", data=json.dumps(bad), headers=auth(),
                             timeout=10)
    assert response.status_code == 422
    assert response.json()["problems"]
    not_json = requests.post(live.url + "/feeds", data=b"[1,", headers=auth(), timeout=10)
    assert not_json.status_code == 422


@pytest.mark.parametrize(("headers", "status"), [
    (LD, 401), ({**LD, "Authorization": "Basic c2VjcmV0"}, 401), (auth("wrong"), 403),
    (auth("secre"), 403),
])
def test_ingest_needs_the_token(live_server, headers, status):
    live = live_server(tokens=("secret",))
    response = requests.post(live.url + "/feeds", data=json.dumps(feed_doc()), headers=headers,
                             timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"


def test_ingest_closed_without_configured_tokens(live_server):
    live = live_server()
    response = requests.post(live.url + "/feeds", data=json.dumps(feed_doc()), headers=auth(),
                             timeout=10)
    assert response.status_code == 403


def test_unknown_feed_is_404(loaded):
    response = requests.get(loaded.url + "/feeds/urn:uuid:00000000-0000-0000-0000-000000000000",
                            timeout=10)
    assert response.status_code == 404
    assert requests.get(loaded.url + "/feeds/not an iri", timeout=10).status_code == 400
