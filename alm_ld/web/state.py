"""Per-application state (settings and store), reached from views through ``current_app``.

The store is opened lazily on first use when the factory was not given one, so building an app
(e.g. for ``--help`` or OpenAPI generation) never touches the disk.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import current_app

from alm_ld.config import Settings
from alm_ld.errors import QueryTimeout
from alm_ld.store.base import Store
from alm_ld.store.query_pool import QueryPool


@dataclass
class AppState:
    settings: Settings
    store: Store | None = None
    load_vocabulary: bool = True
    """Load the vocabulary graph when opening the store (False: the serve command did)."""
    query_pool: QueryPool | None = None
    """Sandboxed worker processes for public /sparql queries (see :meth:`get_query_pool`)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _query_slots: threading.BoundedSemaphore | None = field(default=None, repr=False)

    @contextlib.contextmanager
    def query_slot(self, timeout: float) -> Iterator[None]:
        """Hold one of ``query_workers`` slots for a public query evaluated outside the pool.

        With a ``sparql:`` store (or an in-memory one) queries are not run by the worker pool,
        whose size caps how many run at once; without this cap every serving thread could hold
        a query on the remote store until its timeout. Waiting counts against the timeout."""
        if self._query_slots is None:
            with self._lock:
                if self._query_slots is None:
                    self._query_slots = threading.BoundedSemaphore(
                        max(1, self.settings.query_workers))
        if not self._query_slots.acquire(timeout=max(0.0, timeout)):
            raise QueryTimeout(
                f"The query did not start within {timeout:g} s (every query slot stayed busy, "
                f"setting ALM_LD_QUERY_WORKERS); try again later.", timeoutSeconds=timeout)
        try:
            yield
        finally:
            self._query_slots.release()

    def get_store(self) -> Store:
        if self.store is None:
            with self._lock:
                if self.store is None:
                    from alm_ld.store import open_store

                    self.store = open_store(self.settings.store, settings=self.settings,
                                            load_vocabulary=self.load_vocabulary)
        return self.store

    def get_query_pool(self) -> QueryPool | None:
        """The pool that evaluates public queries, or None to evaluate in this process.

        Only an on-disk Oxigraph store can be read by other processes (through checkpoints);
        ``memory:`` and in-memory ``oxigraph:`` evaluate in a thread here (tests, demos), and
        ``sparql:`` sends the query to the remote server. Created lazily, in the process that
        serves, on the first public query: never before a fork."""
        if self.query_pool is None:
            store = self.get_store()
            if not getattr(store, "checkpointable", False):
                return None
            with self._lock:
                if self.query_pool is None:
                    self.query_pool = QueryPool(
                        store.checkpoint, self.settings.query_workers,  # type: ignore[attr-defined]
                        store.prune_checkpoints)  # type: ignore[attr-defined]
                    # Workers also exit on their own when this process goes (they watch their
                    # parent), but a clean exit should not leave them a second behind.
                    atexit.register(self.query_pool.close)
        return self.query_pool


def state() -> AppState:
    return current_app.extensions["alm_ld"]


def settings() -> Settings:
    return state().settings


def store() -> Store:
    return state().get_store()
