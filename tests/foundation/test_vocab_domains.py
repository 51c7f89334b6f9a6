"""Property domains in vocab.ttl do not misclassify anything under RDFS inference.

``rdfs:domain`` is inferential: every subject of the property *is* an instance of the domain
(RDFS entailment rule rdfs2). Properties that several classes share (an alert's ``alm:work``,
``alm:value``, ``alm:provider``…) therefore carry ``schema:domainIncludes`` instead, which no
reasoner infers from. owlrl is not installed, so the closure here is a small fixpoint of the
RDFS rules that add types: rdfs2 (domain), rdfs3 (range), rdfs7 (sub-property), rdfs9
(sub-class).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Namespace, URIRef
from rdflib.term import Literal, Node

from alm_ld.analytics import record_harvest, refresh_stale_alerts
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.resources import vocab_path
from alm_ld.store import open_store
from tests.analytics.feeds import count, event, feed

ALM = Namespace("https://w3id.org/alm-ld/vocab#")
QB = Namespace("http://purl.org/linked-data/cube#")
DOMAIN_INCLUDES = URIRef("http://schema.org/domainIncludes")
WORK = "https://doi.org/10.5555/domains.1"
PROVIDER = "https://ror.org/02twcfp32"


def rdfs_closure(data: Graph, vocab: Graph) -> Graph:
    """``data`` plus the rdf:type (and sub-property) triples RDFS entailment adds."""
    closed = Graph()
    for triple in data:
        closed.add(triple)
    domains = set(vocab.subject_objects(RDFS.domain))
    ranges = set(vocab.subject_objects(RDFS.range))
    sub_classes = set(vocab.subject_objects(RDFS.subClassOf))
    sub_properties = set(vocab.subject_objects(RDFS.subPropertyOf))
    while True:
        new: set[tuple[Node, Node, Node]] = set()
        for prop, sup in sub_properties:
            new |= {(s, sup, o) for s, o in closed.subject_objects(prop)}
        for prop, cls in domains:
            new |= {(s, RDF.type, cls) for s in closed.subjects(prop)}
        for prop, cls in ranges:
            new |= {(o, RDF.type, cls) for o in closed.objects(None, prop)
                    if not isinstance(o, Literal)}
        for sub, sup in sub_classes:
            new |= {(s, RDF.type, sup) for s in closed.subjects(RDF.type, sub)}
        new -= set(closed)
        if not new:
            return closed
        for triple in new:
            closed.add(triple)


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return Graph().parse(vocab_path(), format="turtle")


@pytest.fixture(scope="module")
def stored() -> Graph:
    """Everything a real store holds after feeds that raise every kind of stored alert:
    feeds, observations, events, alerts (decrease, disagreement, jump, stale, failed harvest)
    and the vocabulary graph itself."""
    settings = Settings(store="oxigraph:")
    with open_store("oxigraph:") as store:
        for doc in (
            feed([count(WORK, 30, "2026-01-31"), event("https://doi.org/10.5555/citing.1",
                                                       "cites", WORK, source="crossref")],
                 disclosure={"updateFrequency": "P1D"}),
            feed([count(WORK, 25, "2026-02-28"),
                  count(WORK, 90, "2026-02-28", source="opencitations"),
                  count(WORK, 10, "2026-01-01", metric="tweets", source="twitter"),
                  count(WORK, 5000, "2026-01-02", metric="tweets", source="twitter")]),
        ):
            ingest_feed(store, doc, settings=settings)
        refresh_stale_alerts(store, now=datetime.now(UTC) + timedelta(days=400))
        record_harvest(store, PROVIDER, failed=2, attempted=8, detail="HTTP 503")
        out = io.BytesIO()
        store.dump(out, "nquads")
    dataset = Dataset()
    dataset.parse(data=out.getvalue(), format="nquads")
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _alerts(graph: Graph) -> dict[Node, Node]:
    return {a: graph.value(a, ALM.alertType) for a in graph.subjects(RDF.type, ALM.Alert)}


def test_one_alert_with_vocabulary_is_not_an_observation_or_feed(vocab, stored):
    """One decrease alert (work, metric, source, value, feed, observation) plus vocab.ttl."""
    [alert] = [a for a, kind in _alerts(stored).items() if kind == ALM.CountDecreased]
    one = Graph()
    for triple in stored.triples((alert, None, None)):
        one.add(triple)
    assert {ALM.work, ALM.metric, ALM.value, ALM.feed} <= set(one.predicates())
    types = set(rdfs_closure(one, vocab).objects(alert, RDF.type))
    assert ALM.Alert in types
    assert not types & {ALM.Observation, ALM.Feed, ALM.Count, ALM.Event, QB.Observation}


def test_no_alert_kind_is_inferred_to_be_something_else(vocab, stored):
    alerts = _alerts(stored)
    assert set(alerts.values()) == {ALM.CountDecreased, ALM.SourcesDisagree,
                                    ALM.ImplausibleJump, ALM.StaleSource, ALM.HarvestFailed}
    closed = rdfs_closure(stored, vocab)
    for alert, kind in alerts.items():
        alm_types = {t for t in closed.objects(alert, RDF.type) if str(t).startswith(str(ALM))}
        assert alm_types == {ALM.Alert}, kind
    [harvest] = [a for a, kind in alerts.items() if kind == ALM.HarvestFailed]
    assert (harvest, ALM.provider, URIRef(PROVIDER)) in stored


def _only(vocab: Graph, *predicates: URIRef) -> Graph:
    part = Graph()
    for predicate in predicates:
        for triple in vocab.triples((None, predicate, None)):
            part.add(triple)
    return part


def test_domains_add_no_type_a_stored_node_does_not_already_have(vocab, stored):
    """rdfs:domain is kept only where it is true of all the data: inferring from it classes no
    stored node (feed, observation, event, alert, the vocabulary's own ontology node) anew —
    beyond what its asserted types, ranges and sub-classes already say."""
    expected = rdfs_closure(stored, _only(vocab, RDFS.range, RDFS.subClassOf))
    inferred = rdfs_closure(stored, _only(vocab, RDFS.domain, RDFS.range, RDFS.subClassOf))
    extra = {(s, o) for s, o in inferred.subject_objects(RDF.type)
             if (s, RDF.type, o) not in expected}
    assert extra == set()


def test_shared_properties_say_who_uses_them(vocab):
    """The properties alerts share with the model name their classes non-inferentially and keep
    their ranges."""
    for prop, cls in ((ALM.work, ALM.Alert), (ALM.metric, ALM.Alert), (ALM.value, ALM.Alert),
                      (ALM.provider, ALM.Alert), (ALM.source, ALM.Alert),
                      (ALM.work, ALM.Observation), (ALM.provider, ALM.Feed)):
        assert (prop, DOMAIN_INCLUDES, cls) in vocab, (prop, cls)
        assert (prop, RDFS.domain, None) not in vocab, prop
    assert (ALM.work, RDFS.range, ALM.Work) in vocab
    assert (ALM.provider, RDFS.range, URIRef("http://www.w3.org/ns/prov#Agent")) in vocab
    assert (ALM.alertType, RDFS.domain, ALM.Alert) in vocab  # used by alerts only
