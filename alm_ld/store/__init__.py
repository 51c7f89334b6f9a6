"""Store backends behind one interface, chosen by a spec string (docs/store.md).

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
from alm_ld.errors import ConfigError
from alm_ld.store.base import QueryResult, Store
from alm_ld.store.vocab_graph import ensure_vocabulary


def _oxigraph(rest: str, settings: Settings) -> Store:
    from alm_ld.store.oxigraph import OxigraphStore

    return OxigraphStore(rest)


def _memory(rest: str, settings: Settings) -> Store:
    from alm_ld.store.memory import MemoryStore

    if rest:
        raise ConfigError(f"memory: takes no argument (got {rest!r}); use 'memory:'.")
    return MemoryStore()


def _sparql(rest: str, settings: Settings) -> Store:
    from alm_ld.store.sparql import SparqlStore

    query_url, _, update_url = rest.partition(";")
    if not query_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"sparql:{rest} needs an http(s) query URL, e.g. "
            "sparql:http://127.0.0.1:7878/query;http://127.0.0.1:7878/update")
    return SparqlStore(query_url, update_url or None, timeout=settings.query_timeout,
                       write_timeout=settings.store_write_timeout,
                       update_chunk=settings.update_chunk)


BACKENDS: dict[str, Callable[[str, Settings], Store]] = {
    "oxigraph": _oxigraph,
    "memory": _memory,
    "sparql": _sparql,
}


def check_spec(spec: str) -> None:
    """Raise ConfigError for a spec no backend accepts, without opening anything.

    Servers call this before forking workers, which open the store themselves: a typo in
    ``--store`` is then a usage error at start-up instead of a 500 on the first request."""
    scheme, sep, rest = spec.partition(":")
    if not sep or scheme not in BACKENDS:
        raise ConfigError(
            f"Unknown store {spec!r}; use oxigraph:PATH, memory: or "
            "sparql:QUERY_URL[;UPDATE_URL] (setting ALM_LD_STORE or option --store).")
    if scheme == "memory" and rest:
        raise ConfigError(f"memory: takes no argument (got {rest!r}); use 'memory:'.")
    if scheme == "sparql" and not rest.partition(";")[0].startswith(("http://", "https://")):
        raise ConfigError(
            f"sparql:{rest} needs an http(s) query URL, e.g. "
            "sparql:http://127.0.0.1:7878/query;http://127.0.0.1:7878/update")


def open_store(spec: str, *, load_vocabulary: bool = True,
               settings: Settings | None = None) -> Store:
    """Open the store named by ``spec`` (see the module docstring).

    The vocabulary graph is (re)loaded when it is missing or differs from the packaged one,
    unless ``load_vocabulary`` is false (read-only stores). ``settings`` gives a remote store
    its deadlines (``query_timeout`` for queries that name none, ``store_write_timeout`` for
    updates); without it the defaults apply.
    """
    check_spec(spec)
    scheme, _, rest = spec.partition(":")
    store = BACKENDS[scheme](rest, settings or Settings())
    if load_vocabulary:
        try:
            ensure_vocabulary(store)
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["BACKENDS", "QueryResult", "Store", "check_spec", "open_store"]
