"""The one small interface every store backend implements.

Backends are chosen by a spec string (``oxigraph:PATH``, ``memory:``,
``sparql:QUERY_URL[;UPDATE_URL]``) through :func:`alm_ld.store.open_store`. Everything above the
store (pipeline, web, analytics) talks to this interface only, and always with plain SPARQL
strings: oxrdflib runs strings natively in Oxigraph but sends prepared queries to rdflib's slow
engine, so prepared queries are never used.

Contract for implementers (the parametrised suite in ``tests/store/`` checks it on every backend):

* ``add_graph`` writes a whole named graph in one transaction: after a crash the graph is either
  complete or absent. A graph that already exists is replaced only via ``replace=True``.
* ``query`` evaluates SELECT/ASK/CONSTRUCT/DESCRIBE over the union of all graphs (the default
  graph is the union), raising ``MalformedQuery`` for syntax errors and ``QueryTimeout`` when
  ``timeout`` seconds pass — and then the evaluation is really stopped.
* ``query_serialized`` returns results already serialised in one of the SPARQL result formats or
  RDF formats, streaming where the backend can, so large results never sit in memory twice.
* ``dump`` streams every quad (N-Quads or TriG) so that loading it elsewhere gives an isomorphic
  dataset.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from rdflib import Graph, URIRef
from rdflib.term import Node

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]


@dataclass
class QueryResult:
    """A backend-neutral result: rows for SELECT, a boolean for ASK, a graph otherwise."""

    form: QueryForm
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


def collect_result(items: Iterator[Any]) -> QueryResult:
    """Gather a streamed result: a ``(form, head)`` pair first, then batches of rows/triples.

    Both embedded backends stream this shape out of their query worker thread."""
    form, head = next(items)
    if form == "SELECT":
        return QueryResult("SELECT", variables=head, rows=[row for batch in items for row in batch])
    if form == "ASK":
        for _ in items:
            pass
        return QueryResult("ASK", boolean=head)
    graph = Graph()
    for batch in items:
        for triple in batch:
            graph.add(triple)
    return QueryResult(form, graph=graph)


class Store(ABC):
    """A quad store holding one named graph per ingested feed plus the vocabulary graph."""

    spec: str
    works_index_path: str = ""
    """Where this store's works index lives when the store cannot tell (``sparql:``: set from
    ``Settings.works_index`` by :func:`alm_ld.store.open_store`; empty: the default place)."""
    shared: bool = False
    """True when other processes may write the same data (``sparql:``): ingest then takes its
    sequence through the store's claims (:mod:`alm_ld.store.claims`). An embedded store is owned
    by one process (RocksDB locks its folder; ``memory:`` is private), so a lock in that process
    is the whole arbiter there."""
    reads_while_writing: bool = False
    """True when reads may run in another thread while a write is under way and see the store
    before or after it, never half of it (Oxigraph: snapshot reads, atomic loads). A batch of
    feeds then prepares the next feed while the previous one is written
    (:mod:`alm_ld.pipeline.batch`); rdflib's Memory store gives no such promise."""

    @abstractmethod
    def add_graph(self, name: URIRef, graph: Graph | bytes, *, replace: bool = False) -> None:
        """Write ``graph`` (Graph or N-Triples bytes) as named graph ``name``, atomically."""

    def add_graphs(self, graphs: Sequence[tuple[str, bytes]], then: str | None = None) -> None:
        """Write several new named graphs (N-Triples each) as one write, then run the update
        ``then`` (ingest: a feed, its view lines and its alerts, then the view's mark). This
        default writes graph by graph; stores with a bulk loader override it."""
        for name, data in graphs:
            self.add_graph(URIRef(name), data)
        if then:
            self.update(then)

    @abstractmethod
    def has_graph(self, name: URIRef) -> bool: ...

    @abstractmethod
    def graph_names(self) -> list[URIRef]: ...

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult: ...

    @abstractmethod
    def query_serialized(
        self,
        sparql: str,
        media_type: str,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
        limit: int | None = None,
    ) -> tuple[str, Iterable[bytes]]:
        """Results as (media type, chunks of bytes) in the requested format."""

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Internal SPARQL Update (never reachable from the public endpoint)."""

    @abstractmethod
    def dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None: ...

    @abstractmethod
    def load_dump(self, data: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None: ...

    def write_generation(self) -> int | None:
        """A number that changes after every write, when this process makes every write to
        the store (an embedded one: RocksDB locks its folder to one process); None when other
        processes may write (``sparql:``) or the store does not count. What a reader derives
        from the data (the highest feed sequence) can then be kept until the next write."""
        return None

    def quads_count(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(result.rows[0]["n"]) if result.rows else 0

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iter_chunks(self, data: bytes, size: int = 65536) -> Iterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start:start + size]
