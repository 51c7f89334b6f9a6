"""A threaded werkzeug server hosting an app on a free 127.0.0.1 port, for tests that need a
real socket (HTTP protocol, security, client libraries, streaming) and for benchmarks.

``ThreadedServer`` binds the port *before* the app is built, so the app's ``base_url`` can be
the real URL the server answers on (pyld then fetches the served context from it). Not in the
wheel: production serving is waitress (:mod:`alm_ld.web.production`), and werkzeug gives each
connection a thread, which a slow client can hold for ever.
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
