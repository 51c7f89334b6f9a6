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
