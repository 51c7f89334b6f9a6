"""WSGI fast paths: the two most frequent reads answered without entering Flask (issue 15).

Flask's request and response objects, URL matching and after-request hooks cost more than a
kept answer (a profile of a warm ``GET /works/{id}``: ~0.4 ms of Flask around a 2.8 ms store
lookup that only said "nothing changed"). :class:`FastPaths` wraps the Flask app and sends:

* ``GET /sparql?query=…`` alone (:class:`SparqlFastPath`): the same steps as the view (bounds,
  :func:`quick_analysis`, negotiation, the worker pool) and the same headers, built by
  :func:`~alm_ld.web.security_headers.common_headers` like Flask's hook.
* ``GET /works/{id}`` (:class:`WorkFastPath`): the ready bytes of an answer the view made
  earlier for the same path, query string, ``Accept`` and ``Accept-Encoding`` — status, headers
  and body exactly as Flask sent them (it recorded them), so the two cannot differ — while the
  work's document is still the one that answer was made from.

Anything else, and every failure, goes to Flask: problems are made in one place.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.http import parse_accept_header, parse_etags, unquote_etag

from alm_ld.errors import AlmLdError
from alm_ld.sparql_text import with_base
from alm_ld.store.base import Store
from alm_ld.store.oxigraph import OxigraphStore
from alm_ld.store.results import media_type_for
from alm_ld.web.compression import LEVEL, MIN_SIZE, accepts_gzip, compressible
from alm_ld.web.conneg import negotiate
from alm_ld.web.rdf_out import content_type
from alm_ld.web.security_headers import common_headers
from alm_ld.web.sparql import OUTCOME, html_wanted, offers_for
from alm_ld.web.sparql_bounds import check_bounds
from alm_ld.web.sparql_check import quick_analysis
from alm_ld.web.state import AppState
from alm_ld.web.work_document import changed_since, newest_sequence

WSGIApp = Callable[..., Iterable[bytes]]
StartResponse = Callable[..., Any]

WORK_ANSWER = "alm_ld.work.answer"
"""WSGI environ key the works view sets on a document answer (200 or 304) that may be replayed:
``(work IRI, document tag, newest feed sequence before the document was looked up)``."""
WORK_SEQUENCE = "alm_ld.work.sequence"
"""WSGI environ key: a function the works view calls before it looks the document up, giving
the newest feed sequence (:data:`WORK_ANSWER`); set only when the answer would be kept."""

_CONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE",
               "HTTP_RANGE", "HTTP_IF_RANGE")
"""Request headers the fast path does not judge: such requests go to Flask."""


@lru_cache(maxsize=256)
def _gzip_ok(accept_encoding: str) -> bool:
    return accepts_gzip(parse_accept_header(accept_encoding))


PLAN_QUERY_MAX = 4096
"""Longest query string (bytes) whose :class:`_Plan` is kept; longer ones are judged anew."""
PLANS = 2048
"""How many :class:`_Plan` are kept (least recently used out): at most ~2048 × 2 × 4 KB."""


@dataclass(frozen=True)
class _Plan:
    """What the fast path decided for one raw query string and ``Accept`` header.

    Everything here follows from those two strings and the settings alone (decoding, bounds,
    :func:`quick_analysis`, negotiation, the service's BASE, the headers), so it is worked out
    once and kept; only the answer, which depends on the store, is asked for every time."""

    query: str
    """The decoded query under the service's BASE, as the pool evaluates it."""
    media_type: str
    compressible: bool
    head: tuple[tuple[str, str], ...]
    """``Content-Type`` and ``Vary``: the headers before the encoding and length."""
    tail: tuple[tuple[str, str], ...]
    """``Cache-Control`` and :func:`~alm_ld.web.security_headers.common_headers`."""


class SparqlFastPath:
    """``GET /sparql?query=…`` answered without Flask when nothing about it is unusual.

    Unusual, and left to the view: another method or parameter, a body, a query string that is
    not ASCII, a query over a bound or not plainly safe (:func:`quick_analysis`), a CONSTRUCT or
    DESCRIBE, an Accept header that prefers the HTML editor or that nothing satisfies, a store
    without the worker pool, any error. :attr:`answered` counts the requests answered here.

    The judgement of a query string and ``Accept`` header is kept (:class:`_Plan`, up to
    :data:`PLANS`): a client repeating a query pays for its answer, not for its checks again."""

    def __init__(self, app_state: AppState) -> None:
        self.state, self.answered = app_state, 0
        scheme, _, path = app_state.settings.store.partition(":")
        self._pooled = scheme == "oxigraph" and bool(path)  # only on-disk stores have the pool
        self._kept_plan = lru_cache(maxsize=PLANS)(self._plan)

    def answer(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        found = self._answer(environ)
        if found is None:
            return None
        self.answered += 1
        return "200 OK", *found

    def _answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        if environ.get("CONTENT_LENGTH") not in (None, "", "0") \
                or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        if not self._pooled:  # no store call here (a stalled remote would wait twice)
            return None
        try:
            pool = self.state.get_query_pool()
        except AlmLdError as error:  # the view raises it: one place makes problems
            environ[OUTCOME] = error
            return None
        if pool is None:  # memory: or sparql: stores: the view evaluates
            return None
        raw, accept = environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT")
        plan = (self._kept_plan if len(raw) <= PLAN_QUERY_MAX else self._plan)(raw, accept)
        if plan is None:
            return None
        limits = self.state.settings
        try:
            _, payload = pool.query_serialized(
                plan.query, plan.media_type, timeout=limits.query_timeout,
                limit=limits.result_limit)
        except AlmLdError as error:
            environ[OUTCOME] = error  # the view raises it: one place makes problems
            return None
        headers = list(plan.head)
        if plan.compressible and len(payload) >= MIN_SIZE \
                and _gzip_ok(environ.get("HTTP_ACCEPT_ENCODING", "")):
            payload = gzip.compress(payload, compresslevel=LEVEL, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(payload))))
        headers += plan.tail
        return headers, payload

    def _plan(self, raw: str, accept: str | None) -> _Plan | None:
        """The :class:`_Plan` for a query string and ``Accept``, or None: Flask answers."""
        if not raw.isascii():
            return None
        try:
            params = parse_qsl(raw, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            return None
        if len(params) != 1 or params[0][0] != "query" or not params[0][1].strip():
            return None
        query, limits = params[0][1], self.state.settings
        try:
            check_bounds(query, max_bytes=limits.query_max_bytes,
                         max_depth=limits.query_max_depth, max_patterns=limits.query_max_patterns)
        except AlmLdError:
            return None
        info = quick_analysis(query)
        if info is None or info.form not in ("SELECT", "ASK"):
            return None
        if html_wanted(accept, info.form):
            return None
        offers, aliases = offers_for(info.form)
        try:  # as the pool names it (an offer already is), so the answer is of this type
            media = media_type_for(negotiate(accept, offers, aliases=aliases))
        except AlmLdError:
            return None
        zipped = compressible(media)
        return _Plan(
            query=with_base(query, limits.base_url + "/sparql"), media_type=media,
            compressible=zipped,
            head=(("Content-Type", content_type(media)),
                  ("Vary", "Accept, Accept-Encoding" if zipped else "Accept")),
            tail=(("Cache-Control", "no-cache"), *common_headers(media, "GET", "/sparql")))


@dataclass
class _Answer:
    """One recorded answer of the works view and what it is valid for."""

    work: str
    tag: str
    etag: str | None
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    sequence: int
    """The newest feed when the view made it: valid while no newer feed mentions the work."""
    generation: int | None
    """The store's write count when last found valid (embedded Oxigraph only)."""
    not_modified: tuple[str, list[tuple[str, str]]] | None = None
    """The view's 304 for an ``If-None-Match`` naming :attr:`etag`, once it made one."""


class WorkFastPath:
    """``GET /works/{id}`` as the works view last answered it, while its document is current.

    Keyed by path, query string, ``Accept`` and ``Accept-Encoding`` — everything the view's
    answer depends on besides the store — so a replay is what the view would send. Current
    means: no feed newer than the one that was newest when the view answered mentions the work
    (the rule of :func:`~alm_ld.web.work_document.kept_document`). On an embedded Oxigraph store,
    which only this process writes, that is checked only after a write (one query per write for
    the newest sequence, one ASK per answer when it moved); on other stores (``sparql:``, shared
    by several processes; ``memory:``) one ASK per request. Answers are kept up to
    :attr:`max_bytes` (least recently used out); :attr:`answered` counts the replays."""

    def __init__(self, app_state: AppState, max_bytes: int = 64 << 20) -> None:
        self.state, self.max_bytes, self.answered = app_state, max_bytes, 0
        self._answers: OrderedDict[tuple[str, ...], _Answer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._newest: tuple[int, int] | None = None  # (store generation, newest sequence)

    @staticmethod
    def _key(environ: dict[str, Any]) -> tuple[str, ...] | None:
        if environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in _CONDITIONS) \
                or environ.get("CONTENT_LENGTH") not in (None, "", "0") \
                or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        return (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ACCEPT_ENCODING", ""))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse,
                 inner: WSGIApp) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return inner(environ, start_response)
        with self._lock:
            entry = self._answers.get(key)
            if entry is not None:
                self._answers.move_to_end(key)
        store = self.state.store
        if store is None:  # not opened yet: the view opens it (or makes the problem of it once;
            return inner(environ, start_response)  # opening here too would wait twice)
        if entry is not None:
            replay = self._replay(entry, environ, store)
            if replay is not None:
                self.answered += 1
                start_response(replay[0], list(replay[1]))
                return [replay[2]]
        return self._record(key, environ, start_response, inner, store)

    def _replay(self, entry: _Answer, environ: dict[str, Any], store: Store
                ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        try:
            if not self._current(entry, store):
                return None
        except AlmLdError:  # the store is unwell: the view says so as a problem
            return None
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if wanted and entry.etag and parse_etags(wanted).contains_weak(entry.etag):
            if entry.not_modified is None:
                return None  # the view answers (and this path records its 304)
            return entry.not_modified[0], entry.not_modified[1], b""
        return entry.status, entry.headers, entry.body

    def _current(self, entry: _Answer, store: Store) -> bool:
        timeout = self.state.settings.query_timeout
        generation = _generation(store)
        if generation is None:
            return not changed_since(store, entry.work, entry.sequence, timeout=timeout)
        if entry.generation == generation:
            return True
        newest = self._newest_at(store, generation)
        if newest != entry.sequence and changed_since(store, entry.work, entry.sequence,
                                                      timeout=timeout):
            return False
        entry.sequence, entry.generation = newest, generation
        return True

    def _newest_at(self, store: Store, generation: int) -> int:
        """The newest feed's sequence, read once per store write (a write of a kept document
        leaves it as it was; only a feed moves it)."""
        known = self._newest
        if known is not None and known[0] == generation:
            return known[1]
        newest = newest_sequence(store, timeout=self.state.settings.query_timeout)
        self._newest = (generation, newest)
        return newest

    def _record(self, key: tuple[str, ...], environ: dict[str, Any],
                start_response: StartResponse, inner: WSGIApp, store: Store) -> Iterable[bytes]:
        """Let Flask answer; keep the answer when the works view marked it as a document's."""
        generation = _generation(store)
        timeout = self.state.settings.query_timeout
        environ[WORK_SEQUENCE] = (
            (lambda: self._newest_at(store, generation)) if generation is not None
            else (lambda: newest_sequence(store, timeout=timeout)))
        sent: list[Any] = []

        def remember(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            sent[:] = [status, list(headers)]
            return start_response(status, headers, *exc)

        chunks = inner(environ, remember)
        marked = environ.get(WORK_ANSWER)
        if marked is None or not sent or sent[0][:3] not in ("200", "304"):
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        self._keep(key, marked, sent[0], sent[1], body, generation)
        return [body]

    def _keep(self, key: tuple[str, ...], marked: tuple[str, str, int], status: str,
              headers: list[tuple[str, str]], body: bytes, generation: int | None) -> None:
        work, tag, sequence = marked
        with self._lock:
            if status.startswith("304"):
                entry = self._answers.get(key)
                if entry is not None and entry.tag == tag:
                    entry.not_modified = (status, headers)
                return
            etag = next((unquote_etag(v)[0] for n, v in headers if n.lower() == "etag"), None)
            old = self._answers.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._answers[key] = _Answer(work, tag, etag, status, headers, body, sequence,
                                         generation)
            self._size += len(body)
            while self._size > self.max_bytes and self._answers:
                _, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped.body)


def _generation(store: Store) -> int | None:
    """The embedded Oxigraph store's count of committed writes, or None for a store that other
    processes may write (``sparql:``) or that does not count its writes (``memory:``). An
    on-disk Oxigraph store is opened by one process only, so every write to it bumps this."""
    if isinstance(store, OxigraphStore) and not getattr(store, "_read_only", False):
        return store._generation  # noqa: SLF001 - the store's own write counter, read only
    return None


class FastPaths:
    """The WSGI app in front of Flask: the fast paths above, else ``inner`` (Flask)."""

    def __init__(self, inner: WSGIApp, app_state: AppState) -> None:
        self.inner = inner
        self.sparql = SparqlFastPath(app_state)
        self.works = WorkFastPath(app_state)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/works/"):
            return self.works(environ, start_response, self.inner)
        if path == "/sparql" and environ.get("REQUEST_METHOD") == "GET":
            answer = self.sparql.answer(environ)
            if answer is not None:
                start_response(answer[0], answer[1])
                return [answer[2]]
        return self.inner(environ, start_response)


def install_fast_paths(app: Any) -> FastPaths:
    """Put :class:`FastPaths` in front of ``app``'s WSGI callable (``create_app`` does)."""
    paths = FastPaths(app.wsgi_app, app.extensions["alm_ld"])
    app.wsgi_app = paths
    return paths


__all__ = ["FastPaths", "SparqlFastPath", "WORK_ANSWER", "WORK_SEQUENCE", "WorkFastPath",
           "install_fast_paths"]
