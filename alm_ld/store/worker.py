"""Query evaluation under a deadline that really stops the work.

Every query runs in a daemon worker thread that hands its output (rows or byte chunks) to the
caller through a small bounded queue. The caller waits at most until the deadline; then it
raises :class:`~alm_ld.errors.QueryTimeout` and stops the worker:

* rdflib (``memory:``) evaluates in Python, so the worker gets the exception injected
  (``PyThreadState_SetAsyncExc``) and unwinds at its next bytecode;
* Oxigraph evaluates lazily and releases the GIL: the worker notices the cancellation before it
  pulls the next solution, so streaming and join-heavy queries stop at once. A query that must
  finish a blocking step before its first solution (a big ``COUNT``/``ORDER BY``) cannot be
  interrupted inside Oxigraph; it is *abandoned* — the caller gets its timeout on time, the
  thread finishes in the background and its result is dropped. At most
  :data:`MAX_ABANDONED` such threads may run; beyond that new queries are refused with
  ``StoreUnavailable`` until they finish, so a burst of expensive queries cannot pile up.
"""

from __future__ import annotations

import contextlib
import ctypes
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from alm_ld.errors import QueryTimeout, StoreUnavailable

MAX_ABANDONED = 4

_abandoned: set[threading.Thread] = set()
_abandoned_lock = threading.Lock()


class Cancelled(BaseException):
    """Raised inside a worker whose consumer went away (BaseException: not swallowed)."""


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _check_capacity() -> None:
    with _abandoned_lock:
        for thread in [t for t in _abandoned if not t.is_alive()]:
            _abandoned.discard(thread)
        if len(_abandoned) >= MAX_ABANDONED:
            raise StoreUnavailable(
                f"{len(_abandoned)} timed-out queries are still finishing; try again shortly.")


def _interrupt(thread: threading.Thread) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(Cancelled))


Producer = Callable[[Callable[[Any], None]], None]


def run_streaming(produce: Producer, timeout: float | None, *, interrupt: bool = False,
                  what: str = "query") -> Iterator[Any]:
    """Yield what ``produce(emit)`` emits from a worker thread, within ``timeout`` seconds.

    ``interrupt=True`` injects an exception into the worker on timeout (pure-Python engines).
    Errors raised by the producer are re-raised in the caller.
    """
    _check_capacity()
    channel: queue.Queue[Any] = queue.Queue(maxsize=8)
    cancelled = threading.Event()

    def emit(item: Any) -> None:
        while True:
            if cancelled.is_set():
                raise Cancelled()
            try:
                channel.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            produce(emit)
            emit(_Done())
        except Cancelled:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            # The traceback's frames hold the engine's result iterators; Oxigraph's may only be
            # dropped on the thread that made them, so release them here, not in the caller.
            traceback.clear_frames(error.__traceback__)
            with contextlib.suppress(Cancelled):
                emit(_Failed(error))

    thread = threading.Thread(target=work, name=f"alm-ld-{what}", daemon=True)
    thread.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    finished = False
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise QueryTimeout(
                    f"The {what} took longer than {timeout:g} s and was stopped; narrow it "
                    "(LIMIT, more specific patterns) or ask for a longer timeout.",
                    timeoutSeconds=timeout)
            try:
                item = channel.get(timeout=remaining)
            except queue.Empty:
                continue
            if isinstance(item, _Done):
                finished = True
                return
            if isinstance(item, _Failed):
                finished = True
                raise item.error
            yield item
    finally:
        if not finished:
            cancelled.set()
            # An injected exception can land where Python swallows it (a gc callback, a
            # __del__), so keep injecting for a short while until the worker has unwound.
            for _ in range(10 if interrupt else 1):
                if interrupt:
                    _interrupt(thread)
                thread.join(0.02 if interrupt else 0.2)
                if not thread.is_alive():
                    break
            if thread.is_alive():
                with _abandoned_lock:
                    _abandoned.add(thread)


def run_collect(produce: Producer, timeout: float | None, **kwargs: Any) -> list[Any]:
    """All emitted items as a list (see :func:`run_streaming`)."""
    return list(run_streaming(produce, timeout, **kwargs))

