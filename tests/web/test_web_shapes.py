"""GET /shapes and POST /validate with a feed as RDF, over real HTTP."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

from alm_ld.jsonld import to_rdf_nquads, with_inline_context
from alm_ld.resources import examples_dir

ALMSH = "https://w3id.org/alm-ld/shapes#"


def _example(name: str) -> dict:
    return json.loads((examples_dir() / name).read_text(encoding="utf-8"))


def _graph(name: str) -> Graph:
    return Graph().parse(data=to_rdf_nquads(_example(name)), format="nt")


def test_shapes_are_turtle_by_default_and_strict_adds_to_base(loaded_app):
    base = loaded_app.get("/shapes")
    strict = loaded_app.get("/shapes?profile=strict")
    assert base.status_code == strict.status_code == 200
    assert base.headers["Content-Type"].startswith("text/turtle")
    base_graph = Graph().parse(data=base.text, format="turtle")
    strict_graph = Graph().parse(data=strict.text, format="turtle")
    assert (URIRef(ALMSH + "FeedShape"), None, None) in base_graph
    assert (URIRef(ALMSH + "StrictFeedShape"), None, None) in strict_graph
    assert (URIRef(ALMSH + "StrictFeedShape"), None, None) not in base_graph


@pytest.mark.parametrize("media, fmt", [("application/n-triples", "nt"),
                                        ("application/rdf+xml", "xml")])
def test_shapes_by_content_negotiation(loaded_app, media, fmt):
    response = loaded_app.get("/shapes", headers={"Accept": media})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(media)
    assert len(Graph().parse(data=response.data, format=fmt)) > 100


def test_shapes_as_jsonld(loaded_app):
    response = loaded_app.get("/shapes",
                              headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    assert "@context" in response.get_json() or isinstance(response.get_json(), list)


def test_shapes_unknown_profile_is_400_problem(loaded_app):
    response = loaded_app.get("/shapes?profile=lenient")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("media, fmt", [("text/turtle", "turtle"),
                                        ("application/n-triples", "nt"),
                                        ("application/rdf+xml", "xml")])
def test_validate_rdf_by_content_type(loaded_app, media, fmt):
    good = _graph("valid-strict.json").serialize(format=fmt, encoding="utf-8")
    response = loaded_app.post("/validate?profile=strict", data=good,
                               headers={"Content-Type": media + "; charset=utf-8"})
    assert response.status_code == 200 and response.get_json() == {
        "valid": True, "profile": "strict", "problems": []}
    bad = _graph("invalid-period-order.json").serialize(format=fmt, encoding="utf-8")
    report = loaded_app.post("/validate", data=bad, headers={"Content-Type": media}).get_json()
    [problem] = report["problems"]
    assert report["valid"] is False and problem["rule"] == "period-order"
    assert problem["resultPath"] == "alm:periodStart" and problem["focusNode"].startswith("_:")


def test_validate_jsonld_with_another_context(loaded_app):
    doc = with_inline_context(_example("invalid-negative-value.json"))
    report = loaded_app.post("/validate", data=json.dumps(doc),
                             headers={"Content-Type": "application/ld+json"}).get_json()
    assert [p["rule"] for p in report["problems"]] == ["schema.minimum"]
    assert report["problems"][0]["resultPath"] == "alm:value"


def test_validate_rdf_that_does_not_parse_is_a_report(loaded_app):
    response = loaded_app.post("/validate", data=b"<a> <b> <c",
                               headers={"Content-Type": "text/turtle"})
    assert response.status_code == 200
    assert [p["rule"] for p in response.get_json()["problems"]] == ["rdf-parse"]


def test_validate_unknown_media_type_names_rdf_types(loaded_app):
    response = loaded_app.post("/validate", data=b"x",
                               headers={"Content-Type": "text/n3"})
    assert response.status_code == 415
    assert "text/turtle" in response.get_json()["accepted"]
