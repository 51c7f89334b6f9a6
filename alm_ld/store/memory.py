"""``memory:`` — an rdflib in-memory ``Dataset`` (tests and tiny demos; nothing persists).

rdflib parses SPARQL with pyparsing, which is not thread-safe, so parsing is serialised by a
process-wide lock; evaluation then runs in a worker that is interrupted on timeout (see
:mod:`alm_ld.store.worker`). ``FROM`` never loads anything from the web or the file system
(``SPARQL_LOAD_GRAPHS`` is switched off), and ``SERVICE`` is refused before evaluation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO, Literal

import rdflib.plugins.sparql
from pyoxigraph import DefaultGraph
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.sparql import Query

from alm_ld.errors import MalformedQuery, QueryRefused
from alm_ld.store.base import QueryResult, Store, collect_result
from alm_ld.store.dumps import read_dump
from alm_ld.store.results import (
    RDFLIB_FORMATS,
    check_media_for_form,
    media_type_for,
    write_boolean,
    write_rows,
)
from alm_ld.store.worker import run_streaming

rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

PARSE_LOCK = threading.Lock()
"""Guards pyparsing (not thread-safe) for every rdflib SPARQL parse in the process."""


def parse_query(sparql: str) -> Query:
    with PARSE_LOCK:
        try:
            query = translateQuery(parseQuery(sparql))
        except Exception as error:  # pyparsing and rdflib raise many kinds
            raise MalformedQuery(f"The query does not parse: {error}")
    if "ServiceGraphPattern" in repr(query.algebra):
        raise QueryRefused("SERVICE (federated query) is not allowed on this store.")
    return query


class MemoryStore(Store):
    """See the module docstring."""

    def __init__(self) -> None:
        self.spec = "memory:"
        self.dataset = Dataset(store="Memory", default_union=True)
        self._write_lock = threading.Lock()

    def add_graph(self, name: URIRef, graph: Graph | bytes, *, replace: bool = False) -> None:
        staged = Graph()
        if isinstance(graph, bytes):
            staged.parse(data=graph, format="nt")
        else:
            staged = graph
        with self._write_lock:  # parsing first: a bad document leaves the store untouched
            target = self.dataset.graph(URIRef(name))
            if replace:
                target.remove((None, None, None))
            target.addN((s, p, o, target) for s, p, o in staged)

    def has_graph(self, name: URIRef) -> bool:
        return any(True for _ in self.dataset.graph(URIRef(name)).triples((None, None, None)))

    def graph_names(self) -> list[URIRef]:
        return [g.identifier for g in self.dataset.graphs()
                if isinstance(g.identifier, URIRef) and len(g)
                and g.identifier != self.dataset.default_graph.identifier]

    def update(self, sparql: str) -> None:
        with PARSE_LOCK:
            try:
                parsed = translateUpdate(parseUpdate(sparql))
            except Exception as error:
                raise MalformedQuery(f"The update does not parse: {error}")
        with self._write_lock:
            self.dataset.update(parsed)

    def _target(self, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> Graph:
        if not default_graphs and not named_graphs:
            return self.dataset
        view = Dataset(default_union=not default_graphs)
        # Only held graphs are read: Dataset.graph() would add an empty graph to the store for
        # every other name a query mentions.
        held = {str(g) for g in self.graph_names()}
        for name in default_graphs:
            if name in held:
                for triple in self.dataset.graph(URIRef(name)):
                    view.default_graph.add(triple)
        for name in named_graphs:  # a dataset without named graphs names none
            named = view.graph(URIRef(name))
            if name in held:
                for triple in self.dataset.graph(URIRef(name)):
                    named.add(triple)
        return view

    def _produce(self, sparql: str, default_graphs: Sequence[str],
                 named_graphs: Sequence[str]) -> tuple[str, Any]:
        query = parse_query(sparql)
        target = self._target(default_graphs, named_graphs)
        if default_graphs or named_graphs:
            # An explicit dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1 Protocol
            # §2.1.4); rdflib would otherwise build its dataset from the clause and ignore it.
            query.algebra["datasetClause"] = None

        def produce(emit: Any) -> None:
            result = target.query(query)
            if result.type == "SELECT":
                names = [str(v) for v in result.vars or []]
                emit(("SELECT", names))
                batch: list[Any] = []
                for row in result:  # batched: one queue hand-off per row costs more than a row
                    batch.append({n: row[n] for n in names
                                  if n in row.labels and row[n] is not None})
                    if len(batch) >= 256:
                        emit(batch)
                        batch = []
                emit(batch)
            elif result.type == "ASK":
                emit(("ASK", bool(result.askAnswer)))
            else:
                emit(("CONSTRUCT", None))
                emit(list(result.graph or Graph()))

        return query.algebra.name, produce

    def query(self, sparql: str, *, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = (), timeout: float | None = None) -> QueryResult:
        _, produce = self._produce(sparql, default_graphs, named_graphs)
        items = iter(run_streaming(produce, timeout, interrupt=True))
        return collect_result(items)

    def query_serialized(self, sparql: str, media_type: str, *, default_graphs: Sequence[str] = (),
                         named_graphs: Sequence[str] = (), timeout: float | None = None,
                         limit: int | None = None) -> tuple[str, Iterable[bytes]]:
        media = media_type_for(media_type)
        result = self.query(sparql, default_graphs=default_graphs, named_graphs=named_graphs,
                            timeout=timeout)
        form = "CONSTRUCT" if result.form == "DESCRIBE" else result.form
        check_media_for_form(form, media)
        if result.form == "ASK":
            return media, [write_boolean(media, bool(result.boolean))]
        if result.form == "SELECT":
            rows = ([row.get(v) for v in result.variables] for row in
                    (result.rows if limit is None else result.rows[:limit]))
            return media, write_rows(media, result.variables, rows)
        assert result.graph is not None
        return media, [result.graph.serialize(format=RDFLIB_FORMATS[media], encoding="utf-8")]

    def dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        out.write(self.dataset.serialize(format=RDFLIB_FORMATS[_media(fmt)], encoding="utf-8"))

    def load_dump(self, data: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        """Parse the whole dump first (a malformed one raises ``InvalidDump`` naming the line,
        and nothing is added), then add every quad under the write lock."""
        from alm_ld.store.oxigraph import from_ox  # rdflib terms as the other backends make

        quads = read_dump(data, fmt)
        with self._write_lock:
            for quad in quads:
                graph = (self.dataset.default_graph if isinstance(quad.graph_name, DefaultGraph)
                         else self.dataset.graph(from_ox(quad.graph_name)))
                graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))

def _media(fmt: str) -> str:
    return "application/n-quads" if fmt == "nquads" else "application/trig"
