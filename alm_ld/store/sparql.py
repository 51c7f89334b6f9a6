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

import codecs
import contextlib
import hashlib
import http.client
import itertools
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
from rdflib.term import Node

from alm_ld.errors import (
    AlmLdError,
    MalformedQuery,
    QueryRefused,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
)
from alm_ld.sparql_text import conditional_write, iri, prefixes
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
OXIGRAPH_UPDATE_CHUNK = 200_000
"""The default chunk on an Oxigraph server, which takes large updates (200,000 triples, 6.4 MB,
in one 2.4 s request): staging a feed costs a copy and a drop of every triple in the store —
measured, 1,000-triple chunks made a shared ingest 2.4× slower (2.2 vs 0.93 ms an item)."""

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
        self._update_chunk = update_chunk
        self._server = ""
        """The engine's ``Server`` header (from its first answer): picks the default chunk."""
        self._foreign: bool | None = None

    @property
    def update_chunk(self) -> int:
        """Most triples in one update request (0: no limit); larger writes are staged. Unless
        set (``ALM_LD_UPDATE_CHUNK``): :data:`OXIGRAPH_UPDATE_CHUNK` for an Oxigraph server,
        :data:`DEFAULT_UPDATE_CHUNK` for any other engine."""
        if self._update_chunk is not None:
            return self._update_chunk
        if self._server.lower().startswith("oxigraph"):
            return OXIGRAPH_UPDATE_CHUNK
        return DEFAULT_UPDATE_CHUNK

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
        if not self._server:
            self._server = response.getheader("Server") or "unknown"
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
        if default_graphs or named_graphs:
            sparql = without_dataset_clauses(sparql)
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
        answer = self._select_stream(sparql, default_graphs, named_graphs, timeout,
                                     deadline=deadline)
        if answer.boolean is not None:
            return QueryResult("ASK", boolean=answer.boolean)
        return QueryResult("SELECT", variables=answer.variables, rows=list(answer.rows))

    def _select_stream(self, sparql: str, default_graphs: Sequence[str] = (),
                       named_graphs: Sequence[str] = (), timeout: float | None = None, *,
                       deadline: bool = True) -> _JsonResults:
        """Like :meth:`_select`, but the rows are read while the answer arrives: the head is
        read here (so a refused query or a dead server raises now), each row when the caller
        asks for it. Closing the row iterator closes the connection, which stops the engine."""
        chunks = self._query_request(sparql, JSON, timeout, default_graphs, named_graphs,
                                     deadline=deadline)
        return _JsonResults(chunks, self.query_url)

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
                timeout: float | None = None, *, sparql: str = ""
                ) -> tuple[Sequence[str], Sequence[str]]:
        """The dataset a query runs over: the caller's when it names one; else the query's
        own FROM / FROM NAMED, as the embedded stores read them (a graph the engine does not
        hold is empty; sent as the protocol dataset, the clauses themselves never reach the
        engine: :func:`without_dataset_clauses`); else, on an engine that holds foreign
        graphs, alm-ld's graphs as default (merged) and named graphs."""
        if default_graphs or named_graphs:
            return default_graphs, named_graphs
        clauses = dataset_clauses(sparql) if sparql else None
        if clauses is not None:
            held = set(self.dataset(timeout) if self.holds_foreign_graphs(timeout)
                       else self._engine_graphs(timeout))
            default = [g for g in dict.fromkeys(clauses[0]) if g in held]
            named = [g for g in dict.fromkeys(clauses[1]) if g in held]
            return default or [EMPTY_DEFAULT_GRAPH], named
        if not self.holds_foreign_graphs(timeout):
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
        the staging graph's removal as ONE update: the data appears whole or not at all."""
        self._staged_parts([lines], publish.replace("?staging", "?staging0"))

    def _staged_parts(self, parts: Sequence[Sequence[str]], publish: str) -> None:
        """:meth:`_staged` for several graphs at once: part ``k`` goes to its own staging
        graph, named in ``publish`` as ``?staging{k}``.

        Each staging graph is listed in :data:`STAGING_LIST` with the store's ``NOW()`` while
        it exists; one older than :data:`STAGING_MAX_AGE` was left by a writer that died
        mid-upload and is dropped by the next staged write (:meth:`_sweep`)."""
        self._sweep()
        stagings = [f"{STAGING_PREFIX}{uuid.uuid4()}" for _ in parts]
        listed = iri(STAGING_LIST)
        drop = " ;\n".join(f"DROP SILENT GRAPH {iri(g)} ;\n"
                           f"DELETE WHERE {{ GRAPH {listed} {{ {iri(g)} ?p ?o }} }}"
                           for g in stagings)
        try:
            started = " ".join(f"{iri(g)} {iri(_STARTED)} ?now ." for g in stagings)
            self.update(f"INSERT {{ GRAPH {listed} {{ {started} }} }} "
                        "WHERE { BIND (NOW() AS ?now) }")
            for staging, lines in zip(stagings, parts, strict=True):
                for start in range(0, len(lines), self.update_chunk):
                    chunk = "\n".join(lines[start:start + self.update_chunk])
                    self.update(f"INSERT DATA {{ GRAPH {iri(staging)} {{\n{chunk}\n}} }}")
            # Highest number first: ?staging1 is a prefix of ?staging10.
            for number in reversed(range(len(stagings))):
                publish = publish.replace(f"?staging{number}", iri(stagings[number]))
            self.update(f"{publish} ;\n{drop}")
        except BaseException:
            with contextlib.suppress(AlmLdError):
                self.update(drop)
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

    def publish_where(self, graphs: Sequence[tuple[str, bytes]], *,
                      removed: Sequence[tuple[str, Sequence[str]]] = (), prologue: str,
                      condition: str, then: str) -> None:
        """Insert ``graphs`` (N-Triples each) and delete the ``removed`` ground lines if
        ``condition`` (a group pattern) has a solution — ONE operation (the condition is
        tested once: :func:`~alm_ld.sparql_text.conditional_write`), followed by the update
        ``then``, in one request however large the data: past ``update_chunk`` triples every
        part is staged first and the operation reads them back."""
        inserts = [(name, self._triples(data, name)) for name, data in graphs if data]
        deletes = [(name, [line for line in lines if line.strip()]) for name, lines in removed]
        deletes = [(name, lines) for name, lines in deletes if lines]
        if self._fits([line for _, lines in inserts + deletes for line in lines]):
            self.update(f"{prologue}{conditional_write(inserts, deletes, condition)} ;\n{then}")
            return
        branches = [f"{{ GRAPH ?staging{k} {{ ?s ?p ?o }} BIND ({iri(name)} AS ?into) }}"
                    for k, (name, _) in enumerate(inserts)]
        branches += [f"{{ GRAPH ?staging{len(inserts) + k} {{ ?ds ?dp ?do }} "
                     f"BIND ({iri(name)} AS ?from) }}" for k, (name, _) in enumerate(deletes)]
        delete = "DELETE { GRAPH ?from { ?ds ?dp ?do } }\n" if deletes else ""
        # The condition in a subquery: its variables stay its own (a FILTER NOT EXISTS over
        # ``?g`` must not see a branch's graph). What a staged publication costs is the copy
        # and the drop of every staged triple, not the condition (measured; hence the chunk
        # by engine, :data:`OXIGRAPH_UPDATE_CHUNK`).
        # A solution of one branch leaves the other template's variables unbound, and a
        # template triple with an unbound variable is not written (SPARQL 1.1 Update, 3.1.3).
        self._staged_parts(
            [lines for _, lines in inserts + deletes],
            f"{prologue}{delete}INSERT {{ GRAPH ?into {{ ?s ?p ?o }} }}\n"
            f"WHERE {{ {{ SELECT * WHERE {{ {condition}\n }} }}\n"
            f" {' UNION '.join(branches)} }} ;\n{then}")

    def has_graph(self, name: URIRef) -> bool:
        return bool(self._select(f"ASK {{ GRAPH {iri(str(name))} {{ ?s ?p ?o }} }}").boolean)

    def graph_names(self) -> list[URIRef]:
        result = self.query(_GRAPHS_BY_DATA)
        return [URIRef(row["g"]) for row in result.rows if isinstance(row.get("g"), URIRef)]

    # -- querying ------------------------------------------------------------------------

    def query(self, sparql: str, *, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = (), timeout: float | None = None) -> QueryResult:
        form = query_form(sparql)
        default_graphs, named_graphs = self._scoped(default_graphs, named_graphs, timeout,
                                                    sparql=sparql)
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
        default_graphs, named_graphs = self._scoped(default_graphs, named_graphs, timeout,
                                                    sparql=sparql)
        if form in ("SELECT", "ASK"):
            # Read as SPARQL JSON (every engine writes it alike) and written by our own writers:
            # Virtuoso's TSV, CSV and XML differ from the standard's in quoting and typing.
            # Row by row as the answer arrives: a large result never sits in memory.
            answer = self._select_stream(sparql, default_graphs, named_graphs, timeout)
            if answer.boolean is not None:
                return media, [write_boolean(media, answer.boolean)]
            return media, _written(media, answer, limit)
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
            answer = self._select_stream(
                f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}",
                (), (graph,), deadline=False)
            g = iri(graph)
            started = False
            lines: list[str] = []
            for row in answer.rows:  # streamed: a large graph never sits in memory
                if not started and fmt == "trig":
                    out.write(f"{g} {{\n".encode())
                started = True
                s, p, o = (nt_term(row[k]) for k in ("s", "p", "o"))
                lines.append(f"  {s} {p} {o} .\n" if fmt == "trig" else f"{s} {p} {o} {g} .\n")
                if len(lines) >= 1000:
                    out.write("".join(lines).encode())
                    lines.clear()
            out.write("".join(lines).encode())
            if started and fmt == "trig":
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


EMPTY_DEFAULT_GRAPH = "urn:x-alm-ld:empty-graph"
"""The default graph of a dataset none of whose graphs the engine holds (the same URN as the
web layer's ``sparql_check.EMPTY_GRAPH``): nobody can dereference it, and it is never named."""

_DATASET_TOKENS = re.compile(
    r'(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*)"
    r"|(?P<word>[^\s{}()\[\]<>,;\"'#=!&|*/+^]+)"
    r"|(?P<other>[\s\S])")


_FROM_WORD = re.compile(r"(?<![\w:?$])from(?![\w:])|\\", re.IGNORECASE)
"""The word FROM standing alone (not in ``prov:wasDerivedFrom`` or ``?from``), or a backslash
(an escape can spell it): a query without either has no dataset clause."""


def dataset_clauses(sparql: str) -> tuple[list[str], list[str]] | None:
    """The query's FROM and FROM NAMED graphs (absolute IRIs), or None when it has no dataset
    clause. Parsed with rdflib's grammar (prefixed names, BASE, escapes), and only when
    :data:`_FROM_WORD` is found, so the common query pays nothing."""
    if not _FROM_WORD.search(sparql):
        return None
    from rdflib.plugins.sparql.algebra import translatePrologue
    from rdflib.plugins.sparql.parser import parseQuery

    from alm_ld.store.memory import PARSE_LOCK

    try:
        with PARSE_LOCK:
            parsed = parseQuery(sparql)
        query = parsed[1]
        clauses = query.get("datasetClause") if "datasetClause" in query else None
        if not clauses:
            return None
        prologue = translatePrologue(parsed[0], None)
        default = [str(prologue.absolutize(c["default"])) for c in clauses if "default" in c]
        named = [str(prologue.absolutize(c["named"])) for c in clauses if "default" not in c]
    except Exception:  # noqa: BLE001 - not valid for us: the engine reports its own error
        return None
    return default, named


def without_dataset_clauses(sparql: str) -> str:
    """``sparql`` without its FROM / FROM NAMED clauses, for a request that carries the dataset
    in the protocol: SPARQL 1.1 Protocol §2.1.4 says the protocol dataset replaces them, but
    not every engine obeys (and one that dereferences a FROM IRI would fetch a URL chosen by a
    public client), so the engine never sees them. Cut on the token level (strings, IRIs and
    comments are skipped whole, so ``"from"``, ``ex:from`` or ``?from`` are left alone), then
    checked with the full parser: text it still reads a dataset clause in (escapes such as
    ``\\u0046ROM``) is refused rather than sent."""
    if not _FROM_WORD.search(sparql):
        return sparql
    tokens = [(m.lastgroup, m.group()) for m in _DATASET_TOKENS.finditer(sparql)]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word" and text.lower() == "from":
            j = _next_token(tokens, i + 1)
            if j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].lower() == "named":
                j = _next_token(tokens, j + 1)
            if j < len(tokens) and (tokens[j][1].startswith("<") or (
                    tokens[j][0] == "word" and ":" in tokens[j][1])):
                out.append(" ")
                i = j + 1
                continue
        out.append(text)
        i += 1
    stripped = "".join(out)
    if dataset_clauses(stripped) is not None:
        raise QueryRefused("The query's FROM / FROM NAMED clause is written in a way this "
                           "endpoint cannot separate from the query (escapes); write it "
                           "plainly or give the dataset as default-graph-uri / "
                           "named-graph-uri.", feature="dataset")
    return stripped


def _next_token(tokens: list[tuple[str | None, str]], start: int) -> int:
    """The index of the next token that is not white space or a comment."""
    while start < len(tokens) and (tokens[start][1].isspace()
                                   or tokens[start][1].startswith("#")):
        start += 1
    return start


class _JsonResults:
    """A SPARQL JSON results document read incrementally from chunks of bytes.

    Every engine writes ``{"head": …, "results": {"bindings": [`` first, so the head is read
    with the first chunks and each binding object is decoded with the standard library's own
    JSON decoder (exact) as soon as it is whole. Only the unread part of the answer is held.
    The document is checked whole at the end: an answer cut anywhere (a server that cancels
    a stream writes a message line where the rest should be) is an error, never a short
    result. An ASK answer, or an engine that writes the head after the bindings, is read
    whole (small, or unusual)."""

    _BINDINGS = re.compile(r'"bindings"\s*:\s*\[')
    _HEAD = re.compile(r'"head"\s*:\s*')

    def __init__(self, chunks: Iterator[bytes], url: str) -> None:
        self.url = url
        self._chunks = chunks
        self._decode = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._prefix = ""
        self._ended = False
        self.boolean: bool | None = None
        self.variables: list[str] = []
        self._whole: list[dict[str, Node]] | None = None
        try:
            self._read_head()
        except BaseException:
            self.close()
            raise

    def _more(self) -> bool:
        """Append the next chunk to the buffer; False at the end of the answer."""
        if self._ended:
            return False
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._ended = True
            chunk, final = b"", True
        else:
            final = False
        try:
            self._buffer += self._decode.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            raise self._invalid(error) from None
        return not final

    def _invalid(self, error: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"The SPARQL server at {self.url} sent an answer that is not a "
                                f"valid {JSON} document ({type(error).__name__}).")

    def _read_head(self) -> None:
        found = self._BINDINGS.search(self._buffer)
        while found is None and self._more():
            found = self._BINDINGS.search(self._buffer)
        head = self._HEAD.search(self._buffer, 0, found.start()) if found else None
        if found is None or head is None:
            while self._more():
                pass
            self._read_whole(self._buffer)
            return
        try:
            value, _ = json.JSONDecoder().raw_decode(self._buffer, head.end())
            self.variables = [str(v) for v in value.get("vars", [])]
        except (ValueError, AttributeError, TypeError) as error:
            raise self._invalid(error) from None
        self._prefix = self._buffer[:found.end()]
        self._buffer = self._buffer[found.end():]

    def _read_whole(self, text: str) -> None:
        try:
            doc = json.loads(text)
            if "boolean" in doc:
                self.boolean = bool(doc["boolean"])
                self._whole = []
                return
            self.variables = [str(v) for v in doc["head"].get("vars", [])]
            self._whole = [{k: term_from_json(v) for k, v in binding.items()}
                           for binding in doc["results"]["bindings"]]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise self._invalid(error) from None
        self.close()

    @property
    def rows(self) -> Iterator[dict[str, Node]]:
        if self._whole is not None:
            return iter(self._whole)
        return self._rows()

    def _rows(self) -> Iterator[dict[str, Node]]:
        decoder = json.JSONDecoder()
        buffer, position, first = self._buffer, 0, True
        try:
            while True:
                # white space, then "," between bindings or "]" at the end
                while True:
                    while position < len(buffer) and buffer[position] in " \t\r\n":
                        position += 1
                    if position < len(buffer):
                        break
                    self._buffer = ""
                    if not self._more():
                        raise self._invalid(ValueError("the answer ends in its bindings"))
                    buffer, position = self._buffer, 0
                mark = buffer[position]
                if mark == "]":
                    self._buffer = buffer[position + 1:]
                    self._check_tail()
                    return
                if not first:
                    if mark != ",":
                        raise self._invalid(ValueError("no comma between bindings"))
                    position += 1
                    while position < len(buffer) and buffer[position] in " \t\r\n":
                        position += 1
                while True:
                    try:
                        binding, end = decoder.raw_decode(buffer, position)
                        break
                    except ValueError:  # not whole yet (or never: then the stream ends)
                        self._buffer = buffer[position:]
                        if not self._more():
                            raise self._invalid(
                                ValueError("the answer ends in a binding")) from None
                        buffer, position = self._buffer.lstrip(" \t\r\n"), 0
                if not isinstance(binding, dict):
                    raise self._invalid(TypeError("a binding is not an object"))
                try:
                    row = {k: term_from_json(v) for k, v in binding.items()}
                except (KeyError, TypeError, AttributeError) as error:
                    raise self._invalid(error) from None
                first = False
                position = end
                if position > 65536:  # what was read is let go
                    buffer, position = buffer[position:], 0
                yield row
        finally:
            self.close()

    def _check_tail(self) -> None:
        """The rest of the document after the bindings, read whole: it must complete it."""
        while self._more():
            pass
        try:
            json.loads(self._prefix + "]" + self._buffer)
        except ValueError as error:
            raise self._invalid(error) from None

    def close(self) -> None:
        """Close the connection (stops the engine's evaluation if it is still answering)."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def _written(media: str, answer: _JsonResults, limit: int | None) -> Iterator[bytes]:
    """The answer's rows written in ``media`` while they arrive; at most ``limit`` of them
    (the connection is closed there, which stops the engine)."""
    try:
        rows = answer.rows
        shown = rows if limit is None else itertools.islice(rows, limit)
        cells = ([row.get(v) for v in answer.variables] for row in shown)
        yield from write_rows(media, answer.variables, cells)
    finally:
        answer.close()


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
