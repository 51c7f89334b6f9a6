"""The three routes from feed to RDF give the same graph, and the graph follows docs/MODEL.md."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from alm_ld.mapping import (
    IngestContext,
    feed_keys,
    map_feed_ntriples,
    observation_iri,
    observation_key,
)
from alm_ld.resources import examples_dir
from tests.store.conftest import load_fixture
from tests.store.feedgen import synthetic_feed
from tests.support.mapping_jsonld import map_feed_via_jsonld
from tests.support.rdf_mapping import map_feed

ALM = "https://w3id.org/alm-ld/vocab#"
PROV = "http://www.w3.org/ns/prov#"
CTX = IngestContext(sequence=3, ingested_at="2026-11-24T10:00:01Z", content_hash="abc",
                    ingest_iri="https://w3id.org/alm-ld/id/ingest/test")


def _feeds() -> list[dict]:
    feeds = [load_fixture("feed-crossref-1.json"), load_fixture("feed-crossref-2.json"),
             synthetic_feed(50, seed=1)]
    index = json.loads((examples_dir() / "index.json").read_text(encoding="utf-8"))
    feeds += [json.loads((examples_dir() / name).read_text(encoding="utf-8"))
              for name, meta in sorted(index.items()) if meta["valid"]]
    return feeds


@pytest.mark.parametrize("doc", _feeds(), ids=lambda d: d["id"])
def test_direct_rdflib_and_jsonld_paths_are_isomorphic(doc: dict) -> None:
    previous = {key: "https://w3id.org/alm-ld/id/obs/older" for key in feed_keys(doc)}
    ctx = IngestContext(**{**CTX.__dict__, "previous": previous})
    data, summary = map_feed_ntriples(doc, ctx)
    direct = Graph().parse(data=data, format="nt")
    reference, _ = map_feed(doc, ctx)
    via_jsonld, other = map_feed_via_jsonld(doc, ctx)
    assert isomorphic(direct, reference)
    assert isomorphic(direct, via_jsonld)
    assert (summary.items, summary.observations, summary.events) == (
        other.items, other.observations, other.events)


def test_model_of_one_count() -> None:
    doc = load_fixture("feed-crossref-1.json")
    graph, summary = map_feed(doc, CTX)
    key = observation_key("https://doi.org/10.1371/journal.pone.0000001",
                          "https://w3id.org/alm-ld/metrics/citations",
                          "https://w3id.org/alm-ld/sources/crossref", "cumulative", None,
                          "2026-11-24")
    obs = URIRef(observation_iri(key, 12))
    assert summary.keys[key] == str(obs)
    assert (obs, URIRef(ALM + "value"), Literal(12)) in graph
    assert (obs, URIRef(PROV + "wasGeneratedBy"), URIRef(CTX.ingest_iri)) in graph
    assert (obs, URIRef(PROV + "wasRevisionOf"), None) not in graph
    feed = URIRef(doc["id"])
    assert graph.value(feed, URIRef(ALM + "sequence")).toPython() == 3
    assert graph.value(feed, URIRef(ALM + "observationCount")).toPython() == 2
    # the count without a source is attributed to the provider
    sources = set(graph.objects(None, URIRef(ALM + "source")))
    assert URIRef("https://ror.org/02twcfp32") in sources


def test_same_count_same_node_other_value_revises() -> None:
    doc = load_fixture("feed-crossref-1.json")
    first, summary = map_feed(doc, CTX)
    again, _ = map_feed(doc, CTX)
    assert isomorphic(first, again)
    changed = json.loads(json.dumps(doc))
    changed["items"][0]["value"] = 13
    ctx = IngestContext(**{**CTX.__dict__, "previous": dict(summary.keys)})
    revised, new_summary = map_feed(changed, ctx)
    revisions = list(revised.subject_objects(URIRef(PROV + "wasRevisionOf")))
    old = [iri for key, iri in summary.keys.items() if new_summary.keys[key] != iri]
    assert [(str(o)) for _, o in revisions] == old
