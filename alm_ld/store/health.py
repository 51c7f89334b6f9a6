"""Is the store the store alm-ld needs? Checked when ``alm-ld serve`` starts and on ``/healthz``.

A remote SPARQL server can answer every request and still be wrong for alm-ld: ``oxigraph serve``
started without ``--union-default-graph`` answers queries over its (empty) default graph, so
work documents come out nearly empty, related works 404 and a plain ``ASK {}`` health check says
all is well. The same holds for an update URL that points at another dataset than the query URL,
or at a read-only endpoint, while ingest is enabled. None of these heal by waiting, so they are
:class:`~alm_ld.errors.StoreMisconfigured` (HTTP 503 ``store-misconfigured``, exit 5), while a
server that does not answer stays :class:`~alm_ld.errors.StoreUnavailable` (503, exit 4).

What is checked (every query is a point look-up or ``LIMIT 1``: nothing here grows with the data):

* **the default graph is the union of the named graphs** — the vocabulary graph's
  ``alm:contentHash`` triple, present in ``GRAPH <vocab>``, must also be visible without ``GRAPH``;
  when the vocabulary graph is absent from a read-only store nobody wrote to, one triple sampled
  from any named graph must be;
* **the dataset is still there** (``/healthz``): a writable remote store that this service opened
  (writing the vocabulary graph) and that no longer holds it was emptied or restarted on another
  or an in-memory location;
* **writes land where reads look** (:func:`probe_writes`, start-up only): a probe triple written
  through the update URL into a probe graph must be visible through the query URL, in its graph
  *and* in the default graph — so this catches a missing ``--union-default-graph`` even on an
  empty store — and is then dropped;
* **writes are accepted** (:func:`check_writable`, on ``/healthz`` when ingest is enabled): one
  update request that inserts the probe and drops it again. A server that applies an update
  request in one transaction (Oxigraph, Fuseki/TDB2) never shows the probe to a reader.

The probe graph is ``https://w3id.org/alm-ld/id/probe/<uuid>``: alm-ld's own namespace, never a
feed (it has no ``alm:sequence``, so the change feed never lists it).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from alm_ld.errors import MalformedQuery, StoreMisconfigured, StoreUnavailable
from alm_ld.sparql_text import iri, literal
from alm_ld.store.base import Store
from alm_ld.store.spec import StoreSpec
from alm_ld.vocab import ALM_NS, ID_NS, VOCAB_GRAPH

_CONTENT_HASH = ALM_NS + "contentHash"
_PROBE = ALM_NS + "probe"
_UNION_FIX = ("Start Oxigraph with 'oxigraph serve --union-default-graph' (Fuseki: "
              "tdb2:unionDefaultGraph true; Virtuoso's default graph is already the union)")
_REFUSED = re.compile(r"answered (4\d\d)\b")


def is_remote(store: Store) -> bool:
    """A store reached over the network (``sparql:``), whose configuration alm-ld does not own."""
    return StoreSpec.parse(store.spec).remote


def check_union_default_graph(store: Store, timeout: float | None = None, *,
                              vocabulary_expected: bool = False) -> str:
    """Raise :class:`StoreMisconfigured` when data in named graphs is invisible to a query over
    the default graph; return what the check could see (``"vocabulary"``, ``"sample"`` or
    ``"empty"``: an empty store cannot show a fault by reading).

    ``vocabulary_expected``: this service wrote the vocabulary graph when it opened the store,
    so its absence means the dataset is gone (the server was emptied, or restarted on another or
    an in-memory location) — works would all be 404 while everything "answers"."""
    vocab, content_hash = iri(str(VOCAB_GRAPH)), iri(_CONTENT_HASH)
    in_graph = store.query(f"ASK {{ GRAPH {vocab} {{ {vocab} {content_hash} ?h }} }}",
                           timeout=timeout).boolean
    if in_graph:
        if not store.query(f"ASK {{ {vocab} {content_hash} ?h }}", timeout=timeout).boolean:
            raise _not_union(store, "the vocabulary graph")
        return "vocabulary"
    if vocabulary_expected:
        raise StoreMisconfigured(
            f"The store {store.spec} no longer holds the vocabulary graph that this service "
            "wrote when it opened it: the server was emptied, or restarted on another or an "
            "in-memory location (oxigraph serve without --location). Restore the data (a dump "
            "holds the vocabulary graph too), or restart alm-ld to start from an empty store.",
            fault="dataset-missing")
    # No vocabulary (read-only, or cleared): one triple of any named graph must be visible too.
    sample = ("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1")
    if not store.query(f"ASK {{ {{ {sample} }} }}", timeout=timeout).boolean:
        return "empty"
    hidden = store.query(f"ASK {{ {{ {sample} }} FILTER NOT EXISTS {{ ?s ?p ?o }} }}",
                         timeout=timeout).boolean
    if hidden:
        raise _not_union(store, "a named graph")
    return "sample"


def _not_union(store: Store, what: str) -> StoreMisconfigured:
    return StoreMisconfigured(
        f"The store {store.spec} does not show {what} through its default graph: its default "
        f"graph is not the union of its named graphs, so works would come out empty. "
        f"{_UNION_FIX}.", fault="default-graph-not-union")


def _probe_graph() -> str:
    return f"{ID_NS}probe/{uuid.uuid4()}"


def _probe_triple(graph: str) -> str:
    return f"{iri(graph)} {iri(_PROBE)} {literal('alm-ld store check')} ."


def _refused_write(store: Store, error: Exception) -> StoreMisconfigured | None:
    """A 4xx to a tiny, valid update means the endpoint will not take writes: configuration."""
    detail = getattr(error, "detail", str(error))
    if isinstance(error, MalformedQuery) or (isinstance(error, StoreUnavailable)
                                             and _REFUSED.search(detail)):
        return StoreMisconfigured(
            f"The store {store.spec} refuses writes ({detail.rstrip('.')}), but this service "
            "writes to it (ingest, vocabulary). Give the server's SPARQL Update URL as "
            "sparql:QUERY_URL;UPDATE_URL, or serve read-only without ALM_LD_TOKENS and "
            "without an UPDATE_URL.", fault="writes-refused")
    return None


def _update(store: Store, sparql: str) -> None:
    try:
        store.update(sparql)
    except (MalformedQuery, StoreUnavailable) as error:
        refused = _refused_write(store, error)
        if refused is not None:
            raise refused from error
        raise


def _with_write_deadline(store: Store, timeout: float | None) -> Store:
    """The same remote store with the probe's deadline for updates: a health check must answer
    within the query timeout, not the write timeout an ingest gets (120 s by default)."""
    from alm_ld.store.sparql import SparqlStore

    if timeout is None or not isinstance(store, SparqlStore) or store.update_url is None:
        return store
    return SparqlStore(store.query_url, store.update_url, timeout=timeout,
                       write_timeout=timeout)


def check_writable(store: Store, timeout: float | None = None) -> None:
    """One update that inserts a probe triple and drops it again (invisible on servers that
    apply an update request atomically), within ``timeout``; refused →
    :class:`StoreMisconfigured`."""
    store = _with_write_deadline(store, timeout)
    graph = _probe_graph()
    _update(store, f"INSERT DATA {{ GRAPH {iri(graph)} {{ {_probe_triple(graph)} }} }} ;\n"
                   f"DROP SILENT GRAPH {iri(graph)}")


def probe_writes(store: Store, timeout: float | None = None) -> None:
    """Write a probe through the update URL, read it back through the query URL (in its graph
    and in the default graph), drop it. Catches a read-only or wrong update URL, an update URL
    of another dataset, and a default graph that is not the union — even on an empty store."""
    store = _with_write_deadline(store, timeout)
    graph = _probe_graph()
    _update(store, f"INSERT DATA {{ GRAPH {iri(graph)} {{ {_probe_triple(graph)} }} }}")
    try:
        subject, predicate = iri(graph), iri(_PROBE)
        if not store.query(f"ASK {{ GRAPH {subject} {{ {subject} {predicate} ?o }} }}",
                           timeout=timeout).boolean:
            raise StoreMisconfigured(
                f"The store {store.spec} accepted a write that its query URL does not show: "
                "the query and update URLs must name the same dataset "
                "(sparql:QUERY_URL;UPDATE_URL of one server).", fault="writes-not-visible")
        if not store.query(f"ASK {{ {subject} {predicate} ?o }}", timeout=timeout).boolean:
            raise _not_union(store, "a freshly written named graph")
    finally:
        store.update(f"DROP SILENT GRAPH {iri(graph)}")


def check_store(store: Store, *, writes: bool, probe: bool = False,
                timeout: float | None = None, opened: bool = False) -> dict[str, Any]:
    """Every check that applies; returns what was checked (for ``/healthz``), raises
    :class:`StoreMisconfigured` for a wrong store and :class:`StoreUnavailable` /
    :class:`~alm_ld.errors.QueryTimeout` for one that does not answer.

    ``writes``: this service writes (ingest enabled, or a store with an update URL).
    ``probe``: the full write-then-read probe (start-up), else one atomic insert-and-drop.
    ``opened``: the store was opened with its vocabulary loaded (``/healthz``), so a writable
    remote store without it has lost its dataset.
    Write probes are sent to remote stores only: an embedded store is writable by construction.
    """
    checks: dict[str, Any] = {}
    if writes and is_remote(store):
        if getattr(store, "read_only", False):
            raise StoreMisconfigured(
                f"Ingest is enabled (ALM_LD_TOKENS) but the store {store.spec} has no update "
                "URL: use sparql:QUERY_URL;UPDATE_URL, or unset ALM_LD_TOKENS to serve "
                "read-only.", fault="no-update-url")
        if probe:
            probe_writes(store, timeout)
        else:
            check_writable(store, timeout)
        checks["writable"] = True
    expected = opened and is_remote(store) and not getattr(store, "read_only", False)
    checks["unionDefaultGraph"] = check_union_default_graph(store, timeout,
                                                            vocabulary_expected=expected)
    return checks
