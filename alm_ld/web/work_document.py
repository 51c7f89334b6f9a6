"""The work document: one CONSTRUCT over the store, and a view model of it for HTML.

The document is the work, its observations (current and earlier revisions), the events about it,
the works citing it, and the provenance of each (the ingest activity and the feed with its
provider and times). It is built from plain SPARQL strings (see store/base.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from rdflib import Graph, URIRef

from alm_ld.analytics.work_metadata import (
    METADATA_PREDICATES,
    WorkMetadata,
    current_metadata_graph,
    work_metadata,
)
from alm_ld.identifiers import WorkId, parse_work_id
from alm_ld.sparql_text import (
    CITO_NS,
    DCTERMS_NS,
    OWL_NS,
    PROV_NS,
    RDF_NS,
    SCHEMA_NS,
    bind_iri,
    prefixes,
)
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, METRICS_NS, RELATIONS_NS, SOURCES_NS

_PREFIXES = prefixes("alm", "prov", "cito", "schema", "owl")

# What Work items say about the work comes from the current description only (the feed with
# the highest sequence that describes it; analytics.work_metadata), not from every feed at once.
_METADATA = ", ".join(f"<{p}>" for p in METADATA_PREDICATES)

_WORK_QUERY = _PREFIXES + """CONSTRUCT {
  ?work ?wp ?wo .
  ?obs ?op ?oo .
  ?ev ?ep ?eo .
  ?citing cito:cites ?work .
  ?act ?ap ?ao .
  ?feed ?fp ?fo .
  ?agent a prov:Agent ; schema:name ?agentName .
} WHERE {
  { ?work ?wp ?wo FILTER (?wp NOT IN (""" + _METADATA + """)) }
  UNION { ?obs alm:work ?work ; ?op ?oo }
  UNION { ?ev alm:object ?work ; ?ep ?eo }
  UNION { ?citing cito:cites ?work }
  UNION { ?obs alm:work ?work ; prov:wasGeneratedBy ?act . ?act ?ap ?ao }
  UNION { GRAPH ?feed { ?x alm:work|alm:object ?work } GRAPH ?feed { ?feed ?fp ?fo }
          FILTER (?fp != alm:disclosure) }
  UNION { GRAPH ?feed { ?x alm:work|alm:object ?work . ?feed alm:provider ?agent .
                        ?agent schema:name ?agentName } }
}"""

_SAME_AS_QUERY = _PREFIXES + "SELECT ?work WHERE { ?work owl:sameAs ?alias } ORDER BY ?work LIMIT 1"


def work_graph(store: Store, iri: str, *, timeout: float | None = None) -> Graph:
    result = store.query(bind_iri(_WORK_QUERY, "work", iri), timeout=timeout)
    graph = result.graph if result.graph is not None else Graph()
    if len(graph):
        graph += current_metadata_graph(store, iri, timeout=timeout)
    return graph


def same_as(store: Store, iri: str, *, timeout: float | None = None) -> str | None:
    """The work an alias IRI (a PMID for a DOI-keyed work, say) is ``owl:sameAs`` of."""
    result = store.query(bind_iri(_SAME_AS_QUERY, "alias", iri), timeout=timeout)
    return str(result.rows[0]["work"]) if result.rows else None


def work_path(work: WorkId | str) -> str:
    """The service path of a work: DOIs as-is, other schemes prefixed, URLs escaped."""
    if isinstance(work, str):
        work = parse_work_id(work)
    if work.scheme == "doi":
        return "/works/" + quote(work.value, safe="/:;()[]._-~")
    if work.scheme == "url":
        return "/works/" + quote(work.value, safe="")
    return "/works/" + quote(work.curie, safe="/:._-")


# ---------------------------------------------------------------------------------------------
# View model for the HTML page (the pages area may replace the template, not the model)


def _short(iri: object, namespace: str) -> str:
    text = str(iri)
    return text[len(namespace):] if text.startswith(namespace) else text


@dataclass
class ObservationRow:
    iri: str
    metric: str
    value: int
    source: str
    aggregation: str
    period_start: str | None
    period_end: str
    generated: str | None
    evidence: str | None
    revision_of: str | None
    current: bool = True


@dataclass
class EventRow:
    iri: str
    subject: str
    relation: str
    occurred: str
    source: str
    license: str | None


@dataclass
class WorkView:
    iri: str
    title: str | None = None
    issued: str | None = None
    same_as: list[str] = field(default_factory=list)
    observations: list[ObservationRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    cited_by: list[str] = field(default_factory=list)
    feeds: list[dict[str, str]] = field(default_factory=list)
    metadata: WorkMetadata = field(default_factory=WorkMetadata)


def work_view(graph: Graph, iri: str) -> WorkView:
    """Tables for people: observations (newest revision marked current), events, feeds."""
    A = ALM_NS
    work = URIRef(iri)
    value = graph.value
    view = WorkView(iri, title=_opt(value(work, URIRef(DCTERMS_NS + "title"))),
                    issued=_opt(value(work, URIRef(DCTERMS_NS + "issued"))))
    view.same_as = sorted(str(o) for o in graph.objects(work, URIRef(OWL_NS + "sameAs")))
    view.metadata = work_metadata(graph, iri)
    revised = {str(o) for o in graph.objects(None, URIRef(PROV_NS + "wasRevisionOf"))}
    for obs in graph.subjects(URIRef(A + "work"), work):
        view.observations.append(ObservationRow(
            iri=str(obs),
            metric=_short(value(obs, URIRef(A + "metric")), METRICS_NS),
            value=int(value(obs, URIRef(A + "value")) or 0),
            source=_short(value(obs, URIRef(A + "source")), SOURCES_NS),
            aggregation=_short(value(obs, URIRef(A + "aggregation")), A),
            period_start=_opt(value(obs, URIRef(A + "periodStart"))),
            period_end=str(value(obs, URIRef(A + "periodEnd")) or ""),
            generated=_opt(value(obs, URIRef(PROV_NS + "generatedAtTime"))),
            evidence=_opt(value(obs, URIRef(PROV_NS + "wasDerivedFrom"))),
            revision_of=_opt(value(obs, URIRef(PROV_NS + "wasRevisionOf"))),
            current=str(obs) not in revised))
    view.observations.sort(key=lambda o: (o.metric, o.source, o.period_end, not o.current))
    for event in graph.subjects(URIRef(A + "object"), work):
        view.events.append(EventRow(
            iri=str(event), subject=str(value(event, URIRef(A + "subject")) or ""),
            relation=_short(value(event, URIRef(A + "relation")), RELATIONS_NS),
            occurred=str(value(event, URIRef(A + "occurred")) or ""),
            source=_short(value(event, URIRef(A + "source")), SOURCES_NS),
            license=_opt(value(event, URIRef(DCTERMS_NS + "license")))))
    view.events.sort(key=lambda e: e.occurred, reverse=True)
    view.cited_by = sorted(str(s) for s in graph.subjects(
        URIRef(CITO_NS + "cites"), work))
    for feed in graph.subjects(URIRef(RDF_NS + "type"),
                               URIRef(A + "Feed")):
        provider = value(feed, URIRef(A + "provider"))
        view.feeds.append({
            "iri": str(feed), "provider": str(provider or ""),
            "providerName": str(value(provider, URIRef(SCHEMA_NS + "name")) or "")
            if provider else "",
            "ingestedAt": str(value(feed, URIRef(A + "ingestedAt")) or ""),
            "generated": str(value(feed, URIRef(PROV_NS + "generatedAtTime"))
                             or "")})
    view.feeds.sort(key=lambda f: f["ingestedAt"])
    return view


def _opt(node: object) -> str | None:
    return None if node is None else str(node)
