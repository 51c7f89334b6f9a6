"""Store backends behind one interface, chosen by a spec string (docs/store.md), read by
:class:`alm_ld.store.spec.StoreSpec`.

=====================================  ==========================================================
spec                                   backend
=====================================  ==========================================================
``oxigraph:PATH``                      embedded persistent Oxigraph (default); ``oxigraph:``
                                       alone is an in-memory Oxigraph
``memory:``                            rdflib in-memory Dataset
``sparql:QUERY_URL[;UPDATE_URL]``      a SPARQL 1.1 Protocol/Update server
=====================================  ==========================================================

Like rdflib's plugin registry, backends are registered by scheme in :data:`BACKENDS`; every
store opened through :func:`open_store` holds the current vocabulary in its own named graph.
"""

from __future__ import annotations

from collections.abc import Callable

from alm_ld.config import Settings
from alm_ld.store.base import QueryResult, Store
from alm_ld.store.spec import StoreSpec
from alm_ld.store.vocab_graph import ensure_vocabulary


def _oxigraph(spec: StoreSpec, settings: Settings) -> Store:
    from alm_ld.store.oxigraph import OxigraphStore

    return OxigraphStore(spec.path)


def _memory(spec: StoreSpec, settings: Settings) -> Store:
    from alm_ld.store.memory import MemoryStore

    return MemoryStore()


def _sparql(spec: StoreSpec, settings: Settings) -> Store:
    from alm_ld.store.sparql import SparqlStore

    return SparqlStore(spec.query_url, spec.update_url, timeout=settings.query_timeout,
                       write_timeout=settings.store_write_timeout,
                       update_chunk=settings.update_chunk)


BACKENDS: dict[str, Callable[[StoreSpec, Settings], Store]] = {
    "oxigraph": _oxigraph,
    "memory": _memory,
    "sparql": _sparql,
}


def check_spec(spec: str) -> StoreSpec:
    """The parsed spec, or ConfigError for one no backend accepts, without opening anything.

    Servers call this before forking workers, which open the store themselves: a typo in
    ``--store`` is then a usage error at start-up instead of a 500 on the first request."""
    return StoreSpec.parse(spec)


def open_store(spec: str, *, load_vocabulary: bool = True,
               settings: Settings | None = None) -> Store:
    """Open the store named by ``spec`` (see the module docstring).

    The vocabulary graph is (re)loaded when it is missing or differs from the packaged one,
    unless ``load_vocabulary`` is false (read-only stores). ``settings`` gives a remote store
    its deadlines (``query_timeout`` for queries that name none, ``store_write_timeout`` for
    updates) and where the works index lives (``works_index``); without it the defaults
    apply.
    """
    parsed = StoreSpec.parse(spec)
    store = BACKENDS[parsed.scheme](parsed, settings or Settings())
    if settings is not None and settings.works_index:
        store.works_index_path = settings.works_index
    if load_vocabulary:
        try:
            ensure_vocabulary(store)
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["BACKENDS", "QueryResult", "Store", "StoreSpec", "check_spec", "open_store"]
