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
request's deadline. On timeout it SIGKILLs the worker and answers :class:`QueryTimeout`; a
worker that dies answers :class:`QueryRefused` (the query crashed the engine); either way a
replacement is started at once in the background, so the next query finds a warm worker.

When the clock starts: waiting for a busy worker, or for the replacement of a killed one,
counts against the query's timeout (a flood of queries must not queue without end), but
waiting for the pool's first worker to come up does not, up to :data:`START_WAIT`: that
start-up (an interpreter, the sandbox, the engine's imports: seconds on a loaded machine) is
the server's cost, not the query's, and made the first query on a fresh server answer 503. A
new worker opens the current checkpoint and answers a trivial query before it takes its first
real one, so neither cost is the query's either.

Messages are pickled tuples framed by a 4-byte length on a plain socket: the parent sends one
frame and reads the answer with one ``recv`` for a small result, each a single release of the
GIL (``multiprocessing``'s ``Connection.poll``/``recv`` cost four, plus a selector per call,
on every query).

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
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


START_WAIT = 60.0
"""Longest wait for a worker to come up (see the module docstring); beyond it, a query answers
:class:`StoreUnavailable`."""

_HEADER = struct.Struct("!I")


def _send(sock: socket.socket, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def _recv(sock: socket.socket) -> Any:
    """One framed message; :class:`EOFError` when the other end is gone. The socket's timeout
    (None in a worker) bounds each read."""
    data = sock.recv(65536)
    while len(data) < _HEADER.size:
        more = sock.recv(65536)
        if not more:
            raise EOFError("the other end closed the connection")
        data += more
    size = _HEADER.size + _HEADER.unpack_from(data)[0]
    if len(data) < size:
        buffer = bytearray(size)
        buffer[:len(data)] = data
        view, got = memoryview(buffer), len(data)
        while got < size:
            count = sock.recv_into(view[got:])
            if not count:
                raise EOFError("the other end closed the connection")
            got += count
        data = bytes(buffer)
    return pickle.loads(memoryview(data)[_HEADER.size:size])


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
    sock: socket.socket
    view: str | None = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.sock.close()
        self.process.wait()


class QueryPool:
    """See the module docstring. ``view()`` names the checkpoint folder to query."""

    def __init__(self, view: Callable[[], str], size: int = 2,
                 prune: Callable[[set[str]], None] | None = None) -> None:
        self._view, self._prune, self.size = view, prune, max(1, size)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._starting = 0  # spawns in flight
        self._ready = False  # a worker has come up (the pool's start-up is over)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a worker came, went or became idle
        self._closed = False
        self.sandbox_status: str | None = None
        self.cache = ResultCache()
        for _ in range(self.size):
            self._spawn_in_background()

    # -- workers -----------------------------------------------------------------------

    def _spawn(self) -> None:
        worker: _Worker | None = None
        try:
            worker = self._start_worker()
        finally:
            with self._changed:
                self._starting -= 1
                if worker is not None and not self._closed:
                    self._all.add(worker)
                    self._idle.append(worker)
                    self._ready, worker = True, None
                self._changed.notify_all()
        if worker is not None:  # closed meanwhile
            worker.kill()

    def _start_worker(self) -> _Worker | None:
        """A started, greeted worker that has opened the current checkpoint, or None."""
        worker: _Worker | None = None
        parent_end, child_end = socket.socketpair()
        try:
            fd = child_end.fileno()
            process = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE, str(fd)], pass_fds=(fd,),
                stdin=subprocess.DEVNULL, close_fds=True)
            child_end.close()  # the child's now: its exit must read as EOF here
            worker = _Worker(process, parent_end)
            parent_end.settimeout(START_WAIT)
            greeting = _recv(parent_end)
            status = greeting.get("sandbox")
            if status != self.sandbox_status:
                self.sandbox_status = status
                if status:
                    log.warning("query workers run WITHOUT the network sandbox: %s", status)
            try:  # open the checkpoint now, not on the first query
                view: str | None = self._view()
            except Exception:  # noqa: BLE001 - a store closing under us: the query opens it
                view = None
            if view is not None:  # a first query pays what a first query pays once
                worker.view = view
                _send(parent_end, (view, "ASK {}", "application/sparql-results+json", (), (), 1))
                _recv(parent_end)
            return worker
        except (EOFError, OSError, pickle.UnpicklingError) as error:
            log.error("query worker did not start: %s", error)
            if worker is not None:
                worker.kill()
            else:
                parent_end.close()
            return None
        finally:
            child_end.close()

    def _spawn_in_background(self) -> None:
        with self._lock:
            self._spawn_locked()

    def _spawn_locked(self) -> None:
        if not self._closed:
            self._starting += 1
            threading.Thread(target=self._spawn, name="alm-ld-query-spawn", daemon=True).start()

    def _retire(self, worker: _Worker) -> None:
        with self._changed:
            self._all.discard(worker)
            self._changed.notify_all()
        worker.kill()
        self._spawn_in_background()

    def _take(self, timeout: float) -> tuple[_Worker, float]:
        """An idle worker and the query's deadline (see "When the clock starts" above)."""
        now = time.monotonic()
        deadline, start_by = now + timeout, now + START_WAIT
        respawned = starting = False
        with self._changed:
            while not self._idle:
                if self._closed:
                    raise StoreUnavailable("The query workers are shut down.")
                now = time.monotonic()
                if not self._all and not self._starting:  # every start failed: once more
                    if respawned:
                        raise StoreUnavailable("No query worker could be started; see the "
                                               "server log.")
                    respawned = True
                    self._spawn_locked()
                if not self._ready:  # the pool's first start-up: not this query's time
                    if now >= start_by:
                        raise StoreUnavailable(
                            f"No query worker came up within {START_WAIT:g} s.")
                    starting = True
                    self._changed.wait(start_by - now)
                    continue
                if starting:  # the clock starts now that a worker is up
                    deadline, starting = now + timeout, False
                if now >= deadline:
                    raise _timeout(timeout, "every query worker stayed busy")
                self._changed.wait(deadline - now)
            worker = self._idle.pop()
        if starting:
            deadline = time.monotonic() + timeout
        return worker, deadline

    def _give_back(self, worker: _Worker) -> None:
        with self._changed:
            self._idle.append(worker)
            self._changed.notify()

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.kill()

    # -- queries -----------------------------------------------------------------------

    def query_serialized(self, sparql: str, media_type: str, *,
                         default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = (),
                         timeout: float, limit: int | None = None) -> tuple[str, bytes]:
        """Evaluate in a worker (or answer from :attr:`cache`); (media type, payload) or an
        :class:`AlmLdError`."""
        request = (sparql, media_type, tuple(default_graphs), tuple(named_graphs), limit)
        cached = self.cache.get((self._view(), *request))
        if cached is not None:
            return cached
        worker, deadline = self._take(timeout)
        view = self._view()  # named once a worker is ours: pruning spares what workers hold
        key = (view, *request)
        try:
            worker.sock.settimeout(max(0.001, deadline - time.monotonic()))
            _send(worker.sock, (view, *request))
            answer = _recv(worker.sock)
        except TimeoutError:
            self._retire(worker)
            raise _timeout(timeout, "it was stopped") from None
        except (EOFError, OSError, pickle.UnpicklingError):
            self._retire(worker)
            raise _crashed() from None
        previous, worker.view = worker.view, view
        self._give_back(worker)
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


def _serve(sock: socket.socket) -> None:
    from alm_ld.store.oxigraph import OxigraphStore

    current: tuple[str, OxigraphStore] | None = None
    while True:
        try:
            view, sparql, media, default_graphs, named_graphs, limit = _recv(sock)
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
        _send(sock, answer)


def child_main(fd: int) -> None:
    """Entry point of a worker: sandbox, greet the parent, then serve queries in a big stack."""
    from alm_ld.store.sandbox import install

    status = install()
    sock = socket.socket(fileno=fd)
    _send(sock, {"sandbox": status, "pid": os.getpid()})
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=_serve, args=(sock,), name="alm-ld-query-worker")
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
