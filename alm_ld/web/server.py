"""``alm-ld serve --server dev``: werkzeug's development server.

Production serving is waitress (:mod:`alm_ld.web.production`): werkzeug gives each connection a
thread, which a slow client can hold for ever. The tests' thread-hosted server is
``tests/support/server.py`` (not in the wheel).
"""

from __future__ import annotations

import threading

from flask import Flask


def run_dev_server(app: Flask, *, host: str, port: int) -> None:
    """werkzeug's threaded development server (blocks; Ctrl-C or SIGTERM stops it).

    werkzeug leaves SIGTERM's default, which ends the process on the spot: no ``atexit``, no
    finalizer, so a ``memory:`` store's private works-index file stayed in the temp folder.
    Turned into ``SystemExit`` here, the process shuts down as on Ctrl-C."""
    import signal

    from werkzeug.serving import run_simple

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    run_simple(host, port, app, threaded=True)
