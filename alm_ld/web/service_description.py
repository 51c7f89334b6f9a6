"""The SPARQL 1.1 Service Description of ``/sparql`` (https://www.w3.org/TR/sparql11-service-description/).

Returned when the endpoint is called without a query, so SPARQL clients and people can learn
what it speaks: languages, result formats, features (the default graph is the union of the
named graphs), the limits this deployment enforces, and the dataset with its named graphs.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from alm_ld.config import Settings
from alm_ld.vocab import DCTERMS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
VOID = Namespace("http://rdfs.org/ns/void#")

_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                   "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD")


def service_description(settings: Settings, graph_names: list[str]) -> Graph:
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    graph.bind("void", VOID)
    endpoint = URIRef(settings.base_url + "/sparql")
    service = URIRef(settings.base_url + "/sparql#service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for name in _RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((service, DCTERMS.description, Literal(
        "Read-only SPARQL 1.1 endpoint over alm-ld article-level metrics. SPARQL Update, "
        "SERVICE and FROM of graphs outside this store are refused. Queries stop after "
        f"{settings.query_timeout:g} s; SELECT results hold at most {settings.result_limit} "
        "rows.")))
    dataset = BNode("dataset")
    default = BNode("defaultGraph")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, VOID.sparqlEndpoint, endpoint))
    for name in graph_names:
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
    return graph
