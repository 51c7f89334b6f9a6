"""The real app served over real HTTP on a free 127.0.0.1 port, for any test area.

``live_server(settings=None, store=None, **setting_changes)`` starts a threaded werkzeug server,
builds the app with ``base_url`` set to the server's own URL (so served links and the JSON-LD
context URL resolve to this server), and returns a :class:`Live` with ``url``, ``app``,
``store`` and ``settings``. Servers are stopped at the end of the test. Registered for every
test in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partialmethod
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.store import open_store
from alm_ld.web import create_app
from tests.support.server import ThreadedServer


@dataclass
class Live:
    url: str
    app: Any
    store: Any
    settings: Settings


@pytest.fixture
def live_server() -> Iterator[Callable[..., Live]]:
    servers: list[ThreadedServer] = []

    def start(settings: Settings | None = None, store: Any = None, **changes: Any) -> Live:
        server = ThreadedServer()
        servers.append(server)
        base = settings or Settings(store="memory:")
        base = base.with_(base_url=server.url, **changes)
        store = store if store is not None else open_store(base.store)
        app = create_app(base, store)
        server.start(app)
        return Live(server.url, app, store, base)

    yield start
    for server in servers:
        server.stop()


IN_PROCESS_URL = "http://localhost"
"""The base URL an in-process app believes it has (the test client's default host)."""


@dataclass
class InProcess:
    """The app called through Flask's test client: no socket, no server thread.

    For tests whose subject is what the app answers (documents, status codes, headers), not the
    HTTP server: protocol, security, streaming and client-library tests keep :func:`live_server`.
    Requests take a path or an absolute URL under :attr:`url` (links read from the app's own
    documents), ``params`` as a query string, and return werkzeug's ``TestResponse``.
    """

    url: str
    app: Any
    store: Any
    settings: Settings

    def request(self, method: str, target: str, *, params: Any = None,
                allow_redirects: bool = True, **kwargs: Any) -> Any:
        """Like ``requests.request``: redirects are followed unless ``allow_redirects=False``."""
        path = target.removeprefix(self.url) or "/"
        assert path.startswith("/"), f"{target} is not served by this app ({self.url})"
        return self.app.test_client().open(path, method=method, query_string=params or None,
                                           follow_redirects=allow_redirects, **kwargs)

    get = partialmethod(request, "GET")
    post = partialmethod(request, "POST")
    put = partialmethod(request, "PUT")
    delete = partialmethod(request, "DELETE")
    head = partialmethod(request, "HEAD")
    options = partialmethod(request, "OPTIONS")


@pytest.fixture
def app_client() -> Callable[..., InProcess]:
    """``app_client(settings=None, store=None, **setting_changes)``: like :func:`live_server`,
    but the app is called in-process (see :class:`InProcess`)."""

    def make(settings: Settings | None = None, store: Any = None, **changes: Any) -> InProcess:
        base = (settings or Settings(store="memory:")).with_(base_url=IN_PROCESS_URL, **changes)
        store = store if store is not None else open_store(base.store)
        return InProcess(IN_PROCESS_URL, create_app(base, store), store, base)

    return make
