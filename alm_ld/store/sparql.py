"""``sparql:QUERY_URL[;UPDATE_URL]`` — any SPARQL 1.1 server (Oxigraph server, Fuseki, Virtuoso).

Speaks the SPARQL 1.1 Protocol and Update over HTTP with :mod:`http.client` from the standard
library rather than rdflib's ``SPARQLUpdateStore``: only ``alm_ld/harvest/http.py`` may use
requests, and ``SPARQLUpdateStore`` would parse every result into rdflib objects, split a graph
into many updates (losing atomicity) and has no per-query timeout. Here a whole feed graph is one
``INSERT DATA`` request — one transaction on servers that apply an update request atomically
(Oxigraph, Fuseki/TDB2) — and results in the client's format are passed through as the server
wrote them.

The server must use the union of its named graphs as the default graph, as the other backends do
(``oxigraph serve --union-default-graph``; Fuseki: ``tdb2:unionDefaultGraph true``). Without an
``UPDATE_URL`` the store is read-only.

A remote store is a resource that can fail in ways an embedded one cannot: it can refuse, reset,
stall (accept the connection and never answer) or trickle. Every request therefore carries a
hard deadline enforced by a watchdog that shuts the socket down (a per-read socket timeout alone
would let a server that sends one byte now and then hold a worker for ever):

* a query: ``timeout`` (the caller's) or else :attr:`SparqlStore.timeout` (``ALM_LD_QUERY_TIMEOUT``)
  for the whole exchange — connect, status line and body;
* an update: :attr:`SparqlStore.write_timeout` (``ALM_LD_STORE_WRITE_TIMEOUT``);
* ``dump``: no overall deadline (a dump may take long) but no byte for ``timeout`` seconds ends it.

Failures map onto the one error hierarchy: no answer at all within the deadline, a refused or
reset connection, a 5xx or an unreadable answer is :class:`StoreUnavailable` (HTTP 503, exit 4);
an answer that started but did not finish in time is :class:`QueryTimeout` (also 503 / exit 4);
a 400 is :class:`MalformedQuery` (the server's parser text is not passed on: it would leak to
public clients).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO, Literal

import pyoxigraph as ox
from rdflib import Graph, URIRef

from alm_ld.errors import AlmLdError, MalformedQuery, QueryTimeout, StoreUnavailable
from alm_ld.sparql_text import iri
from alm_ld.store.base import QueryResult, Store
from alm_ld.store.dumps import read_dump
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

DEFAULT_QUERY_TIMEOUT = 10.0
"""Seconds a query may take when neither the caller nor the settings say (= ALM_LD_QUERY_TIMEOUT's
default)."""
DEFAULT_WRITE_TIMEOUT = 120.0
"""Seconds an update may take (= ALM_LD_STORE_WRITE_TIMEOUT's default)."""


class _Exchange:
    """One HTTP request to the SPARQL server under a hard deadline.

    ``deadline`` seconds after the start a watchdog shuts the socket down, which wakes any
    blocked read with end-of-file; :attr:`expired` then tells a cut answer from a complete one.
    ``idle`` bounds each socket operation (connect, every read) on its own."""

    def __init__(self, url: str, deadline: float | None, idle: float) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.target = parts.path or "/"
        if parts.query:
            self.target += "?" + parts.query
        connection = (http.client.HTTPSConnection if parts.scheme == "https"
                      else http.client.HTTPConnection)
        self.connection = connection(parts.hostname or "", parts.port, timeout=idle)
        self.deadline = deadline
        self.expired = False
        self.answered = False  # the status line arrived
        self._timer: threading.Timer | None = None

    def _expire(self) -> None:
        self.expired = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def open(self, body: bytes, headers: dict[str, str]) -> http.client.HTTPResponse:
        started = time.monotonic()
        self.connection.connect()  # bounded by ``idle``
        if self.deadline is not None:
            remaining = self.deadline - (time.monotonic() - started)
            if remaining <= 0:
                self._expire()
                raise TimeoutError
            self._timer = threading.Timer(remaining, self._expire)
            self._timer.daemon = True
            self._timer.start()
        self.connection.request("POST", self.target, body=body, headers=headers)
        response = self.connection.getresponse()
        self.answered = True
        return response

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.connection.close()


class SparqlStore(Store):
    """See the module docstring."""

    shared = True  # other processes and machines may write the same server

    def __init__(self, query_url: str, update_url: str | None = None, *,
                 timeout: float | None = None, write_timeout: float | None = None) -> None:
        self.spec = f"sparql:{query_url}" + (f";{update_url}" if update_url else "")
        self.query_url, self.update_url = query_url, update_url
        self.read_only = update_url is None
        self.timeout = timeout or DEFAULT_QUERY_TIMEOUT
        """Deadline of a query whose caller gives none (analytics, VoID, vocabulary check)."""
        self.write_timeout = write_timeout or DEFAULT_WRITE_TIMEOUT
        """Deadline of an update (an ingest is one ``INSERT DATA`` request)."""

    # -- HTTP ----------------------------------------------------------------------------

    def _open(self, url: str, body: bytes, content_type: str, accept: str | None, *,
              deadline: float | None, idle: float, what: str) -> tuple[_Exchange, Any]:
        """Send one request; return the exchange and its 2xx response, or raise our error."""
        headers = {"Content-Type": content_type, "User-Agent": "alm-ld"}
        if accept:
            headers["Accept"] = accept
        exchange = _Exchange(url, deadline, idle)
        try:
            response = exchange.open(body, headers)
        except TimeoutError as error:
            exchange.close()
            raise self._no_answer(url, what, exchange, idle) from error
        except (OSError, http.client.HTTPException) as error:
            exchange.close()
            if exchange.expired:
                raise self._no_answer(url, what, exchange, idle) from error
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise StoreUnavailable(f"Cannot reach the SPARQL server at {url}: {reason}.")
        if 200 <= response.status < 300:  # an update is acknowledged with 204
            return exchange, response
        try:
            text = response.read(2000).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            text = ""
        exchange.close()
        if response.status == 400:
            raise MalformedQuery(f"The SPARQL server at {url} rejected the {what} as malformed "
                                 "(HTTP 400).")
        raise StoreUnavailable(f"The SPARQL server at {url} answered {response.status} "
                               f"{response.reason}: {' '.join(text.split())[:200]}")

    @staticmethod
    def _no_answer(url: str, what: str, exchange: _Exchange, idle: float) -> AlmLdError:
        seconds = exchange.deadline if exchange.deadline is not None else idle
        why = ("stalled, overloaded, or the query is too slow for it" if what == "query" else
               "stalled or overloaded; the update may still be applied later")
        return StoreUnavailable(
            f"The SPARQL server at {url} sent no answer to the {what} within {seconds:g} s "
            f"({why}).", timeoutSeconds=seconds)

    def _query_request(self, sparql: str, accept: str, timeout: float | None,
                       default_graphs: Sequence[str], named_graphs: Sequence[str],
                       *, deadline: bool = True) -> Iterator[bytes]:
        """The answer's body, streamed; ``deadline=False`` bounds only the pauses (dumps)."""
        seconds = timeout or self.timeout
        params = [("query", sparql)] + [("default-graph-uri", g) for g in default_graphs] + [
            ("named-graph-uri", g) for g in named_graphs]
        body = urllib.parse.urlencode(params).encode()
        exchange, response = self._open(
            self.query_url, body, "application/x-www-form-urlencoded", accept,
            deadline=seconds if deadline else None, idle=seconds, what="query")
        return _stream(exchange, response, seconds)

    def update(self, sparql: str) -> None:
        if not self.update_url:
            raise StoreUnavailable(
                f"{self.spec} has no update URL; use sparql:QUERY_URL;UPDATE_URL to write.")
        exchange, response = self._open(
            self.update_url, sparql.encode("utf-8"), "application/sparql-update", None,
            deadline=self.write_timeout, idle=self.write_timeout, what="update")
        for _ in _stream(exchange, response, self.write_timeout):
            pass

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
        body = b"".join(self._query_request(sparql, accept, timeout, default_graphs,
                                            named_graphs))
        try:
            if form in ("SELECT", "ASK"):
                doc = json.loads(body)
                if "boolean" in doc:
                    return QueryResult("ASK", boolean=bool(doc["boolean"]))
                variables = doc["head"].get("vars", [])
                rows = [{k: term_from_json(v) for k, v in binding.items()}
                        for binding in doc["results"]["bindings"]]
                return QueryResult("SELECT", variables=variables, rows=rows)
            graph = Graph().parse(data=body, format="nt")
        except (ValueError, KeyError, TypeError, AttributeError, SyntaxError) as error:
            raise StoreUnavailable(f"The SPARQL server at {self.query_url} sent an answer that "
                                   f"is not a valid {accept} document ({type(error).__name__}).")
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
        return media, self._query_request(sparql, media, timeout, default_graphs, named_graphs)

    # -- dumps ---------------------------------------------------------------------------

    def dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        """Every quad, read as TSV results (whose cells are N-Triples terms) line by line."""
        chunks = self._query_request("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", TSV,
                                     None, (), (), deadline=False)
        current = None
        for number, raw in enumerate(_lines(chunks)):
            line = raw.decode("utf-8").rstrip("\n")
            if number == 0 or not line:
                continue  # header
            cells = line.split("\t")
            if len(cells) != 4:
                # Oxigraph ends a stream its --timeout-s cancelled with a message line, as if
                # the answer were complete: the dump would be silently short.
                raise StoreUnavailable(
                    f"The store {self.spec} ended the dump with a malformed row (line "
                    f"{number + 1}), e.g. because its own timeout cancelled the query; the "
                    "dump is incomplete. Raise the server's timeout or dump on the server "
                    "(oxigraph dump).")
            s, p, o, g = (_nt_cell(cell) for cell in cells)
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
        """The whole dump as ONE ``INSERT DATA`` request, bounded by the write timeout: parsed
        locally first (a malformed file sends nothing), then applied in one transaction by
        servers that apply an update request atomically (Oxigraph, Fuseki/TDB2), so a failure
        leaves nothing half-loaded. Quads in the default graph are skipped (the server's
        default graph is the union of the named graphs)."""
        graphs: dict[str, list[str]] = {}
        for quad in read_dump(data, fmt):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                continue
            graphs.setdefault(str(quad.graph_name), []).append(
                f"{quad.subject} {quad.predicate} {quad.object} .")
        if graphs:
            blocks = (f"GRAPH {name} {{\n" + "\n".join(lines) + "\n}"
                      for name, lines in graphs.items())
            self.update("INSERT DATA {\n" + "\n".join(blocks) + "\n}")


_XSD = "http://www.w3.org/2001/XMLSchema#"


def _nt_cell(cell: str) -> str:
    """TSV cells are Turtle terms: numbers and booleans may be bare; N-Quads needs them typed."""
    if cell[:1] in ('<', '"', '_'):
        return cell
    if cell in ("true", "false"):
        return f'"{cell}"^^<{_XSD}boolean>'
    kind = "double" if "e" in cell.lower() else "decimal" if "." in cell else "integer"
    return f'"{cell}"^^<{_XSD}{kind}>'


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line + b"\n"
    if pending:
        yield pending


def _stream(exchange: _Exchange, response: Any, seconds: float) -> Iterator[bytes]:
    """The body in chunks; closing the connection is what stops a streaming evaluation on the
    server, so it is closed however the caller stops reading."""
    try:
        while True:
            try:
                chunk = response.read1(65536)
            except TimeoutError:
                if exchange.deadline is None:  # a dump: a pause longer than ``seconds``
                    raise StoreUnavailable(
                        f"The SPARQL server at {exchange.url} sent nothing for {seconds:g} s.",
                        timeoutSeconds=seconds)
                chunk = b""
                exchange.expired = True
            except (OSError, http.client.HTTPException):
                if not exchange.expired:
                    raise StoreUnavailable(f"The SPARQL server at {exchange.url} broke the "
                                           "connection in the middle of its answer.")
                chunk = b""
            if exchange.expired:
                raise QueryTimeout(
                    f"The SPARQL server at {exchange.url} did not finish its answer within "
                    f"{seconds:g} s.", timeoutSeconds=seconds)
            if not chunk:
                if response.length:  # Content-Length promised more than arrived
                    raise StoreUnavailable(f"The SPARQL server at {exchange.url} closed the "
                                           "connection before the end of its answer.")
                return
            yield chunk
    finally:
        exchange.close()
