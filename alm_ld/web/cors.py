"""CORS: every public resource may be read from any origin (no cookies are ever used).

``POST /feeds`` is the one non-public write; it carries a bearer token, not ambient
credentials, so allowing its preflight is harmless, but responses to it do not advertise CORS.
The headers of every answer come from :func:`cors_headers` through
:func:`alm_ld.web.security_headers.common_headers` (Flask's hook and the WSGI fast paths alike);
this module adds only the preflight's own headers.
"""

from __future__ import annotations

from flask import Flask, Response, request

EXPOSED = "Link, ETag, Location, Content-Location, Vary"


def cors_headers(method: str, path: str) -> list[tuple[str, str]]:
    """The CORS headers of an answer to ``method path`` (none for the one non-public write)."""
    if method == "POST" and path == "/feeds":
        return []
    return [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED)]


def register_cors(app: Flask) -> None:
    """Answer preflights (``OPTIONS``) with the methods and headers a client may use."""
    @app.after_request
    def _preflight(response: Response) -> Response:
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, Content-Type, Authorization, If-None-Match")
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
