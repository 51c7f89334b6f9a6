"""RFC 9457 problem documents for every error the service returns.

Both our own :class:`~alm_ld.errors.AlmLdError` and werkzeug's ``HTTPException`` (404 for an
unknown path, 405, 413 from ``MAX_CONTENT_LENGTH``, …) become ``application/problem+json``, so
clients never have to parse an HTML error page; a browser that asks for ``text/html`` gets the
same problem as an HTML page (same status and headers). Unexpected exceptions are logged and
answered with a generic 500 problem that leaks no internals.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from alm_ld.errors import PROBLEM_BASE, AlmLdError

PROBLEM_JSON = "application/problem+json"

_HTTP_SLUGS = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 406: "not-acceptable", 409: "conflict",
    413: "payload-too-large", 414: "uri-too-long", 415: "unsupported-media-type",
    422: "unprocessable", 429: "too-many-requests", 431: "headers-too-large",
}


def problem_document(status: int, title: str, detail: str, *, type_uri: str | None = None,
                     instance: str | None = None, **extra: Any) -> dict[str, Any]:
    """A problem document; ``type`` defaults to the alm-ld problem type for the status."""
    doc: dict[str, Any] = {
        "type": type_uri or PROBLEM_BASE + _HTTP_SLUGS.get(status, "http-" + str(status)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        doc["instance"] = instance
    doc.update(extra)
    return doc


def wants_html() -> bool:
    """True when the client ranks ``text/html`` above every JSON form (a browser following a
    link); clients that accept anything (``*/*``) or ask for JSON keep getting problem+json."""
    try:
        accept = request.accept_mimetypes
    except RuntimeError:  # no request (an error outside one)
        return False
    html = accept.quality("text/html")
    return html > 0 and "text/html" in accept.values() and html > max(
        accept.quality(PROBLEM_JSON), accept.quality("application/json"))


def _html_body(doc: dict[str, Any]) -> str | None:
    """The HTML error page for ``doc``, or None when it cannot be rendered (the caller then
    answers problem+json: an error page must never fail into a 500)."""
    try:
        return render_template("error.html", problem=doc,
                               problem_json=json.dumps(doc, ensure_ascii=False, indent=1,
                                                       default=str))
    except Exception:  # noqa: BLE001 - no template/app context: fall back to problem+json
        return None


def problem_response(doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """The problem as ``application/problem+json`` — or, for browsers that ask for HTML, the
    same problem as an HTML page with the same status and headers."""
    html = _html_body(doc) if wants_html() else None
    if html is not None:
        response = Response(html, status=int(doc["status"]), mimetype="text/html")
    else:
        body = json.dumps(doc, ensure_ascii=False, default=str)
        response = Response(body, status=int(doc["status"]), mimetype=PROBLEM_JSON)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(error: AlmLdError) -> Response:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="alm-ld"'
    return problem_response(error.to_problem(instance=_instance()), headers)


def _instance() -> str | None:
    try:
        return request.full_path.rstrip("?")
    except RuntimeError:
        return None


def http_exception_response(error: HTTPException) -> Response:
    status = error.code or 500
    detail = error.description or error.name
    if status == 413:
        detail = "The request body is larger than this service accepts (ALM_LD_MAX_BODY)."
    doc = problem_document(status, error.name, detail, instance=_instance())
    headers: dict[str, str] = {}
    original = error.get_response()
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in original.headers:
            headers[name] = original.headers[name]
    return problem_response(doc, headers)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AlmLdError, error_response)
    app.register_error_handler(HTTPException, http_exception_response)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.exception("unexpected error")
        doc = problem_document(500, "Internal error",
                               "The service failed unexpectedly; the error has been logged.",
                               type_uri=PROBLEM_BASE + "internal-error", instance=_instance())
        return problem_response(doc)
