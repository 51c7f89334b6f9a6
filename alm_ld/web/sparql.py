"""``/sparql``: the SPARQL 1.1 Protocol, read-only and safe to expose.

The view is glue: :mod:`sparql_protocol` reads the request, :mod:`sparql_bounds` bounds its
size, nesting and patterns before any parser sees it, :mod:`sparql_check` decides what the query
is and whether it may run, :mod:`conneg` picks the result format, and the query is evaluated
under ``settings.query_timeout`` (raising ``QueryTimeout``, answered as 503 problem+json) with at
most ``settings.result_limit`` rows — by the sandboxed, killable worker processes of
:mod:`alm_ld.store.query_pool` for an on-disk Oxigraph store, by the store itself otherwise. The
store's own parser messages are never shown. Results are materialised before the response
starts, so a timeout or store error is always a clean problem document, never a truncated 200.

The common request — ``GET /sparql?query=…`` alone, a plainly safe SELECT or ASK, on a store
served by the worker pool — is answered by :class:`FastPath`, a WSGI layer in front of Flask
that runs the very same steps (bounds, :func:`quick_analysis`, negotiation, the pool) and sends
the very same headers (CORS, security headers, ``Vary``, gzip as :mod:`compression` would) without
Flask's request and response objects, which cost more than a cached answer (issue 15). Anything
else goes to the view; so does every failure: the pool's error travels in the WSGI environ and the
view raises it where it would have been raised, so problems are made in one place.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.http import parse_accept_header

from alm_ld.errors import AlmLdError, MalformedQuery
from alm_ld.sparql_text import with_base
from alm_ld.store.results import GRAPH_TYPES, RESULT_TYPES
from alm_ld.store.results import JSON as SRJ
from alm_ld.store.results import XML as SRX
from alm_ld.web.compression import LEVEL, MIN_SIZE, accepts_gzip, compressible
from alm_ld.web.conneg import negotiate
from alm_ld.web.cors import EXPOSED
from alm_ld.web.rdf_out import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, content_type
from alm_ld.web.respond import finish, rdf_response
from alm_ld.web.security_headers import NON_HTML_HEADERS
from alm_ld.web.service_description import service_description
from alm_ld.web.sparql_bounds import check_bounds
from alm_ld.web.sparql_check import analyse_query, quick_analysis, resolve_dataset
from alm_ld.web.sparql_protocol import parse_protocol_request
from alm_ld.web.state import AppState, settings, state, store

blueprint = Blueprint("sparql", __name__)

SELECT_OFFERS = RESULT_TYPES  # SPARQL JSON first: the default when Accept allows anything
ASK_OFFERS = (SRJ, SRX)
GRAPH_OFFERS = GRAPH_TYPES  # Turtle first
# Generic types some clients send, served as the matching SPARQL format.
TABLE_ALIASES = {"application/json": SRJ, "application/xml": SRX, "text/xml": SRX}
GRAPH_ALIASES = {"application/json": JSONLD, "text/plain": NTRIPLES, "application/xml": RDFXML}

# Hook for the pages area: state().html_hooks["sparql"](query: str | None) -> str renders the
# HTML query editor; without it, HTML requests get the service description in Turtle.
HTML_HOOK = "sparql"


def offers_for(form: str) -> tuple[tuple[str, ...], dict[str, str]]:
    if form == "SELECT":
        return SELECT_OFFERS, TABLE_ALIASES
    if form == "ASK":
        return ASK_OFFERS, TABLE_ALIASES
    return GRAPH_OFFERS, GRAPH_ALIASES


OUTCOME = "alm_ld.sparql.outcome"
"""WSGI environ key: the error :class:`FastPath` met evaluating, raised by the view in turn."""


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    pending = request.environ.pop(OUTCOME, None)
    body = request.get_data(cache=False) if request.method == "POST" else b""
    protocol = parse_protocol_request(request.method, request.args, request.content_type, body)
    html_hook = state().html_hooks.get(HTML_HOOK)
    if protocol.query is None:
        return _describe_service(html_hook)
    limits = settings()
    check_bounds(protocol.query, max_bytes=limits.query_max_bytes,
                 max_depth=limits.query_max_depth, max_patterns=limits.query_max_patterns)
    info = analyse_query(protocol.query)
    if html_hook is not None and request.method == "GET" and _prefers_html(info.form):
        return finish(Response(html_hook(protocol.query), content_type=content_type(HTML)))
    offers, aliases = offers_for(info.form)
    media = negotiate(request.headers.get("Accept"), offers, aliases=aliases)
    default_graphs, named_graphs = resolve_dataset(
        info, protocol.default_graphs, protocol.named_graphs,
        {str(g) for g in store().graph_names()}
        if protocol.has_protocol_dataset or info.from_graphs or info.from_named_graphs else set())
    pool = state().get_query_pool()
    text = with_base(protocol.query, limits.base_url + "/sparql")
    try:
        if pending is not None:
            raise pending
        if pool is not None:
            media_type, payload = pool.query_serialized(
                text, media, default_graphs=default_graphs, named_graphs=named_graphs,
                timeout=limits.query_timeout, limit=limits.result_limit)
        else:
            started = time.monotonic()
            with state().query_slot(limits.query_timeout):
                left = max(0.1, limits.query_timeout - (time.monotonic() - started))
                media_type, chunks = store().query_serialized(
                    text, media, default_graphs=default_graphs, named_graphs=named_graphs,
                    timeout=left, limit=limits.result_limit)
                payload = b"".join(chunks)
    except MalformedQuery:
        analyse_query(protocol.query, full=True)  # the detailed problem (line, column) if any
        # rdflib accepts what the store refused: say so without echoing the store's parser.
        raise MalformedQuery("The query is not valid SPARQL 1.1 for this endpoint's engine.",
                             engine="store") from None
    response = Response(payload, content_type=content_type(media_type))
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _prefers_html(form: str) -> bool:
    return _html_wanted(request.headers.get("Accept"), form)


def _html_wanted(accept: str | None, form: str) -> bool:
    offers, aliases = offers_for(form)
    try:
        return negotiate(accept, (*offers, HTML), aliases=aliases) == HTML
    except Exception:  # noqa: BLE001 - not acceptable is decided later, for the real offers
        return False


@lru_cache(maxsize=256)
def _gzip_ok(accept_encoding: str) -> bool:
    return accepts_gzip(parse_accept_header(accept_encoding))


class FastPath:
    """``GET /sparql?query=…`` answered without Flask when nothing about it is unusual.

    Unusual, and left to the view: another method or parameter, a body, a query string that is
    not ASCII, a query over a bound or not plainly safe (:func:`quick_analysis`), a CONSTRUCT or
    DESCRIBE, an Accept header that prefers the HTML editor or that nothing satisfies, a store
    without the worker pool, any error. :attr:`answered` counts the requests answered here."""

    def __init__(self, inner: Callable[..., Iterable[bytes]], app_state: AppState) -> None:
        self.inner, self.state, self.answered = inner, app_state, 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == "/sparql":
            answer = self._answer(environ)
            if answer is not None:
                self.answered += 1
                start_response("200 OK", answer[0])
                return [answer[1]]
        return self.inner(environ, start_response)

    def _answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        if environ.get("CONTENT_LENGTH") not in (None, "", "0") \
                or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        scheme, _, path = self.state.settings.store.partition(":")
        if scheme != "oxigraph" or not path:  # only on-disk stores have the pool: no store
            return None                       # call here (a stalled remote would wait twice)
        try:
            pool = self.state.get_query_pool()
        except AlmLdError as error:  # the view raises it: one place makes problems
            environ[OUTCOME] = error
            return None
        if pool is None:  # memory: or sparql: stores: the view evaluates
            return None
        raw = environ.get("QUERY_STRING", "")
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
        accept = environ.get("HTTP_ACCEPT")
        if HTML_HOOK in self.state.html_hooks and _html_wanted(accept, info.form):
            return None
        offers, aliases = offers_for(info.form)
        try:
            media = negotiate(accept, offers, aliases=aliases)
        except AlmLdError:
            return None
        try:
            media_type, payload = pool.query_serialized(
                with_base(query, limits.base_url + "/sparql"), media,
                timeout=limits.query_timeout, limit=limits.result_limit)
        except AlmLdError as error:
            environ[OUTCOME] = error  # the view raises it: one place makes problems
            return None
        headers = [("Content-Type", content_type(media_type))]
        if compressible(media_type):
            headers.append(("Vary", "Accept, Accept-Encoding"))
            if len(payload) >= MIN_SIZE and _gzip_ok(environ.get("HTTP_ACCEPT_ENCODING", "")):
                payload = gzip.compress(payload, compresslevel=LEVEL, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
        else:
            headers.append(("Vary", "Accept"))
        headers += [("Content-Length", str(len(payload))), ("Cache-Control", "no-cache"),
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Expose-Headers", EXPOSED), *NON_HTML_HEADERS]
        return headers, payload


@blueprint.record_once
def _install_fast_path(setup: BlueprintSetupState) -> None:
    setup.app.wsgi_app = FastPath(setup.app.wsgi_app,  # type: ignore[method-assign]
                                  setup.app.extensions["alm_ld"])


def _describe_service(html_hook: object) -> Response:
    graph = service_description(settings(), [str(g) for g in store().graph_names()])
    html = (lambda: html_hook(None)) if callable(html_hook) else None
    return rdf_response(graph, path="/sparql", offers=(TURTLE, JSONLD, NTRIPLES, RDFXML, HTML),
                        html=html)
