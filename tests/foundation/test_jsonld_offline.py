"""The JSON-LD context: pyld and rdflib read every valid example as the same RDF, no context is
ever fetched from the network, and the context maps every feed key."""

from __future__ import annotations

import hashlib
import json

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from alm_ld import jsonld
from alm_ld.resources import CONTEXT_URL, context_document, context_path, examples_dir
from alm_ld.validation.schema_check import schema_document
from alm_ld.vocab import DISCLOSURE_KEYS

INDEX = json.loads((examples_dir() / "index.json").read_text(encoding="utf-8"))
VALID = sorted(name for name, entry in INDEX.items() if entry["valid"])


def _load(name: str) -> dict:
    return json.loads((examples_dir() / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", VALID)
def test_pyld_and_rdflib_agree(name: str) -> None:
    doc = _load(name)
    pyld_graph = Graph().parse(data=jsonld.to_rdf_nquads(doc), format="nquads")
    rdflib_graph = Graph().parse(data=json.dumps(jsonld.with_inline_context(doc)),
                                 format="json-ld")
    assert len(pyld_graph) > 0
    assert isomorphic(pyld_graph, rdflib_graph)


def test_concept_values_expand_to_vocabulary_iris() -> None:
    graph = Graph().parse(data=jsonld.to_rdf_nquads(_load("valid-strict.json")),
                          format="nquads")
    objects = set(graph.objects())
    assert URIRef("https://w3id.org/alm-ld/metrics/html-views") in objects
    assert URIRef("https://w3id.org/alm-ld/relations/references") in objects
    assert URIRef("https://w3id.org/alm-ld/sources/counter") in objects
    assert URIRef("https://w3id.org/alm-ld/vocab#interval") in objects


def test_instance_context_url_is_served_from_the_package() -> None:
    doc = dict(_load("valid-base.json"), **{"@context": "http://127.0.0.1:9/contexts/v1.jsonld"})
    assert jsonld.to_rdf_nquads(doc) == jsonld.to_rdf_nquads(_load("valid-base.json"))


@pytest.mark.parametrize("url", ["https://example.org/context.jsonld", "file:///etc/passwd",
                                 "https://w3id.org/alm-ld/context/v9.jsonld",
                                 "http://127.0.0.1:9/contexts/../secret"])
def test_other_contexts_are_refused_without_fetching(url: str) -> None:
    with pytest.raises(jsonld.ContextRefused) as caught:
        jsonld.expand({"@context": url, "x": 1})
    assert "does not fetch" in caught.value.detail
    with pytest.raises(Exception) as direct:
        jsonld.document_loader(url, {})
    assert "does not fetch" in str(direct.value)


AS2_COPY_SHA256 = "a27b78b82f4980963127140d0cb74f0e8f21c0e2b8efd0368232bf9823edff5a"


@pytest.mark.parametrize("url", ["https://www.w3.org/ns/activitystreams",
                                 "http://www.w3.org/ns/activitystreams",
                                 "https://www.w3.org/ns/activitystreams.jsonld"])
def test_activity_streams_context_is_the_packaged_verbatim_copy(url: str) -> None:
    """The change feed's context is served offline from an unmodified copy of the W3C file
    (provenance and licence: alm_ld/data/licenses/activitystreams-context.md)."""
    assert hashlib.sha256(context_path("activitystreams.jsonld").read_bytes()).hexdigest() == \
        AS2_COPY_SHA256
    loaded = jsonld.document_loader(url, {})
    assert loaded["document"] == context_document("activitystreams.jsonld")
    assert jsonld.expand({"@context": url, "type": "Create", "actor": "https://example.org/a"}) \
        == [{"@type": ["https://www.w3.org/ns/activitystreams#Create"],
             "https://www.w3.org/ns/activitystreams#actor": [{"@id": "https://example.org/a"}]}]


def test_compact_round_trip() -> None:
    doc = _load("valid-strict.json")
    compacted = jsonld.compact(jsonld.expand(doc))
    assert compacted["@context"] == CONTEXT_URL
    assert isomorphic(Graph().parse(data=jsonld.to_rdf_nquads(compacted), format="nquads"),
                      Graph().parse(data=jsonld.to_rdf_nquads(doc), format="nquads"))


def _schema_keys(node: object, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            out.add(key)
            _schema_keys(value, out)
        for value in node.values():
            _schema_keys(value, out)
    elif isinstance(node, list):
        for value in node:
            _schema_keys(value, out)
    return out


def test_context_maps_every_schema_key() -> None:
    context = context_document()["@context"]
    terms = set(context) | set(context["disclosure"]["@context"])
    for scoped in ("container", "authors"):  # v1.1 Work: issn, orcid, affiliations, ror
        terms |= set(context[scoped]["@context"])
    keys = _schema_keys(schema_document("strict"), set()) - {"@context"}
    assert keys - terms == set()
    assert set(DISCLOSURE_KEYS) <= terms
