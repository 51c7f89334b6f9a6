"""The JSON-LD route from feed to RDF, kept to check (and measure against) the direct mapping.

A feed is JSON-LD, so a JSON-LD processor can turn it into RDF by its context alone. That RDF
is close to the model but not it: counts are blank nodes (the model mints key-derived IRIs),
identifiers are not normalised, period literals are untyped, sources default to nothing and
provenance is missing. :func:`map_feed_via_jsonld` post-processes pyld's output into the model.
``tests/store/test_mapping.py`` proves it isomorphic to the rdflib route
(``tests/support/rdf_mapping.py``), which makes the context and the direct mapping keep
agreeing on what every key means;
``benchmarks/ingest_bench.py`` shows why ingest uses the direct path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from alm_ld.identifiers import funder_iri, issn_iri, issn_value, orcid_iri, ror_iri, work_iri
from alm_ld.mapping import (
    CITO_CITES,
    DCTERMS,
    PROV,
    QB_OBSERVATION,
    RDF_TYPE,
    RELATIONS_NS,
    SCHEMA_NAME,
    SCHEMA_NS,
    XSD_DATETIME,
    XSD_INTEGER,
    IngestContext,
    MappedFeed,
    Statement,
    alm,
    metadata_base,
    named_node,
    observation_iri,
    observation_key,
    provenance_statements,
    subject_iri,
    temporal_datatype,
)
from alm_ld.vocab import DISCLOSURE_KEYS
from tests.support.rdf_mapping import rdflib_object, rdflib_subject

_TYPE = URIRef(RDF_TYPE)


def _obj(node: Node) -> tuple[str, ...]:
    if isinstance(node, Literal):
        return ("lit", str(node), str(node.datatype)) if node.datatype else ("lit", str(node))
    return ("iri", str(node))


def _statements(raw: Graph, ctx: IngestContext, summary: MappedFeed) -> Iterator[Statement]:
    feed = raw.value(None, _TYPE, URIRef(alm("Feed")))
    provider = raw.value(feed, URIRef(alm("provider")))
    generated = str(raw.value(feed, URIRef(PROV + "generatedAtTime")))
    works: set[str] = set()
    items = list(raw.objects(feed, URIRef(alm("item"))))
    observations = events = 0

    def one(node: Node, term: str) -> Node | None:
        return raw.value(node, URIRef(term))

    for item in items:
        kinds = set(raw.objects(item, _TYPE))
        if URIRef(alm("Count")) in kinds:
            observations += 1
            work = work_iri(str(one(item, alm("work"))))
            works.add(work)
            source = one(item, alm("source")) or provider
            aggregation = str(one(item, alm("aggregation")))
            start, end = one(item, alm("periodStart")), str(one(item, alm("periodEnd")))
            value = int(one(item, alm("value")))
            key = observation_key(work, str(one(item, alm("metric"))), str(source),
                                  aggregation.rsplit("#", 1)[1], start and str(start), end)
            obs = observation_iri(key, value)
            summary.keys[key] = obs
            yield obs, RDF_TYPE, ("iri", QB_OBSERVATION)
            yield obs, RDF_TYPE, ("iri", alm("Observation"))
            yield obs, alm("work"), ("iri", work)
            yield obs, alm("source"), ("iri", str(source))
            for prop in (alm("metric"), alm("value"), alm("aggregation"), alm("retrieved"),
                         PROV + "wasDerivedFrom"):
                for value_node in raw.objects(item, URIRef(prop)):
                    yield obs, prop, _obj(value_node)
            if start:
                yield obs, alm("periodStart"), ("lit", str(start), temporal_datatype(str(start)))
            yield obs, alm("periodEnd"), ("lit", end, temporal_datatype(end))
            retrieved = one(item, alm("retrieved"))
            yield obs, PROV + "generatedAtTime", (
                "lit", str(retrieved) if retrieved else generated, XSD_DATETIME)
            yield obs, PROV + "wasGeneratedBy", ("iri", ctx.ingest_iri)
            before = ctx.previous.get(key)
            if before and before != obs:
                yield obs, PROV + "wasRevisionOf", ("iri", before)
        elif URIRef(alm("Event")) in kinds:
            events += 1
            event = str(item)
            subject = subject_iri(str(one(item, alm("subject"))))
            obj = work_iri(str(one(item, alm("object"))))
            works.add(obj)
            yield event, RDF_TYPE, ("iri", alm("Event"))
            yield event, alm("subject"), ("iri", subject)
            yield event, alm("object"), ("iri", obj)
            yield event, alm("source"), ("iri", str(one(item, alm("source")) or provider))
            for prop in (alm("relation"), alm("occurred"), DCTERMS + "license",
                         PROV + "wasDerivedFrom"):
                for value_node in raw.objects(item, URIRef(prop)):
                    yield event, prop, _obj(value_node)
            if str(one(item, alm("relation"))) == RELATIONS_NS + "cites":
                works.add(subject)
                yield subject, CITO_CITES, ("iri", obj)
        elif URIRef(alm("Work")) in kinds:
            work = work_iri(str(item))
            works.add(work)
            for prop in (DCTERMS + "title", DCTERMS + "issued",
                         "http://www.w3.org/2002/07/owl#sameAs"):
                for value_node in raw.objects(item, URIRef(prop)):
                    if prop.endswith("sameAs"):
                        value_node = URIRef(subject_iri(str(value_node)))
                    if prop.endswith("issued"):
                        value_node = Literal(str(value_node), datatype=URIRef(
                            temporal_datatype(str(value_node))))
                    yield work, prop, _obj(value_node)
            yield from _work_metadata(raw, item, work, metadata_base(str(feed), work))

    for work in sorted(works):
        yield work, RDF_TYPE, ("iri", alm("Work"))

    disclosure: dict[str, Any] = {}
    node = one(feed, alm("disclosure"))
    if node is not None:
        for key in DISCLOSURE_KEYS:
            value_node = one(node, alm(key))
            if value_node is not None:
                disclosure[key] = str(value_node)
    name = one(provider, SCHEMA_NAME)
    yield from provenance_statements(
        str(feed), {"id": str(provider), "name": str(name) if name else None}, generated,
        disclosure, (len(items), observations, events), ctx)
    summary.items, summary.observations, summary.events = len(items), observations, events


def _schema(term: str) -> URIRef:
    return URIRef(SCHEMA_NS + term)


def _work_metadata(raw: Graph, item: Node, work: str, base: str) -> Iterator[Statement]:
    """The v1.1 Work fields as pyld reads them through the context (blank nodes, an
    ``rdf:List`` of authors, identifiers as written), rebuilt into the model: skolem IRIs,
    positions, normalised ORCID / ISSN / ROR / funder IRIs, the same types."""
    for term in ("additionalType", "publisher"):
        for value_node in raw.objects(item, _schema(term)):
            yield work, SCHEMA_NS + term, _obj(value_node)
    for container in raw.objects(item, _schema("isPartOf")):
        node = base + "/container"
        yield work, SCHEMA_NS + "isPartOf", ("iri", node)
        yield node, RDF_TYPE, ("iri", SCHEMA_NS + "CreativeWork")
        for title in raw.objects(container, URIRef(DCTERMS + "title")):
            yield node, DCTERMS + "title", _obj(title)
        for issn in raw.objects(container, _schema("issn")):
            yield node, SCHEMA_NS + "issn", ("lit", issn_value(str(issn)))
            yield node, SCHEMA_NS + "sameAs", ("iri", issn_iri(str(issn)))
    for head in raw.objects(item, _schema("author")):
        for position, author in enumerate(Collection(raw, head), start=1):
            node = f"{base}/author/{position}"
            yield work, SCHEMA_NS + "author", ("iri", node)
            yield node, RDF_TYPE, ("iri", SCHEMA_NS + "Person")
            yield node, SCHEMA_NS + "position", ("lit", str(position), XSD_INTEGER)
            for name in raw.objects(author, _schema("name")):
                yield node, SCHEMA_NAME, _obj(name)
            for orcid in raw.objects(author, _schema("sameAs")):
                yield node, SCHEMA_NS + "sameAs", ("iri", orcid_iri(str(orcid)))
            for affiliation in raw.objects(author, _schema("affiliation")):
                org = _org(raw, affiliation, ror_iri, node, "affiliation")
                yield node, SCHEMA_NS + "affiliation", ("iri", org)
                yield from _organisation_of(raw, affiliation, org)
    for funder in raw.objects(item, _schema("funder")):
        org = _org(raw, funder, funder_iri, base, "funder")
        yield work, SCHEMA_NS + "funder", ("iri", org)
        yield from _organisation_of(raw, funder, org)


def _org(raw: Graph, node: Node, normalise: Callable[[object], str], parent: str,
         kind: str) -> str:
    if isinstance(node, BNode):
        return named_node(parent, kind, str(raw.value(node, _schema("name"))))
    return normalise(str(node))


def _organisation_of(raw: Graph, node: Node, org: str) -> Iterator[Statement]:
    yield org, RDF_TYPE, ("iri", SCHEMA_NS + "Organization")
    for name in raw.objects(node, _schema("name")):
        yield org, SCHEMA_NAME, _obj(name)


def map_feed_via_jsonld(doc: Mapping[str, Any], ctx: IngestContext) -> tuple[Graph, MappedFeed]:
    """pyld's RDF of ``doc``, post-processed to the model of docs/MODEL.md."""
    from alm_ld.jsonld import to_rdf_nquads

    raw = Graph().parse(data=to_rdf_nquads(dict(doc)), format="nt")
    summary = MappedFeed(str(doc["id"]))
    graph = Graph()
    bnodes: dict[str, BNode] = {}
    for s, p, o in _statements(raw, ctx, summary):
        graph.add((rdflib_subject(s, bnodes), URIRef(p), rdflib_object(o, bnodes)))
    return graph, summary
