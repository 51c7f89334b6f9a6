"""Discovery: the things a client fetches to learn what this service is and speaks."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

blueprint = Blueprint("discovery", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})
