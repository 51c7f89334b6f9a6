"""The vocabulary as a page people read: terms grouped, one anchor per term, definitions, and
the crosswalk (SKOS matches to CrossRef Event Data, DataCite, COUNTER, Lagotto, PlumX, Make Data
Count, schema.org, …) — built from the same graph ``/vocab`` serves as RDF, so the page cannot
drift from the data."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from alm_ld.sparql_text import PROV_NS, SCHEMA_NS, XSD_NS
from alm_ld.vocab import ALM_NS, CATEGORIES_NS, MAPPINGS_NS, METRICS_NS, RELATIONS_NS

CROSSWALK = (("exact match", SKOS.exactMatch), ("close match", SKOS.closeMatch),
             ("broad match", SKOS.broadMatch), ("narrow match", SKOS.narrowMatch),
             ("related match", SKOS.relatedMatch), ("equivalent", OWL.equivalentClass),
             ("equivalent", OWL.equivalentProperty), ("subclass of", RDFS.subClassOf),
             ("see also", RDFS.seeAlso))


@dataclass
class Term:
    iri: str
    anchor: str
    label: str
    definition: str
    kind: str = ""
    broader: list[tuple[str, str]] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    crosswalk: list[tuple[str, str, str]] = field(default_factory=list)
    """(relation, target IRI, target label or shortened IRI)."""


@dataclass
class Group:
    anchor: str
    title: str
    intro: str
    terms: list[Term]


def _first(graph: Graph, node: URIRef, *predicates: URIRef) -> str:
    for predicate in predicates:
        value = graph.value(node, predicate)
        if value is not None:
            return str(value)
    return ""


def _short(iri: str) -> str:
    for prefix, namespace in (("alm:", ALM_NS), ("metric:", METRICS_NS),
                              ("category:", CATEGORIES_NS), ("relation:", RELATIONS_NS),
                              ("schema:", SCHEMA_NS), ("xsd:", XSD_NS), ("prov:", PROV_NS),
                              ("mapping:", MAPPINGS_NS)):
        if iri.startswith(namespace):
            return prefix + iri[len(namespace):]
    return iri


def _anchor(prefix: str, iri: str, namespace: str) -> str:
    return prefix + "-" + "".join(c if c.isalnum() or c in "-_." else "-"
                                  for c in iri[len(namespace):])


def _term(graph: Graph, node: URIRef, anchor: str, kind: str = "") -> Term:
    term = Term(str(node), anchor,
                _first(graph, node, SKOS.prefLabel, RDFS.label) or _short(str(node)),
                _first(graph, node, SKOS.definition, RDFS.comment), kind)
    term.broader = sorted(("#" + _anchor("category", str(b), CATEGORIES_NS)
                           if str(b).startswith(CATEGORIES_NS) else str(b),
                           _first(graph, b, SKOS.prefLabel, RDFS.label) or _short(str(b)))
                          for b in graph.objects(node, SKOS.broader) if isinstance(b, URIRef))
    """(href, label): a category links to its anchor on this page."""
    term.domain = sorted(_short(str(d)) for p in (RDFS.domain, URIRef(SCHEMA_NS + "domainIncludes"))
                         for d in graph.objects(node, p))
    term.range = sorted(_short(str(r)) for r in graph.objects(node, RDFS.range))
    for relation, predicate in CROSSWALK:
        for target in sorted(graph.objects(node, predicate), key=str):
            if isinstance(target, URIRef):
                shown = _first(graph, target, SKOS.prefLabel, RDFS.label) or _short(str(target))
                term.crosswalk.append((relation, str(target), shown))
    return term


def _in(graph: Graph, namespace: str, *types: URIRef) -> list[URIRef]:
    found = {s for t in types for s in graph.subjects(RDF.type, t)
             if isinstance(s, URIRef) and str(s).startswith(namespace)
             and str(s) != namespace.rstrip("/#")}
    return sorted(found, key=lambda s: str(s).lower())


def vocabulary_groups(graph: Graph) -> list[Group]:
    """The page's sections, in reading order."""
    classes = _in(graph, ALM_NS, RDFS.Class, OWL.Class)
    properties = _in(graph, ALM_NS, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty)
    individuals = [s for s in _in(graph, ALM_NS, OWL.NamedIndividual) if s not in classes]
    concept = (SKOS.Concept,)
    return [
        Group("classes", "Classes", "What the data is made of.",
              [_term(graph, s, _anchor("class", str(s), ALM_NS)) for s in classes]),
        Group("properties", "Properties", "How the things are described and linked.",
              [_term(graph, s, _anchor("property", str(s), ALM_NS),
                     "object" if (s, RDF.type, OWL.ObjectProperty) in graph else "data")
               for s in properties]),
        Group("values", "Named values", "Aggregations and alert types.",
              [_term(graph, s, _anchor("value", str(s), ALM_NS)) for s in individuals]),
        Group("categories", "Metric categories", "The five families of metrics.",
              [_term(graph, s, _anchor("category", str(s), CATEGORIES_NS))
               for s in _in(graph, CATEGORIES_NS, *concept)]),
        Group("metrics", "Metrics", "Each metric, its category and how it crosswalks to the "
              "names providers and other standards use.",
              [_term(graph, s, _anchor("metric", str(s), METRICS_NS))
               for s in _in(graph, METRICS_NS, *concept)]),
        Group("relations", "Event relations", "What an event says a subject did to a work.",
              [_term(graph, s, _anchor("relation", str(s), RELATIONS_NS))
               for s in _in(graph, RELATIONS_NS, *concept)]),
    ]
