"""GET /works and POST /works/batch answers are JSON-LD whose every key the analytics context
defines: a JSON-LD processor (pyld, through alm-ld's offline loader of the packaged contexts)
expands them without dropping anything."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from alm_ld.jsonld import expand

OPAQUE = ("metricsBySource", "error")  # kept whole, as rdf:JSON literals
HYDRA = "http://www.w3.org/ns/hydra/core#"
METRICS = "https://w3id.org/alm-ld/metrics/"


def _leaves(doc: Any) -> int:
    """Non-null values of a compacted answer (an opaque object counts once)."""
    if isinstance(doc, list):
        return sum(_leaves(v) for v in doc)
    if isinstance(doc, dict):
        return sum(1 if k in OPAQUE else _leaves(v)
                   for k, v in doc.items() if k != "@context" and v is not None)
    return 1


def _expanded_leaves(doc: Any) -> int:
    """Values in expanded JSON-LD: each @value, each node's @id."""
    if isinstance(doc, list):
        return sum(_expanded_leaves(v) for v in doc)
    if isinstance(doc, dict):
        if "@value" in doc:
            return 1
        return sum(1 if k == "@id" else _expanded_leaves(v) for k, v in doc.items())
    return 0


def _no_key_dropped(doc: dict) -> list:
    expanded = expand(doc)
    assert _expanded_leaves(expanded) == _leaves(doc)
    return expanded


@pytest.mark.parametrize("params", [
    {},
    {"select": "metrics_by_source", "sort": "citations:desc", "per_page": "1"},
    {"group_by": "ror"},
    {"group_by": "issued_year", "filter": "ror:03vek6s52"},
    {"group_by": "source"},
])
def test_works_answers_expand_without_dropping_keys(served, params) -> None:
    response = requests.get(served.url + "/works", params=params,
                            headers={"Accept": "application/ld+json"}, timeout=10)
    assert response.status_code == 200, response.text
    doc = response.json()
    expanded = _no_key_dropped(doc)
    text = repr(expanded)
    assert HYDRA + "member" in text and HYDRA + "totalItems" in text
    assert METRICS + "citations" in text  # metric values are properties of the work / group


def test_the_metric_values_become_triples_of_the_work(served) -> None:
    doc = requests.get(served.url + "/works", params={"filter": "ror:03vek6s52",
                                                      "sort": "citations:desc"},
                       headers={"Accept": "application/ld+json"}, timeout=10).json()
    [top] = expand(doc)
    [members] = top[HYDRA + "member"]
    first = members["@list"][0]
    assert first["@id"] == "https://doi.org/10.5555/w1"
    assert first[METRICS + "citations"] == [{"@value": 14, "@type":
                                             "http://www.w3.org/2001/XMLSchema#integer"}] \
        or first[METRICS + "citations"] == [{"@value": 14}]


def test_batch_answer_expands_without_dropping_keys(served) -> None:
    response = requests.post(served.url + "/works/batch", json={"ids": [
        "10.5555/w1", "10.5555/unknown", "doi:not a doi", "10.5555/w3"]}, timeout=10)
    assert response.status_code == 200
    _no_key_dropped(response.json())
