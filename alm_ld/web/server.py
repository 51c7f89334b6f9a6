"""Running the app: a thread-hosted werkzeug server (tests, the dev server) and gunicorn.

``ThreadedServer`` binds a free 127.0.0.1 port *before* the app is built, so the app's
``base_url`` can be the real URL the server answers on (pyld then fetches the served context
from it). ``run_gunicorn`` embeds gunicorn through its ``BaseApplication`` API so
``alm-ld serve`` needs no config file and shares the store object opened by the CLI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # tests: keep output readable
        pass


class ThreadedServer:
    """A threaded werkzeug server on ``host`` (port 0 = free port) serving a late-bound app.

    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        self._app: Callable[..., Any] | None = None
        self._server: BaseWSGIServer = make_server(
            host, port, self._dispatch, threaded=True,
            request_handler=_QuietHandler if quiet else None)
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self._app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self._app(environ, start_response)

    def start(self, app: Flask | Callable[..., Any]) -> ThreadedServer:
        self._app = app
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"alm-ld-http-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for serve_forever, so only if started
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int = 1, threads: int = 8,
                 timeout: float = 60.0) -> None:
    """Serve ``app`` with gunicorn in this process (blocks until stopped by a signal).

    gthread workers: threads share the one store object; a query timeout is enforced by the
    store itself, gunicorn's ``timeout`` only guards against a hung worker.
    """
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": int(max(timeout, 30)),
        "accesslog": "-",
        "errorlog": "-",
        "preload_app": True,
    }

    class _Embedded(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    _Embedded().run()


def run_dev_server(app: Flask, *, host: str, port: int) -> None:
    """werkzeug's threaded development server (blocks; Ctrl-C stops it)."""
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)
