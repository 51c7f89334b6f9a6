"""The app factory and the error handling every endpoint shares."""

from __future__ import annotations

import requests


def test_healthz_over_http(live_server):
    live = live_server()
    response = requests.get(live.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_unknown_path_is_problem_json(live_server):
    live = live_server()
    response = requests.get(live.url + "/no/such/thing", timeout=5)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404
    assert problem["type"].startswith("https://w3id.org/alm-ld/problems/")


def test_wrong_method_is_problem_json_with_allow(live_server):
    live = live_server()
    response = requests.delete(live.url + "/healthz", timeout=5)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "GET" in response.headers["Allow"]
