"""Production serving: waitress, so that slow or idle connections cost no worker thread.

gunicorn's threaded workers gave every connection a thread for its whole life: eight SSE
listeners, ten clients trickling a body or ten slowloris connections took every thread and
``/healthz`` timed out. waitress reads each request — headers *and* body — in one asyncore I/O
thread and hands it to a worker thread only once it is complete, and buffers responses on the
way out, so a slow client costs a socket and a buffer, never a thread (docs/security.md,
"Connections and slow clients", argues the choice against granian and a buffering proxy).

What waitress does not do by itself, this module adds:

- a **request deadline**: waitress's ``channel_timeout`` only closes connections that are
  *silent*; a client that sends one header line per second would be kept for ever. Every
  request must arrive whole within ``settings.body_timeout`` seconds of its first byte, or the
  connection is closed (by the I/O thread; no worker thread was ever involved);
- **problem+json errors** for what waitress refuses before the app sees a request (413 body
  too large — including chunked bodies —, 431 headers too large, 400 malformed request);
- **dead-peer detection**: TCP keep-alive and ``TCP_USER_TIMEOUT`` on every connection, so a
  client that vanishes without closing (cable pulled, NAT forgot it) is noticed and its SSE
  slot freed instead of being held until the kernel gives up after ~15 minutes.

One process serves an embedded store; ``workers > 1`` (a ``sparql:`` store, or an embedded one
through a local Oxigraph server: :mod:`alm_ld.store.local_server`) forks that many processes
after binding, and they share the one listening socket.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from alm_ld.config import Settings
from alm_ld.web.problems import PROBLEM_JSON, problem_document

# Threads kept free of SSE listeners: streams are capped at settings.sse_max, the pool is at
# least sse_max + SPARE_THREADS, so streams can never take every thread.
SPARE_THREADS = 8
# Chunked framing counts towards waitress's own limit, the decoded body towards Flask's
# MAX_CONTENT_LENGTH (exact); the slack keeps waitress from refusing a chunked body that is
# within ALM_LD_MAX_BODY once decoded. Both refusals are 413 problem+json.
CHUNK_FRAMING_SLACK = 64 * 1024
WSGIApp = Callable[..., Any]


@dataclass(frozen=True)
class Limits:
    """What one serving process enforces, derived from :class:`Settings` and CLI options."""

    threads: int
    connection_limit: int
    request_deadline: float
    max_body: int

    @classmethod
    def from_settings(cls, settings: Settings, threads: int) -> Limits:
        return cls(threads=serving_threads(threads, settings.sse_max),
                   connection_limit=max(1, settings.max_connections),
                   request_deadline=max(1.0, settings.body_timeout),
                   max_body=settings.max_body)


def serving_threads(requested: int, sse_max: int) -> int:
    """Worker threads: at least ``sse_max + SPARE_THREADS`` so streams never take them all."""
    return max(requested, sse_max + SPARE_THREADS)


class _TimedParser(HTTPRequestParser):
    """waitress's request parser, remembering when the request's first byte arrived."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.monotonic()


class _ProblemErrorTask(ErrorTask):
    """Answers waitress's own refusals (413, 431, 400, 501) as problem+json, then closes."""

    def execute(self) -> None:
        error = self.request.error
        detail = str(error.body)
        if error.code == 413:
            detail = ("The request body is larger than this service accepts "
                      f"(ALM_LD_MAX_BODY = {self.channel.server.max_body} bytes).")
        body = json.dumps(problem_document(error.code, error.reason, detail)).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", PROBLEM_JSON),
                                      ("Cache-Control", "no-store")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    parser_class = _TimedParser
    error_task_class = _ProblemErrorTask


class _Server(TcpWSGIServer):
    """A waitress server that also closes connections whose request is not whole in time."""

    channel_class = _Channel
    request_deadline = 30.0
    max_body = 0

    def run(self) -> None:
        try:
            self.asyncore.loop(timeout=self.adj.asyncore_loop_timeout, map=self._map,
                               use_poll=self.adj.asyncore_use_poll)
        except (SystemExit, KeyboardInterrupt):
            # Streams run until their client leaves: tell them it has, so they end within a
            # poll interval instead of holding shutdown for waitress's 5 s thread timeout.
            for channel in list(self.active_channels.values()):
                channel.connected = False
            self.task_dispatcher.shutdown()

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections (channel_timeout)
        cutoff = time.monotonic() - self.request_deadline
        for channel in list(self.active_channels.values()):
            partial = channel.request
            if partial is not None and not partial.completed and partial.started < cutoff:
                channel.will_close = True  # the I/O thread closes it on its next turn


def _socket_options(deadline: float) -> list[tuple[int, int, int]]:
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
               (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    idle = max(1, int(deadline))
    for name, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", max(1, idle // 3)),
                        ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", idle * 1000)):
        if hasattr(socket, name):  # Linux; elsewhere only SO_KEEPALIVE's defaults apply
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options


def bind(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """Bind the listening socket (before any fork, so worker processes can share it)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(address)
    sock.listen(backlog)
    return sock


def build_server(app: WSGIApp, sock: socket.socket, limits: Limits) -> _Server:
    """A waitress server on the bound ``sock`` (not yet running)."""
    deadline = limits.request_deadline
    adj = Adjustments(
        sockets=[sock], threads=limits.threads, connection_limit=limits.connection_limit,
        channel_timeout=max(1, math.ceil(deadline)),
        cleanup_interval=max(1, min(30, int(deadline // 2))),
        max_request_body_size=limits.max_body + CHUNK_FRAMING_SLACK,
        # One request read ahead lets the I/O thread see a client hang up while its request
        # (an SSE stream) runs: environ["waitress.client_disconnected"] then turns true.
        channel_request_lookahead=1,
        ident="alm-ld", expose_tracebacks=False)
    adj.socket_options = _socket_options(deadline)  # set on each accepted connection
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = _Server(app, map={}, _sock=sock, dispatcher=dispatcher, adj=adj, bind_socket=False,
                     sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))
    server.request_deadline = deadline
    server.max_body = limits.max_body
    return server


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)  # waitress's run() catches it and shuts its threads down

    signal.signal(signal.SIGTERM, stop)


def _raise_file_limit(connections: int) -> None:
    """Let the process hold ``connections`` sockets (the soft limit is often 1024)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Linux
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # store files, query workers, pipes
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def serve_one(app: WSGIApp, sock: socket.socket, limits: Limits) -> None:
    """Serve in this process until SIGTERM/SIGINT."""
    _stop_on_sigterm()
    _raise_file_limit(limits.connection_limit)
    server = build_server(app, sock, limits)
    server.run()


def serve(app: WSGIApp, *, host: str, port: int, limits: Limits, workers: int = 1,
          watch: Callable[[], bool] | None = None) -> str | None:
    """Bind, then serve in this process (``workers == 1``) or in ``workers`` forked ones.

    Worker processes are forked before any of them starts a thread or opens a store, so
    whatever the app opens lazily (the store, a query-process pool) is created in the process
    that uses it. A worker that dies is replaced; SIGTERM stops them all. ``watch`` (workers > 1)
    is called by the supervisor a few times a second to look after something the workers need
    (a local store server): returning False stops the service. Returns why the supervisor
    gave up (workers dying in a loop), or None for a normal stop, so the command can exit
    non-zero and an outer supervisor can act.
    """
    sock = bind(host, port)
    if workers <= 1:
        serve_one(app, sock, limits)
        return None
    return _supervise(app, sock, limits, workers, watch)


def _fork_worker(app: WSGIApp, sock: socket.socket, limits: Limits) -> int:
    supervisor = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides
            _die_with_supervisor()
            if os.getppid() != supervisor:  # it died before the request above took effect
                raise SystemExit(0)
            serve_one(app, sock, limits)
        except BaseException:  # noqa: BLE001 - a worker must exit, never return into the CLI
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def _reap_worker(children: set[int]) -> int:
    """The pid of a worker that has exited, else 0. Only workers are waited for: ``waitpid(-1)``
    would also reap other children of the supervisor (a local store server owned by its
    ``subprocess.Popen``), and a reaped server would look like a dead worker."""
    for pid in list(children):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return pid
        except ChildProcessError:
            return pid
    return 0


def _die_with_supervisor() -> None:
    """Linux: SIGTERM this worker when the supervisor dies, even by SIGKILL, so no orphaned
    worker keeps accepting on the shared socket (e.g. in front of a stopped local store)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _supervise(app: WSGIApp, sock: socket.socket, limits: Limits, workers: int,
               watch: Callable[[], bool] | None = None) -> str | None:
    stopping = False
    failure = None

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = {_fork_worker(app, sock, limits) for _ in range(workers)}
    last_spawns: list[float] = []
    while children and not stopping:
        if watch is not None and not watch():
            break
        # poll: a blocking waitpid would be resumed after the SIGTERM handler (PEP 475)
        pid = _reap_worker(children)
        if pid == 0:
            time.sleep(0.2)
            continue
        children.discard(pid)
        if stopping:
            break
        now = time.monotonic()
        last_spawns = [t for t in last_spawns if now - t < 10] + [now]
        if len(last_spawns) > 2 * workers:  # crashing in a loop: stop rather than spin
            failure = (f"The worker processes exited {len(last_spawns)} times within 10 s; "
                       "the service stopped (the workers' own messages are above).")
            break
        children.add(_fork_worker(app, sock, limits))
    _stop_children(children)
    sock.close()
    return failure


def _stop_children(children: set[int], grace: float = 15.0) -> None:
    """SIGTERM every worker, wait up to ``grace`` seconds, then SIGKILL the rest."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    remaining = set(children)
    deadline = time.monotonic() + grace
    while remaining and time.monotonic() < deadline:
        for pid in list(remaining):
            try:
                done = os.waitpid(pid, os.WNOHANG)[0] == pid
            except ChildProcessError:
                done = True
            if done:
                remaining.discard(pid)
        time.sleep(0.1)
    for pid in remaining:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
