"""``oxigraph:PATH`` — the default backend: an embedded, persistent Oxigraph (RocksDB) store.

rdflib users get the same data as an rdflib ``Dataset`` through oxrdflib (:attr:`dataset`), but
alm-ld itself talks to the underlying ``pyoxigraph.Store`` directly: writes go through
``Store.load`` (one transaction per call: a killed process leaves a graph whole or absent),
queries are plain strings evaluated natively with the union default graph, and results are
serialised by Oxigraph's own writers.

One process owns an on-disk store (RocksDB takes a lock on the directory); a second process that
opens it gets :class:`~alm_ld.errors.StoreUnavailable`. Deployments that need several writer
or reader processes use the ``sparql:`` backend in front of ``oxigraph serve``.
``oxigraph:`` without a path is an in-memory Oxigraph (handy for tests and benchmarks).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from alm_ld.errors import MalformedQuery, StoreUnavailable
from alm_ld.sparql_text import iri
from alm_ld.store.base import QueryResult, Store, collect_result
from alm_ld.store.dumps import invalid_dump
from alm_ld.store.results import (
    CSV,
    JSON,
    NTRIPLES,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    check_media_for_form,
    media_type_for,
    write_boolean,
    write_rows,
)
from alm_ld.store.worker import run_streaming
from alm_ld.vocab import XSD_STRING

_RESULT_FORMATS = {JSON: ox.QueryResultsFormat.JSON, XML: ox.QueryResultsFormat.XML,
                   CSV: ox.QueryResultsFormat.CSV, TSV: ox.QueryResultsFormat.TSV}
_RDF_FORMATS = {TURTLE: ox.RdfFormat.TURTLE, NTRIPLES: ox.RdfFormat.N_TRIPLES,
                RDFXML: ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD}
_DUMP_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


_BATCH = 256
"""Result rows (or triples) handed from the query thread to the caller at a time."""
BULK_MIN_BYTES = 256 * 1024
"""Graphs at least this big are written with the bulk loader (small ones: one transaction)."""

_TAIL_LIMIT = re.compile(
    r"(?<![\w:?$])LIMIT\s+(?P<a>\d+)(?:\s+OFFSET\s+\d+)?\s*\Z"
    r"|(?<![\w:?$])OFFSET\s+\d+\s+LIMIT\s+(?P<b>\d+)\s*\Z", re.IGNORECASE)


def row_capped(sparql: str, limit: int) -> str:
    """``sparql`` made to give at most ``limit`` solutions by the engine itself, so that its
    native serialiser can write the whole result (no row-by-row Python, issue 15).

    A query that ends with its own top-level ``LIMIT k`` (and no ``#`` on that last line, no
    backslash anywhere: no comment or ``\\u`` escape can hide what the text seems to end
    with) gets ``k`` lowered to ``limit`` when larger; any other query gets ``LIMIT limit``
    appended on a new line. Appending is safe by construction: at the end of a query a
    ``LIMIT`` can only be the top-level solution modifier (a subquery's is followed by its
    ``}``), so the engine either applies exactly that cap or rejects the text (a ``LIMIT``
    already there, a trailing ``VALUES``, an invalid query) — then the caller evaluates the
    original text the slow way, which also reports the original's own error."""
    text = sparql.rstrip()
    last_line = text.rsplit("\n", 1)[-1]
    if "\\" not in text and "#" not in last_line:
        found = _TAIL_LIMIT.search(text)
        if found:
            group = "a" if found.group("a") is not None else "b"
            if int(found.group(group)) <= limit:
                return sparql
            return text[:found.start(group)] + str(limit) + text[found.end(group):]
    return f"{sparql}\nLIMIT {limit}"


def from_ox(term: Any) -> Node:
    """An rdflib term; plain strings without their implicit xsd:string, as rdflib writes them.

    Our own four cases rather than oxrdflib's private ``_converter`` module, which may change
    in any release."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return RdfLiteral(term.value)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise ValueError(f"not an Oxigraph term: {term!r}")


class _ChunkWriter:
    """A file-like sink for Oxigraph's serialisers that forwards chunks to ``emit``."""

    def __init__(self, emit: Any, size: int = 65536) -> None:
        self.emit, self.size, self.parts, self.length = emit, size, [], 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.length += len(data)
        if self.length >= self.size:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.parts:
            self.emit(b"".join(self.parts))
            self.parts, self.length = [], 0


def _form(result: Any) -> str:
    if isinstance(result, ox.QuerySolutions):
        return "SELECT"
    if isinstance(result, ox.QueryBoolean):
        return "ASK"
    return "CONSTRUCT"


class OxigraphStore(Store):
    """See the module docstring."""

    reads_while_writing = True  # reads see a snapshot; a load is one RocksDB ingestion

    def __init__(self, path: str) -> None:
        self.spec = f"oxigraph:{path}"
        self.path = path or None
        try:
            if path:
                # Oxigraph creates the store's own folder but not its parents (./var on a
                # fresh clone).
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._ox = ox.Store(path) if path else ox.Store()
        except OSError as error:
            hint = ("An on-disk store is used by one process at a time; stop the other process "
                    "or use a sparql: store." if "lock" in str(error).lower() else
                    "Check that the folder can be created and written.")
            raise StoreUnavailable(f"Cannot open the Oxigraph store at {path!r}: {error}. {hint}")
        self._dataset: Dataset | None = None
        self._generation = 0  # bumped after every committed write (see checkpoint())
        self._views: list[tuple[int, str]] = []  # (generation, folder), oldest first
        self._views_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._read_only = False

    @classmethod
    def open_read_only(cls, path: str) -> OxigraphStore:
        """A read-only view of the store (or checkpoint) at ``path``; used by query workers."""
        store = cls.__new__(cls)
        store.spec, store.path = f"oxigraph:{path}", None
        store._ox = ox.Store.read_only(path)
        store._dataset, store._generation, store._views = None, 0, []
        store._views_lock = threading.Lock()
        store._write_lock = threading.Lock()
        store._read_only = True
        return store

    # -- checkpoints for query worker processes ------------------------------------------

    @property
    def checkpointable(self) -> bool:
        """True when other processes can read this store's data through :meth:`checkpoint`."""
        return self.path is not None

    def checkpoint(self) -> str:
        """The folder of a read-only snapshot holding every committed write so far.

        RocksDB lets one process open the directory read-write, and reading a live directory
        from another process is undefined, so query workers read checkpoints instead: after a
        write, the first call makes a new one with ``Store.backup`` (hard links, cheap) in
        ``PATH.views/<generation>-<n>``. Calls without writes in between return the same one."""
        if self.path is None:
            raise StoreUnavailable("An in-memory Oxigraph store cannot be checkpointed.")
        with self._views_lock:
            generation = self._generation
            if self._views and self._views[-1][0] == generation:
                return self._views[-1][1]
            root = Path(f"{self.path}.views")
            if not self._views:  # left over from an earlier run: nobody reads them now
                shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True, exist_ok=True)
            folder = str(root / f"{generation}-{len(self._views)}")
            shutil.rmtree(folder, ignore_errors=True)
            self._ox.flush()
            self._ox.backup(folder)
            self._views.append((generation, folder))
            return folder

    def prune_checkpoints(self, in_use: set[str]) -> None:
        """Delete the checkpoints older than the newest that no worker has open."""
        with self._views_lock:
            kept = [view for view in self._views[:-1] if view[1] in in_use]
            for _, folder in self._views[:-1]:
                if folder not in in_use:
                    shutil.rmtree(folder, ignore_errors=True)
            self._views = kept + self._views[-1:]

    def _written(self) -> None:
        self._generation += 1

    def write_generation(self) -> int | None:
        """Bumped after every write this process makes, and no other process writes here
        (RocksDB's folder lock; a read-only checkpoint is never written: None)."""
        return None if self._read_only else self._generation

    @property
    def dataset(self) -> Dataset:
        """The same data as an rdflib Dataset (via oxrdflib), for rdflib-level access."""
        if self._dataset is None:
            from oxrdflib import OxigraphStore as RdflibOxigraph

            self._dataset = Dataset(store=RdflibOxigraph(store=self._ox), default_union=True)
        return self._dataset

    # -- writing -------------------------------------------------------------------------

    def add_graph(self, name: URIRef, graph: Graph | bytes, *, replace: bool = False) -> None:
        data = graph if isinstance(graph, bytes) else graph.serialize(format="nt",
                                                                       encoding="utf-8")
        # One write (and flush) at a time per store: concurrent flushes from several threads
        # (an ingest and the alerts of the one before) hung pyoxigraph 0.5 in tests/scale.
        with self._write_lock:
            try:
                self._add_graph(name, data, replace)
            finally:
                self._written()  # also after a failure: a bulk load may have written part

    def _add_graph(self, name: URIRef, data: bytes, replace: bool) -> None:
        if replace:
            # Removal and insertion in one SPARQL Update: one transaction.
            graph_iri = iri(str(name))
            self._ox.update(f"DROP SILENT GRAPH {graph_iri} ; "
                            f"INSERT DATA {{ GRAPH {graph_iri} {{ {data.decode('utf-8')} }} }}")
        elif len(data) >= BULK_MIN_BYTES:
            # Oxigraph's bulk loader sorts the quads into SST files and ingests them in one
            # step: ~3× faster than the transactional load for a 10k-item feed (1.2 s vs 3.3 s
            # for 105k triples). A graph smaller than its batch (millions of quads) lands in one
            # ingestion, so a killed process still leaves it whole or absent (the SIGKILL test
            # in tests/store exercises this path); the mapped N-Triples cannot fail to parse.
            self._ox.bulk_load(data, format=ox.RdfFormat.N_TRIPLES,
                               to_graph=ox.NamedNode(str(name)))
        else:
            self._ox.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
        self._ox.flush()

    def add_graphs(self, graphs: Sequence[tuple[str, bytes]], then: str | None = None) -> None:
        """All the graphs as ONE TriG load (the bulk loader when large: ingest's feed, view
        lines and alerts land in one ingestion), then ``then`` as one update."""
        # N-Triples lines are TriG statements, so each graph is its lines in a GRAPH block:
        # parsed as fast as N-Triples (N-Quads, the graph named on every line, cost ~20 %
        # more in the loader, measured on a 10k-item feed).
        data = b"".join(iri(name).encode() + b" {\n" + part + b"}\n"
                        for name, part in graphs if part)
        with self._write_lock:
            try:
                if len(data) >= BULK_MIN_BYTES:
                    self._ox.bulk_load(data, format=ox.RdfFormat.TRIG)
                elif data:
                    self._ox.load(data, format=ox.RdfFormat.TRIG)
                if then:
                    self._ox.update(then)
                self._ox.flush()
            finally:
                self._written()

    def has_graph(self, name: URIRef) -> bool:
        return self._ox.contains_named_graph(ox.NamedNode(str(name)))

    def graph_names(self) -> list[URIRef]:
        return [URIRef(g.value) for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode)]

    def update(self, sparql: str) -> None:
        try:
            with self._write_lock:
                self._ox.update(sparql)
        except SyntaxError as error:
            raise MalformedQuery(f"The update does not parse: {error}")
        finally:
            self._written()

    # -- querying ------------------------------------------------------------------------

    def _run(self, sparql: str, default_graphs: Sequence[str], named_graphs: Sequence[str]):
        kwargs: dict[str, Any] = {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs or default_graphs:  # a dataset without named graphs names none
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return self._ox.query(sparql, **kwargs)
        except SyntaxError as error:
            raise MalformedQuery(f"The query does not parse: {error}")
        except ValueError as error:
            raise MalformedQuery(f"The query cannot be evaluated: {error}")

    def query(self, sparql: str, *, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = (), timeout: float | None = None) -> QueryResult:
        def produce(emit: Any) -> None:
            result = self._run(sparql, default_graphs, named_graphs)
            form = _form(result)
            # Rows cross the thread boundary in batches: one queue hand-off per row cost more
            # than the query itself (profiled: 7.3 of 8 s in Queue.get for 15k-row results).
            if form == "SELECT":
                names = [v.value for v in result.variables]
                emit(("SELECT", names))
                batch: list[Any] = []
                for solution in result:
                    batch.append({n: from_ox(t) for n in names
                                  if (t := solution[n]) is not None})
                    if len(batch) >= _BATCH:
                        emit(batch)
                        batch = []
                emit(batch)
            elif form == "ASK":
                emit(("ASK", bool(result)))
            else:
                emit(("CONSTRUCT", None))
                batch = []
                for triple in result:
                    batch.append((from_ox(triple.subject), from_ox(triple.predicate),
                                  from_ox(triple.object)))
                    if len(batch) >= _BATCH:
                        emit(batch)
                        batch = []
                emit(batch)

        items = iter(run_streaming(produce, timeout))
        return collect_result(items)

    def query_serialized(self, sparql: str, media_type: str, *, default_graphs: Sequence[str] = (),
                         named_graphs: Sequence[str] = (), timeout: float | None = None,
                         limit: int | None = None) -> tuple[str, Iterable[bytes]]:
        media = media_type_for(media_type)

        def produce(emit: Any) -> None:
            self._serialize(emit, sparql, media, default_graphs, named_graphs, limit)

        chunks = run_streaming(produce, timeout)
        first = next(chunks, b"")  # errors before any output are raised here, not mid-stream
        return media, _prepend(first, chunks)

    def query_bytes(self, sparql: str, media_type: str, *, default_graphs: Sequence[str] = (),
                    named_graphs: Sequence[str] = (), limit: int | None = None
                    ) -> tuple[str, bytes]:
        """(media type, whole serialised result), evaluated in the calling thread.

        For the query worker processes of :mod:`alm_ld.store.query_pool`, which are killed at
        the deadline: a deadline thread per query (:meth:`query_serialized`) would cost more
        than a point query itself (~0.25 ms of a ~0.12 ms query, profiled)."""
        media = media_type_for(media_type)
        parts: list[bytes] = []
        self._serialize(parts.append, sparql, media, default_graphs, named_graphs, limit)
        return media, b"".join(parts)

    def _serialize(self, emit: Any, sparql: str, media: str, default_graphs: Sequence[str],
                   named_graphs: Sequence[str], limit: int | None) -> None:
        """Evaluate and hand the serialised result to ``emit`` in chunks.

        Results go through Oxigraph's own serialisers. A row cap (``limit``) is applied by
        the engine (:func:`row_capped`) for SELECT/ASK; only a query the engine will not take
        with the cap added is evaluated as written, its rows counted and written in Python."""
        if limit is not None and media in _RESULT_FORMATS:
            try:
                capped = self._run(row_capped(sparql, limit), default_graphs, named_graphs)
            except MalformedQuery:
                capped = None
            if capped is not None:
                self._write(emit, capped, media)
                return
        result = self._run(sparql, default_graphs, named_graphs)
        form = _form(result)
        if form == "SELECT" and limit is not None:
            check_media_for_form(form, media)
            names = [v.value for v in result.variables]
            rows = ([None if s[n] is None else from_ox(s[n]) for n in names]
                    for _, s in zip(range(limit), result, strict=False))
            for chunk in write_rows(media, names, rows):
                emit(chunk)
            return
        self._write(emit, result, media)

    @staticmethod
    def _write(emit: Any, result: Any, media: str) -> None:
        form = _form(result)
        check_media_for_form(form, media)
        if form == "ASK":
            emit(write_boolean(media, bool(result)))
            return
        writer = _ChunkWriter(emit)
        if form == "SELECT":
            result.serialize(writer, _RESULT_FORMATS[media])
        else:
            result.serialize(writer, _RDF_FORMATS[media])
        writer.flush()

    # -- dumps ---------------------------------------------------------------------------

    def dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        self._ox.dump(out, _DUMP_FORMATS[fmt])

    def load_dump(self, data: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        """One ``Store.load`` call: one transaction (a malformed dump raises ``InvalidDump``
        naming the line, and nothing of it is written)."""
        try:
            self._ox.load(data, format=_DUMP_FORMATS[fmt])
        except (SyntaxError, ValueError) as error:
            raise invalid_dump(error, fmt)
        self._ox.flush()
        self._written()

    def close(self) -> None:
        if getattr(self, "_ox", None) is not None:
            if not getattr(self, "_read_only", False):
                self._ox.flush()
            self._dataset = None
            self._ox = None  # type: ignore[assignment]


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
