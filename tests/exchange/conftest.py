"""Fixtures of the exchange tests: alm-ld apps served over real HTTP, with their own store and
dumps folder, and the packaged demo feeds to fill them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.store import open_store
from alm_ld.web import create_app
from tests.exchange.served import Served
from tests.support.server import ThreadedServer


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``serve(name, store=None)``: a served app over ``store`` (default a new ``memory:``)
    with the dumps folder ``tmp_path/<name>-dumps``."""
    servers: list[ThreadedServer] = []

    def start(name: str, store: Any = None) -> Served:
        server = ThreadedServer()
        servers.append(server)
        settings = Settings(store="memory:", base_url=server.url,
                            dumps_dir=str(tmp_path / f"{name}-dumps"))
        store = store if store is not None else open_store("memory:", settings=settings)
        server.start(create_app(settings, store))
        return Served(server.url, store, settings)

    yield start
    for server in servers:
        server.stop()
