"""The current metadata of a work (feed format v1.1 Work items; docs/MODEL.md, Works).

Every feed that describes a work keeps its own description in its own named graph (title,
issue date, type, container, publisher, authors with ORCID and affiliations, funders), so
nothing is overwritten and each description keeps its provenance. The *current* description is
the one of the feed with the highest ``alm:sequence`` among the feeds describing the work —
the same rule as for counts — and it is read whole from that one graph: two providers' author
lists are never mixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef

from alm_ld.sparql_text import DCTERMS_NS, SCHEMA_NS, bind_iri, prefixes
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, ID_NS

# The predicates a Work item writes on the work itself; owl:sameAs is left out on purpose:
# alternate identifiers are facts about identity that hold whichever feed said them.
METADATA_PREDICATES = (
    DCTERMS_NS + "title", DCTERMS_NS + "issued", SCHEMA_NS + "additionalType",
    SCHEMA_NS + "publisher", SCHEMA_NS + "isPartOf", SCHEMA_NS + "author",
    SCHEMA_NS + "funder",
)
_IN = ", ".join(f"<{p}>" for p in METADATA_PREDICATES)
_NESTED = ", ".join(f"<{SCHEMA_NS}{t}>" for t in ("isPartOf", "author", "funder"))

# One query: the describing feed with the highest sequence (a sub-select), then its
# description of the work, two levels deep (work → author → affiliation), and the feed's own
# provenance triples (sequence, provider, generated) so a client sees where it came from.
CURRENT_METADATA_QUERY = prefixes("alm", "schema", "prov") + f"""CONSTRUCT {{
  ?work ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 .
  ?g alm:sequence ?seq ; alm:provider ?provider ; prov:generatedAtTime ?generated .
  ?provider schema:name ?providerName .
}} WHERE {{
  {{ SELECT ?g ?seq WHERE {{
       GRAPH ?g {{ ?work ?p0 ?o0 . ?g alm:sequence ?seq }}
       FILTER (?p0 IN ({_IN}))
     }} ORDER BY DESC(?seq) LIMIT 1 }}
  GRAPH ?g {{
    {{ ?work ?p ?o FILTER (?p IN ({_IN}))
       OPTIONAL {{ ?o ?p2 ?o2 FILTER (?p IN ({_NESTED}))
                  OPTIONAL {{ ?o2 ?p3 ?o3 FILTER (?p2 = schema:affiliation) }} }} }}
    UNION {{ ?g alm:provider ?provider ; prov:generatedAtTime ?generated .
             OPTIONAL {{ ?provider schema:name ?providerName }} }}
  }}
}}"""


def current_metadata_graph(store: Store, work_iri: str, *,
                           timeout: float | None = None) -> Graph:
    """The current description of ``work_iri`` (see the module docstring); empty if no feed
    describes it."""
    result = store.query(bind_iri(CURRENT_METADATA_QUERY, "work", work_iri), timeout=timeout)
    return result.graph if result.graph is not None else Graph()


@dataclass
class Organisation:
    name: str | None
    iri: str | None
    """ROR IRI, Funder Registry DOI IRI, or None when the feed named it only."""


@dataclass
class Author:
    name: str
    orcid: str | None
    affiliations: list[Organisation] = field(default_factory=list)


@dataclass
class WorkMetadata:
    """The current description as plain values (for pages and JSON answers)."""

    title: str | None = None
    issued: str | None = None
    work_type: str | None = None
    publisher: str | None = None
    container_title: str | None = None
    issns: list[str] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)
    funders: list[Organisation] = field(default_factory=list)
    feed: str | None = None
    provider_name: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.title or self.issued or self.work_type or self.publisher
                    or self.container_title or self.issns or self.authors or self.funders)


_ORCID = "https://orcid.org/"


def _text(graph: Graph, node: URIRef, term: str) -> str | None:
    value = graph.value(node, URIRef(term))
    return None if value is None else str(value)


def _organisation(graph: Graph, node: URIRef) -> Organisation:
    text = str(node)
    minted = text.startswith(ID_NS)  # a skolem IRI: the feed gave a name only
    return Organisation(_text(graph, node, SCHEMA_NS + "name"), None if minted else text)


def work_metadata(graph: Graph, work_iri: str) -> WorkMetadata:
    """Read :func:`current_metadata_graph`'s answer (or any graph holding one description):
    authors in byline order (``schema:position``), ISSNs sorted, funders by name."""
    work = URIRef(work_iri)
    schema = SCHEMA_NS
    meta = WorkMetadata(
        title=_text(graph, work, DCTERMS_NS + "title"),
        issued=_text(graph, work, DCTERMS_NS + "issued"),
        work_type=_text(graph, work, schema + "additionalType"),
        publisher=_text(graph, work, schema + "publisher"))
    container = graph.value(work, URIRef(schema + "isPartOf"))
    if isinstance(container, URIRef):
        meta.container_title = _text(graph, container, DCTERMS_NS + "title")
        meta.issns = sorted(str(v) for v in graph.objects(container, URIRef(schema + "issn")))
    positioned = []
    for node in graph.objects(work, URIRef(schema + "author")):
        if not isinstance(node, URIRef):
            continue
        position = graph.value(node, URIRef(schema + "position"))
        orcid = next((str(o) for o in graph.objects(node, URIRef(schema + "sameAs"))
                      if str(o).startswith(_ORCID)), None)
        affiliations = sorted(
            (_organisation(graph, org)
             for org in graph.objects(node, URIRef(schema + "affiliation"))
             if isinstance(org, URIRef)), key=lambda o: (o.name or "", o.iri or ""))
        author = Author(_text(graph, node, schema + "name") or "", orcid, affiliations)
        positioned.append((int(position) if position is not None else 10**9, str(node), author))
    meta.authors = [author for _, _, author in sorted(positioned, key=lambda t: t[:2])]
    meta.funders = sorted(
        (_organisation(graph, org) for org in graph.objects(work, URIRef(schema + "funder"))
         if isinstance(org, URIRef)), key=lambda o: (o.name or "", o.iri or ""))
    feed = next(iter(graph.subjects(URIRef(ALM_NS + "sequence"), None)), None)
    if feed is not None:
        meta.feed = str(feed)
        provider = graph.value(feed, URIRef(ALM_NS + "provider"))
        if provider is not None:
            meta.provider_name = _text(graph, provider, schema + "name") or str(provider)
    return meta


__all__ = ["CURRENT_METADATA_QUERY", "METADATA_PREDICATES", "Author", "Organisation",
           "WorkMetadata", "current_metadata_graph", "work_metadata"]
