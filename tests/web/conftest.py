"""Fixtures for the web tests: the real app served over real HTTP on a free 127.0.0.1 port.

``live_server(settings=None, store=None, **setting_changes)`` starts a threaded werkzeug server,
builds the app with ``base_url`` set to the server's own URL (so served links and the JSON-LD
context URL resolve to this server), and returns a :class:`Live` with ``url``, ``app``,
``store`` and ``settings``. Servers are stopped at the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
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


from tests.web.webdata import FEED_ID, FIXTURES, WORK, feed_doc  # noqa: E402,F401 - re-exported


@pytest.fixture
def loaded(live_server) -> Live:
    """A live server over a memory: store holding the small feed, ingest token 'secret'."""
    store = open_store("memory:")
    settings = Settings(store="memory:", tokens=("secret",))
    ingest_feed(store, feed_doc(), settings=settings)
    return live_server(settings, store)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[Live]:
    """One server per module for property-based tests (hypothesis reuses it across examples)."""
    store = open_store("memory:")
    settings = Settings(store="memory:", tokens=("secret",), query_timeout=2.0)
    ingest_feed(store, feed_doc(), settings=settings)
    server = ThreadedServer()
    settings = settings.with_(base_url=server.url)
    app = create_app(settings, store)
    server.start(app)
    yield Live(server.url, app, store, settings)
    server.stop()
