"""CORS: every public resource may be read from any origin (no cookies are ever used).

``POST /feeds`` is the one non-public write; it carries a bearer token, not ambient
credentials, so allowing its preflight is harmless, but responses to it do not advertise CORS.
"""

from __future__ import annotations

from flask import Flask, Response, request

EXPOSED = "Link, ETag, Location, Content-Location, Vary"


def register_cors(app: Flask) -> None:
    @app.after_request
    def _cors(response: Response) -> Response:
        if request.method == "POST" and request.path == "/feeds":
            return response
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, Content-Type, Authorization, If-None-Match")
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
