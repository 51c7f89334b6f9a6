"""Public queries evaluated in sandboxed worker processes that can be killed.

Why processes: a pyoxigraph query cannot be interrupted while it produces no solution (a big
``COUNT`` keeps a thread busy for minutes), its parser and optimiser overflow the C stack on
some small inputs (SIGSEGV, no exception), and it evaluates ``SERVICE`` by fetching the URL. A
worker process that is killed at the deadline really frees the CPU, a crash takes down only that
worker, and the seccomp filter of :mod:`alm_ld.store.sandbox` leaves it no socket to fetch with.

Process model: ``size`` workers, each a fresh interpreter (``python -m
alm_ld.store.query_pool FD``, started with ``subprocess`` from whatever process serves the app,
created lazily on the first query, never before a fork). A worker installs the sandbox first,
then evaluates one query at a time over a read-only Oxigraph checkpoint of the store
(:meth:`OxigraphStore.checkpoint`), reopening when the parent names a newer one, and answers the
results serialised by Oxigraph's own writers. The parent sends ``(checkpoint, query, media
type, default graphs, named graphs, limit)`` over a Unix socket pair and waits until the
request's deadline (waiting for a free worker counts against it). On timeout it SIGKILLs the
worker and answers :class:`QueryTimeout`; a worker that dies answers :class:`QueryRefused`
(the query crashed the engine); either way a replacement is started at once in the background,
so the next query finds a warm worker.

Answers are kept (:class:`ResultCache`) per checkpoint: the data a checkpoint holds never
changes, and every write makes the next query name a new checkpoint, so the same query text with
the same media type, dataset and row limit asked again before the next write is answered from
memory, without a worker round trip (a point query's round trip is most of its cost). Only
successful answers up to :data:`CACHE_ENTRY_BYTES` are kept, at most :data:`CACHE_BYTES` in all
(least recently used first out).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from alm_ld.errors import (
    AlmLdError,
    MalformedQuery,
    NotAcceptable,
    QueryRefused,
    QueryTimeout,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

CHILD_MODULE = "alm_ld.store.query_pool"
STACK_BYTES = 512 * 1024 * 1024
"""Stack of the evaluating thread in a worker: virtual memory, committed only when used; deep
recursion in the engine then exhausts it far later than a default 8 MB stack."""


CACHE_BYTES = 32 * 1024 * 1024
CACHE_ENTRY_BYTES = 256 * 1024


class ResultCache:
    """Serialised answers by (checkpoint, query, media type, dataset, limit); LRU by bytes."""

    def __init__(self, budget: int | None = None, entry: int | None = None) -> None:
        self.budget = CACHE_BYTES if budget is None else budget  # 0: keep nothing
        self.entry = CACHE_ENTRY_BYTES if entry is None else entry
        self._items: OrderedDict[tuple[Any, ...], tuple[str, bytes, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0], found[1]

    def put(self, key: tuple[Any, ...], media_type: str, payload: bytes) -> None:
        cost = len(payload) + len(key[1]) + 200  # the query text is part of what is kept
        if cost > min(self.entry, self.budget):
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._items[key] = (media_type, payload, cost)
            self._bytes += cost
            while self._bytes > self.budget:
                _, (_, _, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def forget_views(self, keep: set[str]) -> None:
        """Drop the answers of checkpoints no longer queried (their folders are pruned)."""
        with self._lock:
            for key in [k for k in self._items if k[0] not in keep]:
                self._bytes -= self._items.pop(key)[2]


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    conn: Connection
    view: str | None = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.conn.close()
        self.process.wait()


class QueryPool:
    """See the module docstring. ``view()`` names the checkpoint folder to query."""

    def __init__(self, view: Callable[[], str], size: int = 2,
                 prune: Callable[[set[str]], None] | None = None) -> None:
        self._view, self._prune, self.size = view, prune, max(1, size)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.sandbox_status: str | None = None
        self.cache = ResultCache()
        for _ in range(self.size):
            self._spawn_in_background()

    # -- workers -----------------------------------------------------------------------

    def _spawn(self) -> None:
        parent_end, child_end = socket.socketpair()
        fd = child_end.fileno()
        process = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, str(fd)], pass_fds=(fd,),
            stdin=subprocess.DEVNULL, close_fds=True)
        child_end.close()
        conn = Connection(parent_end.detach())
        worker = _Worker(process, conn)
        try:
            if not conn.poll(60):
                raise EOFError("no greeting")
            greeting = conn.recv()
        except (EOFError, OSError) as error:
            log.error("query worker did not start: %s", error)
            worker.kill()
            return
        status = greeting.get("sandbox")
        if status != self.sandbox_status:
            self.sandbox_status = status
            if status:
                log.warning("query workers run WITHOUT the network sandbox: %s", status)
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _spawn_in_background(self) -> None:
        threading.Thread(target=self._spawn, name="alm-ld-query-spawn", daemon=True).start()

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        if not self._closed:
            self._spawn_in_background()

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()

    # -- queries -----------------------------------------------------------------------

    def query_serialized(self, sparql: str, media_type: str, *,
                         default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = (),
                         timeout: float, limit: int | None = None) -> tuple[str, bytes]:
        """Evaluate in a worker (or answer from :attr:`cache`); (media type, payload) or an
        :class:`AlmLdError`."""
        deadline = time.monotonic() + timeout
        request = (sparql, media_type, tuple(default_graphs), tuple(named_graphs), limit)
        cached = self.cache.get((self._view(), *request))
        if cached is not None:
            return cached
        try:
            worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise _timeout(timeout, "every query worker stayed busy") from None
        view = self._view()  # named once a worker is ours: pruning spares what workers hold
        key = (view, *request)
        try:
            worker.conn.send((view, sparql, media_type, tuple(default_graphs),
                              tuple(named_graphs), limit))
            ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
            answer = worker.conn.recv() if ready else None
        except (EOFError, OSError):
            self._retire(worker)
            raise _crashed() from None
        if answer is None:
            self._retire(worker)
            raise _timeout(timeout, "it was stopped")
        previous, worker.view = worker.view, view
        self._idle.put(worker)
        if previous != view:
            with self._lock:
                in_use = {w.view for w in self._all if w.view}
            self.cache.forget_views(in_use | {view})
            if self._prune is not None:
                self._prune(in_use)
        if answer[0] == "ok":
            self.cache.put(key, answer[1], answer[2])
            return answer[1], answer[2]
        raise _error_from(answer[1], answer[2])


def _timeout(timeout: float, why: str) -> QueryTimeout:
    return QueryTimeout(
        f"The query did not finish within {timeout:g} s ({why}); narrow it (LIMIT, more "
        "specific patterns) or try again later.", timeoutSeconds=timeout)


def _crashed() -> QueryRefused:
    return QueryRefused(
        "The query engine could not evaluate this query (its worker stopped); simplify the "
        "query (less nesting, fewer patterns).", feature="complexity")


_ERRORS: dict[str, type[AlmLdError]] = {
    "MalformedQuery": MalformedQuery, "QueryRefused": QueryRefused,
    "NotAcceptable": NotAcceptable, "StoreUnavailable": StoreUnavailable,
}


def _error_from(kind: str, detail: str) -> AlmLdError:
    if kind == "MalformedQuery":
        # The engine's own message is never shown: the view re-parses for a detailed problem.
        return MalformedQuery("The query is not valid SPARQL 1.1 for this endpoint's engine.")
    if kind in _ERRORS:
        return _ERRORS[kind](detail)
    return StoreUnavailable("The query could not be evaluated.")


# -- the worker process ------------------------------------------------------------------


def _serve(conn: Connection) -> None:
    from alm_ld.store.oxigraph import OxigraphStore

    current: tuple[str, OxigraphStore] | None = None
    while True:
        try:
            view, sparql, media, default_graphs, named_graphs, limit = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if current is None or current[0] != view:
                if current is not None:
                    current[1].close()
                current = None
                current = (view, OxigraphStore.open_read_only(view))
            answer: Any = ("ok", *current[1].query_bytes(
                sparql, media, default_graphs=default_graphs, named_graphs=named_graphs,
                limit=limit))
        except AlmLdError as error:
            answer = ("error", type(error).__name__, error.detail)
        except Exception as error:  # noqa: BLE001 - reported to the parent, worker goes on
            answer = ("error", type(error).__name__, "")
        conn.send(answer)


def child_main(fd: int) -> None:
    """Entry point of a worker: sandbox, greet the parent, then serve queries in a big stack."""
    from alm_ld.store.sandbox import install

    status = install()
    conn = Connection(fd)
    conn.send({"sandbox": status, "pid": os.getpid()})
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=_serve, args=(conn,), name="alm-ld-query-worker")
    thread.start()
    # PR_SET_PDEATHSIG would fire when the *thread* that spawned us ends, so watch the parent
    # instead: a worker busy in a query must not outlive the process that serves.
    parent = os.getppid()
    while thread.is_alive():
        thread.join(1.0)
        if os.getppid() != parent:
            os._exit(1)


if __name__ == "__main__":
    child_main(int(sys.argv[1]))
