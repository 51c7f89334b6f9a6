"""Vocabulary terms as Python names.

The namespaces below are the contract between feeds, the RDF model and SPARQL users. ``ALM`` is
a closed namespace built from the packaged Turtle (``alm_ld/data/vocab.ttl``), so a typo in a
term name is an error at import rather than a silently wrong triple.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin, get_type_hints

from alm_ld.resources import vocab_path

if TYPE_CHECKING:
    from rdflib import Graph, Namespace, URIRef
    from rdflib import namespace as rdflib_namespace

ALM_NS = "https://w3id.org/alm-ld/vocab#"
METRICS_NS = "https://w3id.org/alm-ld/metrics/"
RELATIONS_NS = "https://w3id.org/alm-ld/relations/"
SOURCES_NS = "https://w3id.org/alm-ld/sources/"
CATEGORIES_NS = "https://w3id.org/alm-ld/categories/"
MAPPINGS_NS = "https://w3id.org/alm-ld/mappings/"
ID_NS = "https://w3id.org/alm-ld/id/"
CUMULATIVE = ALM_NS + "cumulative"
"""The aggregation of a running total (``alm:cumulative``): the one the view, the works index
and the alerts single out."""
VOCAB_GRAPH_IRI = "https://w3id.org/alm-ld/vocab"
QB_NS = "http://purl.org/linked-data/cube#"
CITO_NS = "http://purl.org/spar/cito/"
DCTERMS_NS = "http://purl.org/dc/terms/"
SCHEMA_NS = "http://schema.org/"  # over http, as stored (docs/MODEL.md)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
"""The datatype of a plain string literal, which writers leave out (a plain string, no rdflib
import: the store, results and JSON-LD writers all compare against this one name)."""
# Every namespace IRI is written once: ours and these four above, the W3C ones by rdflib;
# alm_ld.sparql_text.NAMESPACES gives them their prefixes.

# The names of this module that are rdflib objects, built on first use from these declarations
# alone (:func:`__getattr__`): ``Annotated[kind, iri]`` is ``kind(iri)`` (a closed namespace
# gets the packaged vocabulary's terms in ``iri``), ``type[X]`` is rdflib's own ``X``. Declaring
# a name here is all it takes to add one.
ALM: Annotated[rdflib_namespace.ClosedNamespace, ALM_NS]
METRICS: Annotated[Namespace, METRICS_NS]
RELATIONS: Annotated[Namespace, RELATIONS_NS]
CATEGORY: Annotated[Namespace, CATEGORIES_NS]
SOURCES: Annotated[Namespace, SOURCES_NS]
QB: Annotated[Namespace, QB_NS]
CITO: Annotated[Namespace, CITO_NS]
DCTERMS: Annotated[Namespace, DCTERMS_NS]
SCHEMA: Annotated[Namespace, SCHEMA_NS]
VOCAB_GRAPH: Annotated[URIRef, VOCAB_GRAPH_IRI]
OWL: type[rdflib_namespace.OWL]
PROV: type[rdflib_namespace.PROV]
RDF: type[rdflib_namespace.RDF]
RDFS: type[rdflib_namespace.RDFS]
SKOS: type[rdflib_namespace.SKOS]
XSD: type[rdflib_namespace.XSD]
ClosedNamespace: type[rdflib_namespace.ClosedNamespace]
DefinedNamespace: type[rdflib_namespace.DefinedNamespace]

# Concept ids that providers write by hand (docs/vocabulary.md); they must exist with exactly
# these ids.
CORE_METRICS = (
    "views", "downloads", "readers", "bookmarks", "mentions", "comments", "citations",
    "recommendations",
)
CORE_RELATIONS = (
    "cites", "references", "discusses", "mentions", "bookmarks", "likes", "reads", "reviews",
    "recommends",
)
CATEGORIES = ("viewed", "saved", "discussed", "cited", "recommended")

# The 13 NISO RP-25-2016 reporting items, in the standard's order, as feed keys and alm: terms.
# Defined once here because the feed format (schemas), the validator, the mapping and the
# provider dashboard must agree on them: a key one of them misses is silently dropped.
DISCLOSURE_KEYS = (
    "dataSources", "metricDefinitions", "collectionMethod", "limitations", "changeLog",
    "aggregationMethod", "updateFrequency", "accessMethod", "consistencyAcrossClients",
    "consistencyAcrossMethods", "qualityMonitoring", "independentVerification",
    "correctionProcess",
)


@cache
def vocab_graph() -> Graph:
    """The packaged vocabulary, parsed once per process. Callers must not modify it."""
    from rdflib import Graph

    return Graph().parse(vocab_path(), format="turtle")


def _terms(namespace: str) -> list[str]:
    """The names of the vocabulary's terms in ``namespace`` (what a closed namespace allows):
    from the packaged index when it was made from this very ``vocab.ttl``, else parsed.

    Why an index: parsing the Turtle with rdflib took ~135 ms of every process that first
    uses ``ALM`` — 11 % of a whole ``alm-ld ingest`` of 5,000 items (issue 15: a CLI run is a
    whole process). The index names the sha256 of the Turtle it was made from, so an index
    left stale by an edit of the vocabulary is never believed."""
    index = _terms_index()
    if index is not None and namespace in index:
        return list(index[namespace])
    return _parsed_terms(namespace)


@cache
def _terms_index() -> dict[str, list[str]] | None:
    """The packaged term index if it matches the packaged vocabulary, else None."""
    import hashlib
    import json

    from alm_ld.resources import vocab_terms_path

    try:
        index = json.loads(vocab_terms_path().read_text(encoding="utf-8"))
        digest = hashlib.sha256(vocab_path().read_bytes()).hexdigest()
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("sha256") != digest:
        return None
    terms = index.get("terms")
    return terms if isinstance(terms, dict) else None


def terms_index() -> dict[str, Any]:
    """A fresh term index of the packaged vocabulary (``tools/build_vocab.py`` writes it to
    ``alm_ld/data/vocab-terms.json``; a test checks the shipped one against it)."""
    import hashlib

    from rdflib.namespace import ClosedNamespace as Closed

    closed = [get_args(hint)[1] for hint in _declared().values()
              if get_origin(hint) is Annotated and issubclass(get_args(hint)[0], Closed)]
    return {"sha256": hashlib.sha256(vocab_path().read_bytes()).hexdigest(),
            "terms": {iri: _parsed_terms(iri) for iri in closed}}


def _parsed_terms(namespace: str) -> list[str]:
    """:func:`_terms` by parsing the Turtle."""
    from rdflib import RDF, URIRef

    graph = vocab_graph()
    names = set()
    for subject in graph.subjects(RDF.type, None):
        if isinstance(subject, URIRef) and str(subject).startswith(namespace):
            names.add(str(subject)[len(namespace):])
    return sorted(n for n in names if n)


@cache
def _declared() -> dict[str, Any]:
    """This module's declarations, evaluated (which needs rdflib: only once a lazy name is
    used)."""
    import rdflib
    from rdflib import namespace

    return get_type_hints(sys.modules[__name__], include_extras=True, localns={
        "Namespace": rdflib.Namespace, "URIRef": rdflib.URIRef, "rdflib_namespace": namespace})


def __getattr__(name: str) -> Any:
    """Builds a declared rdflib name on first use and keeps it, so later lookups never come
    here.

    Importing rdflib (~110 ms) and parsing the vocabulary for ``ALM`` (~130 ms) at import made
    every command pay for them, ``alm-ld validate`` too, which needs only the strings above
    (issue 15: a CLI run is a whole process). ``from alm_ld.vocab import ALM`` still works, and
    the closed namespace still rejects a misspelt term where it is used."""
    if name not in __annotations__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    declared = _declared()[name]
    if get_origin(declared) is type:
        value = get_args(declared)[0]
    else:
        from rdflib.namespace import ClosedNamespace as Closed

        kind, iri = get_args(declared)
        value = kind(iri, _terms(iri)) if issubclass(kind, Closed) else kind(iri)
    globals()[name] = value
    return value


def _scheme_members(scheme_iri: str) -> dict[str, URIRef]:
    from rdflib import SKOS, URIRef

    graph = vocab_graph()
    members = {}
    for concept in graph.subjects(SKOS.inScheme, URIRef(scheme_iri)):
        text = str(concept)
        if isinstance(concept, URIRef) and text.startswith(scheme_iri):
            members[text[len(scheme_iri):]] = concept
    return dict(sorted(members.items()))


@cache
def metric_concepts() -> dict[str, URIRef]:
    """Metric concept id (``views``, ``html-views``, …) → IRI, without the categories."""
    return _scheme_members(METRICS_NS)


@cache
def relation_concepts() -> dict[str, URIRef]:
    """Relation concept id (``cites``, ``discusses``, …) → IRI, without the categories."""
    return _scheme_members(RELATIONS_NS)


@cache
def _category_index() -> dict[str, str]:
    from rdflib import SKOS

    graph = vocab_graph()
    index: dict[str, str] = {}
    for concept in list(metric_concepts().values()) + list(relation_concepts().values()):
        node: URIRef | None = concept
        seen = set()
        while node is not None and node not in seen:
            seen.add(node)
            if str(node).startswith(CATEGORIES_NS):
                index[str(concept)] = str(node)[len(CATEGORIES_NS):]
                break
            node = next(iter(graph.objects(node, SKOS.broader)), None)
    return index


def category_of(concept_iri: str) -> str | None:
    """The PLOS ALM category (``viewed``, ``saved``, …) of a metric or relation concept IRI,
    found by following ``skos:broader`` to a top concept; ``None`` for unknown concepts."""
    return _category_index().get(str(concept_iri))


def concept_label(concept_iri: str) -> str | None:
    """The English ``skos:prefLabel`` of a concept (or category), ``None`` if unknown."""
    from rdflib import SKOS, URIRef

    label = vocab_graph().value(URIRef(str(concept_iri)), SKOS.prefLabel)
    return None if label is None else str(label)


def _concept_iri(value: str, concepts: dict[str, URIRef], namespace: str) -> URIRef | None:
    if value in concepts:
        return concepts[value]
    if value.startswith(namespace) and value[len(namespace):] in concepts:
        from rdflib import URIRef

        return URIRef(value)
    return None


def metric_iri(value: str) -> URIRef | None:
    """IRI of a metric named by id or by full IRI; ``None`` if not in the vocabulary."""
    return _concept_iri(value, metric_concepts(), METRICS_NS)


def relation_iri(value: str) -> URIRef | None:
    """IRI of a relation named by id or by full IRI; ``None`` if not in the vocabulary."""
    return _concept_iri(value, relation_concepts(), RELATIONS_NS)

# Work types (feed format v1.1 ``workType``): the Crossref type ids
# (https://api.crossref.org/types) and DataCite 4.5 resourceTypeGeneral values, as written by
# the registries themselves, so harvested values pass unchanged. Strict feeds must use one;
# base feeds get a warning for anything else (a new registry type should not block a feed).
CROSSREF_WORK_TYPES = (
    "book", "book-chapter", "book-part", "book-section", "book-series", "book-set",
    "book-track", "component", "database", "dataset", "dissertation", "edited-book", "grant",
    "journal", "journal-article", "journal-issue", "journal-volume", "monograph", "other",
    "peer-review", "posted-content", "proceedings", "proceedings-article",
    "proceedings-series", "reference-book", "reference-entry", "report", "report-component",
    "report-series", "standard",
)
DATACITE_WORK_TYPES = (
    "Audiovisual", "Award", "Book", "BookChapter", "Collection", "ComputationalNotebook",
    "ConferencePaper", "ConferenceProceeding", "DataPaper", "Dataset", "Dissertation", "Event",
    "Image", "Instrument", "InteractiveResource", "Journal", "JournalArticle", "Model", "Other",
    "OutputManagementPlan", "PeerReview", "PhysicalObject", "Preprint", "Project", "Report",
    "Service", "Software", "Sound", "Standard", "StudyRegistration", "Text", "Workflow",
)
WORK_TYPES = CROSSREF_WORK_TYPES + DATACITE_WORK_TYPES

__all__ = [
    "ALM", "ALM_NS", "CATEGORIES", "CATEGORIES_NS", "CATEGORY", "CITO", "CORE_METRICS",
    "CORE_RELATIONS", "DCTERMS", "DISCLOSURE_KEYS",
    "DefinedNamespace", "ID_NS", "METRICS", "METRICS_NS", "OWL", "PROV", "QB", "RDF", "RDFS",
    "RELATIONS", "RELATIONS_NS", "SCHEMA", "SKOS", "SOURCES", "SOURCES_NS", "VOCAB_GRAPH", "XSD",
    "XSD_STRING",
    "category_of", "concept_label", "metric_concepts", "metric_iri", "relation_concepts",
    "relation_iri", "vocab_graph",
]
