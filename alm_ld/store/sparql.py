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
import hashlib
import http.client
import json
import random
import re
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO, Literal

import pyoxigraph as ox
from rdflib import Graph, URIRef

from alm_ld.errors import (
    AlmLdError,
    MalformedQuery,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
)
from alm_ld.sparql_text import iri, prefixes
from alm_ld.store.base import QueryResult, Store
from alm_ld.store.dumps import read_dump
from alm_ld.store.results import (
    JSON,
    NTRIPLES,
    check_media_for_form,
    media_type_for,
    nt_term,
    query_form,
    term_from_json,
    write_boolean,
    write_rows,
)
from alm_ld.vocab import ID_NS, VOCAB_GRAPH

DEFAULT_QUERY_TIMEOUT = 10.0
"""Seconds a query may take when neither the caller nor the settings say (= ALM_LD_QUERY_TIMEOUT's
default)."""
DEFAULT_WRITE_TIMEOUT = 120.0
"""Seconds an update may take (= ALM_LD_STORE_WRITE_TIMEOUT's default)."""
DEFAULT_UPDATE_CHUNK = 1000
"""Most triples in one update request (= ALM_LD_UPDATE_CHUNK's default). Virtuoso 7 fails on
``INSERT DATA`` of about 1,400 triples ("generated SQL text has exceeded 10000 lines")."""

SKOLEM_PREFIX = ID_NS + "genid/"
"""Blank nodes written to a ``sparql:`` store become IRIs here (Virtuoso refuses blank nodes in
``INSERT DATA``); see :func:`skolemise`."""
STAGING_PREFIX = ID_NS + "staging/"
"""Graphs a large write is assembled in before one small update publishes it; never part of the
dataset alm-ld reads (see :meth:`SparqlStore.dataset`)."""
STAGING_LIST = ID_NS + "staging"
"""Lists each staging graph with the store's ``NOW()`` at its start (never part of the dataset)."""
STAGING_MAX_AGE = 3600
"""Seconds after which a staging graph is taken as abandoned (its writer died mid-upload)."""
_STARTED = STAGING_PREFIX + "startedAt"
STALE_ALERTS_GRAPH = ID_NS + "alerts/stale"
CURRENT_VIEW_GRAPH = ID_NS + "current"
DERIVED_GRAPHS = (STALE_ALERTS_GRAPH, CURRENT_VIEW_GRAPH)
"""alm-ld's derived graphs with fixed names (analytics: stale alerts, the current-value view).
A new derived graph must be named here, or name itself in its content like the alerts graphs
(``alm:alertsComputedFor``), to be visible on an engine with foreign graphs."""
CLAIMS_GRAPH = ID_NS + "claims"
LOADED_GRAPH = ID_NS + "loaded"
"""Lists (``void:subset``) the graphs ``alm-ld load`` wrote: they are alm-ld's data although
they name no feed, so an engine that holds foreign graphs still shows them."""
_SUBSET = "http://rdfs.org/ns/void#subset"


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
                 timeout: float | None = None, write_timeout: float | None = None,
                 update_chunk: int | None = None) -> None:
        self.spec = f"sparql:{query_url}" + (f";{update_url}" if update_url else "")
        self.query_url, self.update_url = query_url, update_url
        self.read_only = update_url is None
        self.timeout = timeout or DEFAULT_QUERY_TIMEOUT
        """Deadline of a query whose caller gives none (analytics, VoID, vocabulary check)."""
        self.write_timeout = write_timeout or DEFAULT_WRITE_TIMEOUT
        """Deadline of an update (an ingest is one ``INSERT DATA`` request)."""
        self.update_chunk = DEFAULT_UPDATE_CHUNK if update_chunk is None else update_chunk
        """Most triples in one update request (0: no limit); larger writes are staged."""
        self._foreign: bool | None = None

    # -- HTTP ----------------------------------------------------------------------------

    def _open(self, url: str, body: bytes, content_type: str, accept: str | None, *,
              deadline: float | None, idle: float, what: str,
              sparql: str = "") -> tuple[_Exchange, Any]:
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
        if response.status == 400 and what == "query" and not _parses(sparql):
            raise MalformedQuery(f"The SPARQL server at {url} rejected the {what} as malformed "
                                 "(HTTP 400).")
        if 400 <= response.status < 500:
            # Valid SPARQL (ours, or a user's that our parser accepts) that the engine refused:
            # its limit or gap, not the client's error. The engine's text is not passed on
            # (Virtuoso echoes the whole query in it).
            raise StoreError(f"The SPARQL server at {url} answered {response.status} "
                             f"{response.reason} to a valid SPARQL {what}: {_reason(text)}")
        if _DEADLOCK.search(text):
            raise _Deadlock(f"The SPARQL server at {url} aborted the {what} as deadlocked "
                            f"with a concurrent one ({_reason(text)}).")
        raise StoreUnavailable(f"The SPARQL server at {url} answered {response.status} "
                               f"{response.reason}: {_reason(text)}")

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
            deadline=seconds if deadline else None, idle=seconds, what="query", sparql=sparql)
        return _stream(exchange, response, seconds)

    def update(self, sparql: str) -> None:
        if not self.update_url:
            raise StoreUnavailable(
                f"{self.spec} has no update URL; use sparql:QUERY_URL;UPDATE_URL to write.")
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                exchange, response = self._open(
                    self.update_url, sparql.encode("utf-8"), "application/sparql-update", None,
                    deadline=self.write_timeout, idle=self.write_timeout, what="update")
            except _Deadlock:
                # The engine rolled the whole request back (Virtuoso SR172, SQLSTATE 40001):
                # sending it again is the same as sending it the first time.
                if attempt == DEADLOCK_RETRIES:
                    raise
                time.sleep(_JITTER.uniform(0.005, 0.02 * 2 ** min(attempt, 5)))
                continue
            for _ in _stream(exchange, response, self.write_timeout):
                pass
            return

    # -- the dataset -----------------------------------------------------------------------

    def _select(self, sparql: str, default_graphs: Sequence[str] = (),
                named_graphs: Sequence[str] = (), timeout: float | None = None, *,
                deadline: bool = True) -> QueryResult:
        """A SELECT/ASK over exactly the given dataset (none: the engine's own default);
        ``deadline=False`` bounds only the pauses (a dump's graphs may take long)."""
        body = b"".join(self._query_request(sparql, JSON, timeout, default_graphs,
                                            named_graphs, deadline=deadline))
        try:
            doc = json.loads(body)
            if "boolean" in doc:
                return QueryResult("ASK", boolean=bool(doc["boolean"]))
            rows = [{k: term_from_json(v) for k, v in binding.items()}
                    for binding in doc["results"]["bindings"]]
            return QueryResult("SELECT", variables=doc["head"].get("vars", []), rows=rows)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise StoreUnavailable(f"The SPARQL server at {self.query_url} sent an answer that "
                                   f"is not a valid {JSON} document ({type(error).__name__}).")

    def query_whole(self, sparql: str) -> QueryResult:
        """A SELECT/ASK over the engine's whole default dataset (claims: see there)."""
        return self._select(sparql)

    def holds_foreign_graphs(self, timeout: float | None = None) -> bool:
        """Whether the engine holds named graphs that are not alm-ld's (Virtuoso's system
        graphs, another application's data). Decided once per store object, when first needed:
        then every query is run over :meth:`dataset` instead of the engine's default dataset."""
        if self._foreign is None:
            names = self._engine_graphs(timeout)
            ours = {str(row["g"]) for row in self._select(_PREFIXES + f"""
SELECT ?g WHERE {{ {{ GRAPH ?g {{ ?g a alm:Feed }} }}
  UNION {{ GRAPH {iri(LOADED_GRAPH)} {{ {iri(LOADED_GRAPH)} {iri(_SUBSET)} ?g }} }} }}""",
                timeout=timeout).rows}
            self._foreign = any(name not in ours and not _ours_by_name(name) for name in names)
        return self._foreign

    def _engine_graphs(self, timeout: float | None = None) -> set[str]:
        """Every named graph of the engine. ``GRAPH ?g {}`` lists them without reading the
        data (Oxigraph); Virtuoso answers it with one empty row, so it is asked by its data —
        grouped, not ``DISTINCT ?g`` (which took Virtuoso 7.4 s for 8,000 quads, the grouped
        form 0.03 s)."""
        rows = self._select("SELECT ?g WHERE { GRAPH ?g { } }", timeout=timeout).rows
        if any("g" not in row for row in rows):
            rows = self._select(_GRAPHS_BY_DATA, timeout=timeout).rows
        return {str(row["g"]) for row in rows if "g" in row}

    def dataset(self, timeout: float | None = None) -> list[str]:
        """alm-ld's graphs: every feed graph (it names itself ``a alm:Feed``), every alerts,
        probe and kept-document graph (marked likewise: ``alm:alertsComputedFor``,
        ``alm:probe``, ``alm:documentTag``; one index look-up per marker, where asking for
        every ``almid:`` graph would scan all quads — 66 ms against 10 ms on Virtuoso with
        8,000), every graph ``alm-ld load`` wrote (listed in
        :data:`LOADED_GRAPH`), the vocabulary, the claims and the :data:`DERIVED_GRAPHS`. Staging
        graphs of writes in flight and whatever else the engine holds are not in it."""
        loaded = iri(LOADED_GRAPH)
        rows = self._select(_PREFIXES + f"""
SELECT DISTINCT ?g WHERE {{
  {{ GRAPH ?g {{ ?g a alm:Feed }} }} UNION {{ GRAPH ?g {{ ?g alm:alertsComputedFor ?feed }} }}
  UNION {{ GRAPH ?g {{ ?g alm:probe ?probe }} }} UNION {{ GRAPH ?g {{ ?g alm:documentTag ?tag }} }}
  UNION {{ GRAPH {loaded} {{ {loaded} {iri(_SUBSET)} ?g }} }}
}}""", timeout=timeout).rows
        graphs = {str(row["g"]) for row in rows if "g" in row}
        graphs.update((str(VOCAB_GRAPH), CLAIMS_GRAPH, *DERIVED_GRAPHS))
        return sorted(graphs)

    def _scoped(self, default_graphs: Sequence[str], named_graphs: Sequence[str],
                timeout: float | None = None) -> tuple[Sequence[str], Sequence[str]]:
        """The dataset a query runs over: the caller's when it names one; else, on an engine
        that holds foreign graphs, alm-ld's graphs as default (merged) and named graphs."""
        if default_graphs or named_graphs or not self.holds_foreign_graphs(timeout):
            return default_graphs, named_graphs
        graphs = self.dataset(timeout)
        return graphs, graphs

    # -- writing -------------------------------------------------------------------------

    def _triples(self, graph: Graph | bytes, scope: str) -> list[str]:
        data = graph if isinstance(graph, bytes) else graph.serialize(format="nt",
                                                                       encoding="utf-8")
        return [line for line in skolemise(data, scope).decode("utf-8").split("\n")
                if line.strip()]

    def _fits(self, lines: Sequence[str]) -> bool:
        return self.update_chunk <= 0 or len(lines) <= self.update_chunk

    def _staged(self, lines: Sequence[str], publish: str) -> None:
        """Write ``lines`` into a fresh staging graph in requests of at most ``update_chunk``
        triples, then send ``publish`` (which reads ``?s ?p ?o`` from ``GRAPH ?staging``) and
        the staging graph's removal as ONE update: the data appears whole or not at all.

        Each staging graph is listed in :data:`STAGING_LIST` with the store's ``NOW()`` while
        it exists; one older than :data:`STAGING_MAX_AGE` was left by a writer that died
        mid-upload and is dropped by the next staged write (:meth:`_sweep`)."""
        self._sweep()
        staging = f"{STAGING_PREFIX}{uuid.uuid4()}"
        graph, listed = iri(staging), iri(STAGING_LIST)
        unlist = f"DELETE WHERE {{ GRAPH {listed} {{ {graph} ?p ?o }} }}"
        try:
            self.update(f"INSERT {{ GRAPH {listed} {{ {graph} {iri(_STARTED)} ?now }} }} "
                        "WHERE { BIND (NOW() AS ?now) }")
            for start in range(0, len(lines), self.update_chunk):
                chunk = "\n".join(lines[start:start + self.update_chunk])
                self.update(f"INSERT DATA {{ GRAPH {graph} {{\n{chunk}\n}} }}")
            self.update(publish.replace("?staging", graph)
                        + f" ;\nDROP SILENT GRAPH {graph} ;\n{unlist}")
        except BaseException:
            with contextlib.suppress(AlmLdError):
                self.update(f"DROP SILENT GRAPH {graph} ;\n{unlist}")
            raise

    def _sweep(self) -> None:
        """Drop staging graphs older than :data:`STAGING_MAX_AGE` (their writers are gone)."""
        from alm_ld.store.claims import _seconds

        listed = iri(STAGING_LIST)
        rows = self.query_whole(f"""SELECT ?g WHERE {{
  GRAPH {listed} {{ ?g {iri(_STARTED)} ?at }}
  FILTER (({_seconds("NOW()")} - {_seconds("?at")}) > {STAGING_MAX_AGE})
}}""").rows
        for row in rows:
            if isinstance(row.get("g"), URIRef) and str(row["g"]).startswith(STAGING_PREFIX):
                graph = iri(str(row["g"]))
                self.update(f"DROP SILENT GRAPH {graph} ;\n"
                            f"DELETE WHERE {{ GRAPH {listed} {{ {graph} ?p ?o }} }}")

    def add_graph(self, name: URIRef, graph: Graph | bytes, *, replace: bool = False) -> None:
        lines = self._triples(graph, str(name))
        graph_iri = iri(str(name))
        drop = f"DROP SILENT GRAPH {graph_iri} ;\n" if replace else ""
        if self._fits(lines):
            body = "\n".join(lines)
            self.update(f"{drop}INSERT DATA {{ GRAPH {graph_iri} {{\n{body}\n}} }}")
            return
        self._staged(lines, f"{drop}INSERT {{ GRAPH {graph_iri} {{ ?s ?p ?o }} }} "
                            "WHERE { GRAPH ?staging { ?s ?p ?o } }")

    def insert_where(self, graph_name: str, data: bytes, *, prologue: str, condition: str,
                     then: str) -> None:
        """Insert ``data`` into ``graph_name`` if ``condition`` (a group pattern) has a
        solution, followed by the update ``then`` — one update request however large the
        data (staged in chunks first when it exceeds ``update_chunk``)."""
        lines = self._triples(data, graph_name)
        graph = iri(graph_name)
        if self._fits(lines):
            body = "\n".join(lines)
            self.update(f"{prologue}INSERT {{ GRAPH {graph} {{\n{body}\n}} }}\n"
                        f"WHERE {{ {condition} }} ;\n{then}")
            return
        self._staged(lines, f"{prologue}INSERT {{ GRAPH {graph} {{ ?s ?p ?o }} }}\n"
                            f"WHERE {{ {condition}\n GRAPH ?staging {{ ?s ?p ?o }} }} ;\n{then}")

    def has_graph(self, name: URIRef) -> bool:
        return bool(self._select(f"ASK {{ GRAPH {iri(str(name))} {{ ?s ?p ?o }} }}").boolean)

    def graph_names(self) -> list[URIRef]:
        result = self.query(_GRAPHS_BY_DATA)
        return [URIRef(row["g"]) for row in result.rows if isinstance(row.get("g"), URIRef)]

    # -- querying ------------------------------------------------------------------------

    def query(self, sparql: str, *, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = (), timeout: float | None = None) -> QueryResult:
        form = query_form(sparql)
        default_graphs, named_graphs = self._scoped(default_graphs, named_graphs, timeout)
        if form in ("SELECT", "ASK"):
            return self._select(sparql, default_graphs, named_graphs, timeout)
        body = b"".join(self._query_request(sparql, NTRIPLES, timeout, default_graphs,
                                            named_graphs))
        try:
            graph = Graph().parse(data=body, format="nt")
        except (ValueError, KeyError, TypeError, AttributeError, SyntaxError) as error:
            raise StoreUnavailable(f"The SPARQL server at {self.query_url} sent an answer that "
                                   f"is not a valid {NTRIPLES} document ({type(error).__name__}).")
        return QueryResult(form, graph=graph)  # type: ignore[arg-type]

    def query_serialized(self, sparql: str, media_type: str, *, default_graphs: Sequence[str] = (),
                         named_graphs: Sequence[str] = (), timeout: float | None = None,
                         limit: int | None = None) -> tuple[str, Iterable[bytes]]:
        media = media_type_for(media_type)
        form = query_form(sparql)
        check_media_for_form("CONSTRUCT" if form == "DESCRIBE" else form, media)
        if form in ("SELECT", "ASK"):
            # Read as SPARQL JSON (every engine writes it alike) and written by our own writers:
            # Virtuoso's TSV, CSV and XML differ from the standard's in quoting and typing.
            result = self.query(sparql, default_graphs=default_graphs,
                                named_graphs=named_graphs, timeout=timeout)
            if result.form == "ASK":
                return media, [write_boolean(media, bool(result.boolean))]
            shown = result.rows if limit is None else result.rows[:limit]
            rows = ([row.get(v) for v in result.variables] for row in shown)
            return media, write_rows(media, result.variables, rows)
        default_graphs, named_graphs = self._scoped(default_graphs, named_graphs, timeout)
        return media, self._query_request(sparql, media, timeout, default_graphs, named_graphs)

    # -- dumps ---------------------------------------------------------------------------

    def dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        """Every quad of alm-ld's graphs, read graph by graph as SPARQL JSON results (the one
        result format every engine writes alike; Virtuoso's TSV quotes IRIs its own way)."""
        try:
            self._dump(out, fmt)
        except StoreUnavailable as error:
            if isinstance(error, StoreError):
                raise
            # e.g. Oxigraph ends a stream its own --timeout-s cancelled with a message line
            # (then the JSON does not parse): the file must not look complete.
            raise StoreUnavailable(
                f"{error.detail.rstrip('.')}; the dump is incomplete. Raise the server's "
                "timeout or dump on the server (oxigraph dump).") from error

    def _dump(self, out: BinaryIO, fmt: Literal["nquads", "trig"]) -> None:
        graphs = (self.dataset() if self.holds_foreign_graphs()
                  else sorted(str(g) for g in self._engine_graphs()
                              if not str(g).startswith(STAGING_PREFIX)))
        graphs = [g for g in graphs if g not in (LOADED_GRAPH, STAGING_LIST)]  # bookkeeping
        for graph in graphs:
            result = self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}",
                                  (), (graph,), deadline=False)
            if not result.rows:
                continue
            g = iri(graph)
            if fmt == "trig":
                out.write(f"{g} {{\n".encode())
            for row in result.rows:
                s, p, o = (nt_term(row[k]) for k in ("s", "p", "o"))
                out.write((f"  {s} {p} {o} .\n" if fmt == "trig"
                           else f"{s} {p} {o} {g} .\n").encode())
            if fmt == "trig":
                out.write(b"}\n")

    def load_dump(self, data: BinaryIO, fmt: Literal["nquads", "trig"] = "nquads") -> None:
        """The whole dump in ONE update request when it fits ``update_chunk``, else staged in
        chunks and published by one small update (parsed locally first: a malformed file sends
        nothing). Quads in the default graph are skipped (the server's default graph is the
        union of the named graphs); blank nodes become skolem IRIs (:func:`skolemise`)."""
        graphs: dict[str, list[str]] = {}
        for quad in read_dump(data, fmt):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                continue
            graphs.setdefault(str(quad.graph_name), []).append(
                f"{quad.subject} {quad.predicate} {quad.object} .")
        lines: list[str] = []
        names: list[str] = []
        if graphs:  # recorded as alm-ld's own, so the dataset shows them on any engine
            graphs.setdefault(iri(LOADED_GRAPH), []).extend(
                f"{iri(LOADED_GRAPH)} {iri(_SUBSET)} {name} ." for name in list(graphs))
        for name, triples in graphs.items():
            scope = name.strip("<>")
            quads = self._triples("\n".join(triples).encode("utf-8"), scope)
            lines.extend(f"{name} {line}" for line in quads)  # graph-prefixed for staging
            names.append(name)
        if not lines:
            return
        if self._fits(lines):
            blocks = (f"GRAPH {name} {{\n" + "\n".join(
                line[len(name) + 1:] for line in lines if line.startswith(name + " "))
                + "\n}" for name in names)
            self.update("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
            return
        self._load_staged(lines)

    def _load_staged(self, lines: list[str]) -> None:
        """Quads staged as rows (``<row> <almid:staging/graph> G; …/subject S; …/predicate P;
        …/object O``: bookkeeping IRIs, not vocabulary terms) and published in one update that
        rebuilds each quad in its graph."""
        rows = []
        for number, line in enumerate(lines):
            g, rest = line.split(" ", 1)
            term = ox.parse(rest.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
            triple = next(iter(term))
            row = f"<{STAGING_PREFIX}row/{number}>"
            rows.append(f"{row} <{_STAGED}graph> {g} ; <{_STAGED}subject> "
                        f"{triple.subject} ; <{_STAGED}predicate> {triple.predicate} ; "
                        f"<{_STAGED}object> {triple.object} .")
        self._staged(rows, f"INSERT {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?staging {{ "
                           f"?row <{_STAGED}graph> ?g ; <{_STAGED}subject> ?s ; "
                           f"<{_STAGED}predicate> ?p ; <{_STAGED}object> ?o }} }}")


DEADLOCK_RETRIES = 12
"""Times an update the engine aborted as deadlocked is sent again before giving up (503)."""
_DEADLOCK = re.compile(r"\b40001\b|SR172|deadlock", re.IGNORECASE)
_JITTER = random.Random()


class _Deadlock(StoreUnavailable):
    """The engine aborted and rolled back the request because of a concurrent one."""


_STAGED = STAGING_PREFIX  # the row predicates of a staged load: …/graph, …/subject, …
_GRAPHS_BY_DATA = "SELECT ?g (COUNT(*) AS ?quads) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_PREFIXES = prefixes("alm")


def _ours_by_name(graph: str) -> bool:
    return graph == str(VOCAB_GRAPH) or graph.startswith(ID_NS)


def _parses(sparql: str) -> bool:
    """Whether our own parser accepts ``sparql`` (rdflib's SPARQL 1.1 grammar)."""
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(sparql)
    except Exception:  # noqa: BLE001 - any failure means "not valid SPARQL for us"
        return False
    return True


def _reason(text: str) -> str:
    """A short reason from an engine's error body, without the query it may echo."""
    first = " ".join(text.split())
    for marker in ("SPARQL query:", "SPARQL query :", "Query:"):
        if marker in first:
            first = first.split(marker, 1)[0]
    return first[:160].rstrip(" :") or "no detail"


def skolemise(data: bytes, scope: str) -> bytes:
    """N-Triples with every blank node replaced by an IRI under ``almid:genid/``, hashed from
    ``scope`` (the graph name) and the node's label: deterministic, so a re-send of the same
    graph writes the same IRIs (idempotent), and two graphs never share a node by accident."""
    if b"_:" not in data:
        return data
    out = []
    for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        terms = []
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.BlankNode):
                digest = hashlib.sha256(f"{scope}|{term.value}".encode()).hexdigest()[:32]
                terms.append(f"<{SKOLEM_PREFIX}{digest}>")
            else:
                terms.append(str(term))
        out.append(" ".join(terms) + " .\n")
    return "".join(out).encode("utf-8")


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
