"""VoID description of the dataset (https://www.w3.org/TR/void/) with live statistics."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from alm_ld.config import Settings
from alm_ld.exchange.snapshots import newest_dump_urls
from alm_ld.sparql_text import CITO_NS, PROV_NS, QB_NS, bind_iri
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

_CLASSES = {"works": "Work", "observations": "Observation", "events": "Event", "feeds": "Feed"}
_COUNT = "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?class }"


def statistics(store: Store, timeout: float | None = None) -> dict[str, int]:
    """Triples and entity counts per class, one aggregate query each (clear and cheap)."""
    stats = {"triples": store.quads_count()}
    for key, cls in _CLASSES.items():
        result = store.query(bind_iri(_COUNT, "class", ALM_NS + cls), timeout=timeout)
        stats[key] = int(result.rows[0]["n"]) if result.rows else 0
    return stats


def void_graph(store: Store, settings: Settings) -> Graph:
    base = settings.base_url
    stats = statistics(store, settings.query_timeout)
    graph = Graph()
    graph.bind("void", VOID)
    graph.bind("dcterms", DCTERMS)
    graph.bind("alm", ALM_NS)
    dataset = URIRef(base + "/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("alm-ld article-level metrics")))
    graph.add((dataset, DCTERMS.description, Literal(
        "Article-level metrics (views, saves, discussions, citations, recommendations) from "
        "many providers, as observations and events with provenance.")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(base + "/sparql")))
    graph.add((dataset, VOID.uriLookupEndpoint, URIRef(base + "/works/")))
    for dump in newest_dump_urls(settings):  # /dumps (issue 17): the newest snapshot
        graph.add((dataset, VOID.dataDump, URIRef(dump)))
    graph.add((dataset, VOID.feature, URIRef("http://www.w3.org/ns/formats/JSON-LD")))
    graph.add((dataset, VOID.feature, URIRef("http://www.w3.org/ns/formats/Turtle")))
    for vocabulary in (ALM_NS, PROV_NS, QB_NS, CITO_NS):
        graph.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    graph.add((dataset, VOID.triples, Literal(stats["triples"], datatype=XSD.integer)))
    graph.add((dataset, VOID.entities, Literal(stats["works"], datatype=XSD.integer)))
    for key, cls in _CLASSES.items():
        partition = BNode(f"partition-{key}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(ALM_NS + cls)))
        graph.add((partition, VOID.entities, Literal(stats[key], datatype=XSD.integer)))
    return graph


def catalog_graph(store: Store, settings: Settings) -> Graph:
    """The home page as data: a ``dcat:Catalog`` (``{base}/``) whose one ``dcat:Dataset`` is
    the VoID dataset, with its distributions (the SPARQL endpoint, the change feed, the
    providers at ``/sources``), so RDF clients start where people do."""
    base = settings.base_url
    graph = void_graph(store, settings)
    graph.bind("dcat", DCAT)
    catalog = URIRef(base + "/")
    dataset = URIRef(base + "/.well-known/void#dataset")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("alm-ld")))
    graph.add((catalog, DCAT.dataset, dataset))
    graph.add((dataset, RDF.type, DCAT.Dataset))
    for url, title, media in ((base + "/sparql", "SPARQL 1.1 endpoint (read-only)",
                               "application/sparql-results+json"),
                              (base + "/changes", "Change feed (Activity Streams 2.0)",
                               "application/activity+json"),
                              (base + "/sources", "The providers and their disclosures",
                               "application/ld+json")):
        distribution = BNode()
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(title)))
        graph.add((distribution, DCAT.accessURL, URIRef(url)))
        graph.add((distribution, DCAT.mediaType, Literal(media)))
    return graph
