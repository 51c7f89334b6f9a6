"""Fixtures for the web tests: ``loaded`` (the small feed behind a live server) and a
module-scoped ``fuzz_server``; ``live_server`` itself is shared by every area
(``tests/support/live.py``, registered in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from alm_ld.web import create_app

# tests/sets imports Live and live_server from here
from tests.support.live import InProcess, Live, live_server  # noqa: F401
from tests.support.server import ThreadedServer
from tests.web.webdata import FEED_ID, FIXTURES, WORK, feed_doc  # noqa: F401 - re-exported


@pytest.fixture
def loaded(live_server) -> Live:  # noqa: F811 - the fixture, not the import
    """A live server over a memory: store holding the small feed, ingest token 'secret'."""
    store = open_store("memory:")
    settings = Settings(store="memory:", tokens=("secret",))
    ingest_feed(store, feed_doc(), settings=settings)
    return live_server(settings, store)


@pytest.fixture
def loaded_app(app_client) -> InProcess:
    """``loaded`` without a socket: the same app and data, called through Flask's test client."""
    store = open_store("memory:")
    settings = Settings(store="memory:", tokens=("secret",))
    ingest_feed(store, feed_doc(), settings=settings)
    return app_client(settings, store)


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
