"""Dump writers: generators of byte chunks, one feed graph at a time.

Why generators over feed graphs: a snapshot of a large store must not be built in memory, and
the store interface has no "quads of these graphs" stream. Each feed graph is read with one
``CONSTRUCT`` (N-Triples, streamed by the backend) and written out before the next one is read,
so memory holds at most one feed — a feed is bounded by the ingest body limit — whatever the
size of the dump. The same generators feed a file on disk (:func:`write_gzip`) and an HTTP
response (the live tail of ``/dumps``).

Blank nodes: every ``CONSTRUCT`` labels its blank nodes afresh, so two graphs could both carry
``_:b0``; in one N-Quads document that would merge two different nodes. Each graph's labels are
therefore prefixed with the feed's sequence and the graph's position (``_:s12g0_b0``).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from alm_ld.analytics.alerts import feed_alert_graph
from alm_ld.analytics.changes import FeedInfo, feeds_from
from alm_ld.analytics.sparql import select, short
from alm_ld.jsonld import compact_nodes
from alm_ld.resources import CONTEXT_URL
from alm_ld.sparql_text import DCTERMS_NS, RDF_NS, iri, literal, prefixes
from alm_ld.store.base import Store
from alm_ld.vocab import METRICS_NS, SOURCES_NS, XSD_STRING

_PAGE = 500
_RDF_TYPE = RDF_NS + "type"
_LANG_STRING = RDF_NS + "langString"
CSV_HEADER = ("work", "metric", "source", "value", "as_of")


@dataclass
class Counts:
    """Record counts of one file, filled in while its chunks are produced."""

    feeds: int = 0
    quads: int = 0
    observations: int = 0
    events: int = 0
    rows: int = 0

    def as_dict(self, kind: str) -> dict[str, int]:
        if kind == "csv":
            return {"rows": self.rows}
        counts = {"feeds": self.feeds, "observations": self.observations, "events": self.events}
        if kind == "nquads":
            counts["quads"] = self.quads
        return counts


def feeds_between(store: Store, first: int, last: int) -> Iterator[FeedInfo]:
    """The feeds with ``first <= alm:sequence <= last`` in sequence order, a page at a time."""
    position = first
    while position <= last:
        page = [feed for feed in feeds_from(store, position, _PAGE) if feed.sequence <= last]
        yield from page
        if len(page) < _PAGE:
            return
        position = page[-1].sequence + 1


def graph_quads(store: Store, graph: str, label: str) -> list[ox.Quad]:
    """Every triple of named graph ``graph`` as quads, blank nodes prefixed with ``label``."""
    _, chunks = store.query_serialized(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}",
        "application/n-triples")
    name = ox.NamedNode(graph)

    def relabel(term: Any) -> Any:
        return ox.BlankNode(label + term.value) if isinstance(term, ox.BlankNode) else term

    return [ox.Quad(relabel(t.subject), t.predicate, relabel(t.object), name)
            for t in ox.parse(b"".join(chunks), format=ox.RdfFormat.N_TRIPLES)]


def feed_graphs(store: Store, feed: FeedInfo) -> Iterator[tuple[str, list[ox.Quad]]]:
    """The feed's own graph, then its alert graph (derived data, kept with the feed)."""
    for index, graph in enumerate((feed.iri, feed_alert_graph(feed.iri))):
        quads = graph_quads(store, graph, f"s{feed.sequence}g{index}_")
        if quads or index == 0:
            yield graph, quads


def nquads_chunks(store: Store, feeds: Iterable[FeedInfo], counts: Counts) -> Iterator[bytes]:
    """N-Quads of every feed (and its alerts), one chunk per graph."""
    for feed in feeds:
        counts.feeds += 1
        counts.observations += feed.observations
        counts.events += feed.events
        for _, quads in feed_graphs(store, feed):
            counts.quads += len(quads)
            if quads:
                yield ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def _value(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": "_:" + term.value}
    value: dict[str, Any] = {"@value": term.value}
    if term.language:
        value["@language"] = term.language
    elif term.datatype.value not in (XSD_STRING, _LANG_STRING):
        value["@type"] = term.datatype.value
    return value


def _order(value: dict[str, Any]) -> tuple[str, str, str, str]:
    return (value.get("@id", ""), value.get("@value", ""), value.get("@type", ""),
            value.get("@language", ""))


def expanded_nodes(quads: Iterable[ox.Quad]) -> list[dict[str, Any]]:
    """The quads' subjects as expanded JSON-LD node objects. The values of a key are sorted
    (an engine may give a CONSTRUCT's triples in any order; a dump's bytes must not vary)."""
    nodes: dict[str, dict[str, Any]] = {}
    for quad in quads:
        subject = quad.subject
        key = subject.value if isinstance(subject, ox.NamedNode) else "_:" + subject.value
        node = nodes.get(key)
        if node is None:
            node = nodes[key] = {"@id": key}
        obj = quad.object
        predicate = quad.predicate.value
        if predicate == _RDF_TYPE and not isinstance(obj, ox.Literal):
            node.setdefault("@type", []).append(_value(obj)["@id"])
        else:
            node.setdefault(predicate, []).append(_value(obj))
    for node in nodes.values():
        for key, values in node.items():
            if key != "@id" and len(values) > 1:
                values.sort(key=_order if key != "@type" else None)
    return list(nodes.values())


def expanded_graph(name: str, quads: Iterable[ox.Quad]) -> dict[str, Any]:
    """A named graph as expanded JSON-LD (``{"@id": name, "@graph": [nodes]}``)."""
    return {"@id": name, "@graph": expanded_nodes(quads)}


def feed_jsonld(name: str, quads: Iterable[ox.Quad]) -> dict[str, Any]:
    """The JSON-LD line of named graph ``name``: its nodes compacted against the v1 context by
    the table-driven compactor every JSON-LD answer uses (:func:`alm_ld.jsonld.compact_nodes`),
    the graph named by ``id``. pyld reads it as the same RDF as its own compaction."""
    doc = compact_nodes(expanded_nodes(quads), CONTEXT_URL, first=name)
    return {"@context": doc["@context"], "id": name, "@graph": doc["@graph"]}


def jsonld_lines(store: Store, feeds: Iterable[FeedInfo], counts: Counts) -> Iterator[bytes]:
    """One line per feed: its graph compacted against the v1 context (alerts left out: they
    are derived data with terms of their own, and the N-Quads files carry them). Read as
    N-Triples and parsed by Oxigraph, never as an rdflib graph (10x the time, profiled)."""
    for feed in feeds:
        counts.feeds += 1
        counts.observations += feed.observations
        counts.events += feed.events
        doc = feed_jsonld(feed.iri, graph_quads(store, feed.iri, f"s{feed.sequence}g0_"))
        yield json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _current_values_query(upto: int) -> str:
    """Every cumulative observation of feeds 1..``upto``, newest first per (work, metric,
    source): the first row of each group is the current value (latest period end, ties to the
    newest feed), as :data:`alm_ld.pipeline.CURRENT_COUNTS` decides for one work."""
    return prefixes("alm") + f"""
SELECT ?work ?metric ?source ?value ?end WHERE {{
  GRAPH ?feed {{
    ?o alm:work ?work ; alm:metric ?metric ; alm:source ?source ;
       alm:aggregation alm:cumulative ; alm:value ?value ; alm:periodEnd ?end .
    ?feed alm:sequence ?seq .
  }}
  FILTER (?seq <= {literal(upto)})
}} ORDER BY ?work ?metric ?source DESC(STR(?end)) DESC(?seq)"""


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text lines out of byte chunks that may split a line (or a UTF-8 sequence) anywhere."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    rest = ""
    for chunk in chunks:
        rest += decoder.decode(chunk)
        *complete, rest = rest.split("\n")
        for line in complete:
            yield line + "\n"
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def current_values_csv(store: Store, upto: int, counts: Counts) -> Iterator[bytes]:
    """CSV (work, metric, source, value, as_of) of the current cumulative values, streamed
    from the store's CSV results row by row."""
    _, chunks = store.query_serialized(_current_values_query(upto), "text/csv")
    rows = csv.reader(_lines(chunks))
    next(rows, None)  # the SPARQL CSV header
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    previous: tuple[str, str, str] | None = None
    for row in rows:
        if len(row) < 5:
            continue
        key = (row[0], row[1], row[2])
        if key == previous:
            continue
        previous = key
        counts.rows += 1
        writer.writerow((row[0], short(row[1], METRICS_NS), short(row[2], SOURCES_NS),
                         row[3], row[4]))
        if out.tell() >= 1 << 16:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def licences(store: Store, first: int, last: int) -> dict[str, list[str]]:
    """Source → the licences its items in feeds ``first..last`` declare (``[]``: none)."""
    rows = select(store, f"""
SELECT DISTINCT ?source ?licence WHERE {{
  GRAPH ?feed {{ ?item alm:source ?source . OPTIONAL {{ ?item <{DCTERMS_NS}license> ?licence }}
                ?feed alm:sequence ?seq . }}
  FILTER (?seq >= {literal(first)} && ?seq <= {literal(last)})
}}""")
    result: dict[str, set[str]] = {}
    for row in rows:
        name = short(row["source"], SOURCES_NS) or row["source"]
        found = result.setdefault(name, set())
        if row.get("licence"):
            found.add(row["licence"])
    return {name: sorted(found) for name, found in sorted(result.items())}


def write_gzip(target: Path, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write ``chunks`` gzip-compressed to ``target`` via a temporary name, renamed only once
    complete (a crash leaves no file that looks whole); returns (size, sha256) of the file."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as raw:
            # mtime=0: the same data gives the same bytes, hence the same sha256 and ETag.
            # Level 6 (gzip(1)'s default): level 9 took 4x as long for 3% smaller N-Quads.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=6) as out:
                for chunk in chunks:
                    out.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        digest = hashlib.sha256()
        with open(partial, "rb") as data:
            for block in iter(lambda: data.read(1 << 16), b""):
                digest.update(block)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size, digest.hexdigest()
