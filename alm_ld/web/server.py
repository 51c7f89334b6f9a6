"""``alm-ld serve --server dev``: werkzeug's development server.

Production serving is waitress (:mod:`alm_ld.web.production`): werkzeug gives each connection a
thread, which a slow client can hold for ever. The tests' thread-hosted server is
``tests/support/server.py`` (not in the wheel).
"""

from __future__ import annotations

from flask import Flask


def run_dev_server(app: Flask, *, host: str, port: int) -> None:
    """werkzeug's threaded development server (blocks; Ctrl-C stops it)."""
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)
