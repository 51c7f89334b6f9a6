"""The work document: one CONSTRUCT over the store, kept in the store until a feed changes it.

The document is the work, its observations (current and earlier revisions), the events about it,
the works citing it, and the provenance of each (the ingest activity and the feed with its
provider and times). It is built from plain SPARQL strings (see store/base.py).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import quote

from rdflib import Graph, URIRef

from alm_ld.analytics.work_metadata import (
    METADATA_PREDICATES,
    current_metadata_graph,
)
from alm_ld.identifiers import WorkId, parse_work_id
from alm_ld.sparql_text import (
    RDF_NS,
    XSD_NS,
    bind_iri,
    iri,
    literal,
    prefixes,
)
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, ID_NS

log = logging.getLogger(__name__)

_PREFIXES = prefixes("alm", "prov", "cito", "schema", "owl")

# What Work items say about the work comes from the current description only (the feed with
# the highest sequence that describes it; analytics.work_metadata), not from every feed at once.
_METADATA = ", ".join(f"<{p}>" for p in METADATA_PREDICATES)

# Every part is read from feed graphs only (a graph with its own ``alm:sequence``): alert
# graphs also say ``?alert alm:work ?work``, and their nodes are no observations of the work.
# It also makes the document a function of the feeds, which is what lets a kept document
# (below) stay valid until a newer feed mentions the work.
_WORK_QUERY = _PREFIXES + """CONSTRUCT {
  ?work ?wp ?wo .
  ?obs ?op ?oo .
  ?ev ?ep ?eo .
  ?citing cito:cites ?work .
  ?act ?ap ?ao .
  ?feed ?fp ?fo .
  ?agent a prov:Agent ; schema:name ?agentName .
} WHERE {
  { GRAPH ?feed { ?work ?wp ?wo FILTER (?wp NOT IN (""" + _METADATA + """))
                  ?feed alm:sequence ?s } }
  UNION { GRAPH ?feed { ?obs alm:work ?work ; ?op ?oo . ?feed alm:sequence ?s } }
  UNION { GRAPH ?feed { ?ev alm:object ?work ; ?ep ?eo . ?feed alm:sequence ?s } }
  UNION { GRAPH ?feed { ?citing cito:cites ?work . ?feed alm:sequence ?s } }
  UNION { GRAPH ?feed { ?obs alm:work ?work ; prov:wasGeneratedBy ?act . ?act ?ap ?ao .
                        ?feed alm:sequence ?s } }
  UNION { GRAPH ?feed { ?x alm:work|alm:object ?work . ?feed alm:sequence ?s ; ?fp ?fo }
          FILTER (?fp != alm:disclosure) }
  UNION { GRAPH ?feed { ?x alm:work|alm:object ?work . ?feed alm:sequence ?s ;
                        alm:provider ?agent . ?agent schema:name ?agentName } }
}"""

_SAME_AS_QUERY = _PREFIXES + "SELECT ?work WHERE { ?work owl:sameAs ?alias } ORDER BY ?work LIMIT 1"


def work_graph(store: Store, iri: str, *, timeout: float | None = None) -> Graph:
    result = store.query(bind_iri(_WORK_QUERY, "work", iri), timeout=timeout)
    graph = result.graph if result.graph is not None else Graph()
    if len(graph):
        graph += current_metadata_graph(store, iri, timeout=timeout)
    return graph


# ---------------------------------------------------------------------------------------------
# Kept documents: built once, served until a newer feed mentions the work

DOCUMENT_PREFIX = ID_NS + "document/"
"""Named graphs ``almid:document/<hash of the work IRI>``, one per work that was served."""


@dataclass
class KeptDocument:
    """A work document as kept in the store: ``tag`` (sha256 of its canonical N-Triples) names
    the content for ETags and caches; ``body`` is the N-Triples when they had to be read."""

    work: str
    tag: str
    body: str | None = None


def document_graph(work: str) -> str:
    return DOCUMENT_PREFIX + hashlib.sha256(work.encode("utf-8")).hexdigest()[:32]


def _canonical(graph: Graph) -> str:
    """N-Triples, one per line, sorted: the same document always gives the same text and tag
    (a document has no blank nodes: every node is an IRI the feeds named)."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085, \x1c… which
    # N-Triples keeps raw inside literals (a title with U+2028 became two broken lines).
    return "".join(sorted(line + "\n" for line in text.split("\n") if line.strip()))


def _newer_feed_mentions(work: str, since: str) -> str:
    """A graph pattern true when a feed with a sequence above ``since`` (a variable or an
    integer) has a triple with ``work`` as subject or object: what makes a document stale."""
    node = iri(work)
    return (f"GRAPH ?g {{ ?g alm:sequence ?seq FILTER (?seq > {since}) "
            f"{{ {node} ?p ?o }} UNION {{ ?s ?p {node} }} }}")


def kept_document(store: Store, work: str, *, timeout: float | None = None,
                  with_body: bool = False) -> KeptDocument | None:
    """The work's document, as kept in the store when that is still valid, else built by query
    (:func:`work_graph`) and kept for the next reader (any process: it lives in the store).
    ``None`` when no feed says anything about the work.

    Valid means: no feed with a higher ``alm:sequence`` than the one the document was built at
    has a triple with the work as subject or object — every part of the document comes from
    such a triple's feed (see ``_WORK_QUERY``) and feeds are never changed, so this one ASK-like
    lookup is exact. The N-Triples are fetched only when ``with_body`` (the caller has no
    rendering of this ``tag`` yet)."""
    graph_iri = iri(document_graph(work))
    body = "?body" if with_body else ""
    rows = store.query(f"""{_PREFIXES}
SELECT ?tag ?stale {body} WHERE {{
  GRAPH {graph_iri} {{ {graph_iri} alm:documentTag ?tag ; alm:asOf ?asOf
                       {"; alm:documentBody ?body" if with_body else ""} }}
  BIND (EXISTS {{ {_newer_feed_mentions(work, "?asOf")} }} AS ?stale)
}}""", timeout=timeout).rows
    if rows and str(rows[0]["stale"]) == "false":
        row = rows[0]
        return KeptDocument(work, str(row["tag"]), str(row["body"]) if with_body else None)
    return build_document(store, work, timeout=timeout)


def changed_since(store: Store, work: str, sequence: int, *,
                  timeout: float | None = None) -> bool:
    """True when a feed newer than ``sequence`` mentions ``work``: a document (or a rendering
    of it) made while ``sequence`` was the newest feed is then no longer the work's document.
    The rule of :func:`kept_document`, for a rendering kept outside the store."""
    result = store.query(f"{_PREFIXES}ASK {{ {_newer_feed_mentions(work, str(int(sequence)))} }}",
                         timeout=timeout)
    return bool(result.boolean)


def newest_sequence(store: Store, *, timeout: float | None = None) -> int:
    """The highest ``alm:sequence`` of any feed (0 for a store without feeds)."""
    rows = store.query(f"{_PREFIXES}SELECT (MAX(?seq) AS ?max) WHERE "
                       "{ GRAPH ?g { ?g alm:sequence ?seq } }", timeout=timeout).rows
    return int(rows[0]["max"]) if rows and rows[0].get("max") is not None else 0


def build_document(store: Store, work: str, *,
                   timeout: float | None = None) -> KeptDocument | None:
    """Build the document by query and keep it (best effort: a store that cannot be written,
    such as a query worker's read-only checkpoint, still gets the document served)."""
    sequence = newest_sequence(store, timeout=timeout)
    graph = work_graph(store, work, timeout=timeout)
    if not len(graph):
        return None
    body = _canonical(graph)
    tag = hashlib.sha256(body.encode("utf-8")).hexdigest()
    name = document_graph(work)
    node = iri(name)
    meta = (f"{node} <{RDF_NS}type> <{ALM_NS}WorkDocument> .\n"
            f"{node} <{ALM_NS}forWork> {iri(work)} .\n"
            f"{node} <{ALM_NS}documentTag> {literal(tag)} .\n"
            f"{node} <{ALM_NS}asOf> {literal(str(sequence), XSD_NS + 'integer')} .\n"
            f"{node} <{ALM_NS}documentBody> {literal(body)} .\n")
    try:
        store.add_graph(URIRef(name), meta.encode("utf-8"),
                        replace=store.has_graph(URIRef(name)))
    except Exception:  # noqa: BLE001 - a cache: serving does not depend on keeping it
        log.warning("could not keep the document of %s", work, exc_info=True)
    return KeptDocument(work, tag, body)


def document_from_body(body: str) -> Graph:
    return Graph().parse(data=body, format="nt")


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
