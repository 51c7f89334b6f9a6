"""``sparql:QUERY_URL[;UPDATE_URL]`` — any SPARQL 1.1 server (Oxigraph server, Fuseki, Virtuoso).

Speaks the SPARQL 1.1 Protocol and Update over HTTP with :mod:`urllib.request` from the standard
library rather than rdflib's ``SPARQLUpdateStore``: only ``alm_ld/harvest/http.py`` may use
requests, and ``SPARQLUpdateStore`` would parse every result into rdflib objects, split a graph
into many updates (losing atomicity) and has no per-query timeout. Here a whole feed graph is one
``INSERT DATA`` request — one transaction on servers that apply an update request atomically
(Oxigraph, Fuseki/TDB2) — results in the client's format are passed through as the server wrote
them, and each request carries a socket timeout.

The server must use the union of its named graphs as the default graph, as the other backends do
(``oxigraph serve --union-default-graph``; Fuseki: ``tdb2:unionDefaultGraph true``). Without an
``UPDATE_URL`` the store is read-only.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO, Literal

from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from alm_ld.errors import MalformedQuery, QueryTimeout, StoreUnavailable
from alm_ld.sparql_text import iri
from alm_ld.store.base import QueryResult, Store
from alm_ld.store.results import (
    JSON,
    NTRIPLES,
    TSV,
    check_media_for_form,
    media_type_for,
    query_form,
    term_from_json,
    write_rows,
)

DEFAULT_TIMEOUT = 60.0


class SparqlStore(Store):
    """See the module docstring."""

    def __init__(self, query_url: str, update_url: str | None = None) -> None:
        self.spec = f"sparql:{query_url}" + (f";{update_url}" if update_url else "")
        self.query_url, self.update_url = query_url, update_url
        self.read_only = update_url is None

    # -- HTTP ----------------------------------------------------------------------------

    def _open(self, url: str, body: bytes, content_type: str, accept: str | None,
              timeout: float | None) -> Any:
        headers = {"Content-Type": content_type, "User-Agent": "alm-ld"}
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=timeout or DEFAULT_TIMEOUT)
        except urllib.error.HTTPError as error:
            text = error.read(2000).decode("utf-8", "replace")
            if error.code == 400:
                raise MalformedQuery(f"The SPARQL server rejected the request: {text.strip()}")
            raise StoreUnavailable(f"The SPARQL server at {url} answered {error.code}: "
                                   f"{text.strip()[:300]}")
        except TimeoutError:
            raise QueryTimeout(f"The SPARQL server did not answer within {timeout:g} s.",
                               timeoutSeconds=timeout)
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                raise QueryTimeout(f"The SPARQL server did not answer within {timeout:g} s.",
                                   timeoutSeconds=timeout)
            raise StoreUnavailable(f"Cannot reach the SPARQL server at {url}: {error.reason}")

    def _query_request(self, sparql: str, accept: str, timeout: float | None,
                       default_graphs: Sequence[str], named_graphs: Sequence[str]) -> Any:
        params = [("query", sparql)] + [("default-graph-uri", g) for g in default_graphs] + [
            ("named-graph-uri", g) for g in named_graphs]
        body = urllib.parse.urlencode(params).encode()
        return self._open(self.query_url, body, "application/x-www-form-urlencoded", accept,
                          timeout)

    def update(self, sparql: str) -> None:
        if not self.update_url:
            raise StoreUnavailable(
                f"{self.spec} has no update URL; use sparql:QUERY_URL;UPDATE_URL to write.")
        with self._open(self.update_url, sparql.encode("utf-8"),
                        "application/sparql-update", None, DEFAULT_TIMEOUT * 10) as response:
            response.read()

    # -- writing -------------------------------------------------------------------------

    def add_graph(self, name: URIRef, graph: Graph | bytes, *, replace: bool = False) -> None:
        data = graph if isinstance(graph, bytes) else graph.serialize(format="nt",
                                                                       encoding="utf-8")
        graph_iri = iri(str(name))
        drop = f"DROP SILENT GRAPH {graph_iri} ;\n" if replace else ""
        self.update(f"{drop}INSERT DATA {{ GRAPH {graph_iri} {{\n{data.decode('utf-8')}\n}} }}")

    def has_graph(self, name: URIRef) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {iri(str(name))} {{ ?s ?p ?o }} }}").boolean)

    def graph_names(self) -> list[URIRef]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return [URIRef(row["g"]) for row in result.rows if isinstance(row.get("g"), URIRef)]

    # -- querying ------------------------------------------------------------------------

    def query(self, sparql: str, *, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = (), timeout: float | None = None) -> QueryResult:
        form = query_form(sparql)
        accept = JSON if form in ("SELECT", "ASK") else NTRIPLES
        response = self._query_request(sparql, accept, timeout, default_graphs, named_graphs)
        body = b"".join(_stream(response, timeout))
        if form in ("SELECT", "ASK"):
            doc = json.loads(body)
            if "boolean" in doc:
                return QueryResult("ASK", boolean=bool(doc["boolean"]))
            variables = doc["head"].get("vars", [])
            rows = [{k: term_from_json(v) for k, v in binding.items()}
                    for binding in doc["results"]["bindings"]]
            return QueryResult("SELECT", variables=variables, rows=rows)
        graph = Graph().parse(data=body, format="nt")
        return QueryResult(form, graph=graph)  # type: ignore[arg-type]

    def query_serialized(self, sparql: str, media_type: str, *, default_graphs: Sequence[str] = (),
                         named_graphs: Sequence[str] = (), timeout: float | None = None,
                         limit: int | None = None) -> tuple[str, Iterable[bytes]]:
        media = media_type_for(media_type)
        form = query_form(sparql)
        check_media_for_form("CONSTRUCT" if form == "DESCRIBE" else form, media)
        if limit is not None and form == "SELECT":
            result = self.query(sparql, default_graphs=default_graphs,
                                named_graphs=named_graphs, timeout=timeout)
            rows = ([row.get(v) for v in result.variables] for row in result.rows[:limit])
            return media, write_rows(media, result.variables, rows)
        response = self._query_request(sparql, media, timeout, default_graphs, named_graphs)
        return media, _stream(response, timeout)

    # -- dumps ---------------------------------------------------------------------------

    def dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        """Every quad, read as TSV results (whose cells are N-Triples terms) line by line."""
        response = self._query_request(
            "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", TSV, None, (), ())
        current = None
        with response:
            response.readline()  # header
            for raw in response:
                line = raw.decode("utf-8").rstrip("\n")
                if not line:
                    continue
                s, p, o, g = (_nt_cell(cell) for cell in line.split("\t"))
                if fmt == "nquads":
                    out.write(f"{s} {p} {o} {g} .\n".encode())
                    continue
                if g != current:
                    if current is not None:
                        out.write(b"}\n")
                    out.write(f"{g} {{\n".encode())
                    current = g
                out.write(f"  {s} {p} {o} .\n".encode())
        if fmt == "trig" and current is not None:
            out.write(b"}\n")

    def load_dump(self, data: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        staged = Dataset()
        staged.parse(data, format="nquads" if fmt == "nquads" else "trig")
        for graph in staged.graphs():
            if len(graph) and graph.identifier != DATASET_DEFAULT_GRAPH_ID:
                self.add_graph(graph.identifier, graph)


_XSD = "http://www.w3.org/2001/XMLSchema#"


def _nt_cell(cell: str) -> str:
    """TSV cells are Turtle terms: numbers and booleans may be bare; N-Quads needs them typed."""
    if cell[:1] in ('<', '"', '_'):
        return cell
    if cell in ("true", "false"):
        return f'"{cell}"^^<{_XSD}boolean>'
    kind = "double" if "e" in cell.lower() else "decimal" if "." in cell else "integer"
    return f'"{cell}"^^<{_XSD}{kind}>'


def _stream(response: Any, timeout: float | None) -> Iterator[bytes]:
    """The body in chunks; the socket timeout bounds each read, ``timeout`` the whole body
    (closing the connection is what stops a streaming evaluation on the server)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with response:
        while True:
            try:
                chunk = response.read1(65536)
            except TimeoutError:
                chunk = None
            if chunk is None or (deadline is not None and time.monotonic() > deadline):
                raise QueryTimeout(f"The SPARQL server did not finish within {timeout:g} s.",
                                   timeoutSeconds=timeout)
            if not chunk:
                return
            yield chunk

