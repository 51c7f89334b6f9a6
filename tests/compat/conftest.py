"""Fixtures for the compatibility and NISO tests: a real Oxigraph store per test and the harvest
tests' replay server (recorded Event Data pages), re-exported; ``live_server`` is registered for
every area in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.harvest.conftest import replay, replay_server, replay_settings  # noqa: F401


@pytest.fixture
def store() -> Iterator[Any]:
    """An in-memory Oxigraph store (the engine the service runs on by default)."""
    with open_store("oxigraph:") as opened:
        yield opened


@pytest.fixture
def settings() -> Settings:
    return Settings(store="oxigraph:")


@pytest.fixture
def ingest(store: Any, settings: Settings) -> Callable[..., Any]:
    def run(*docs: dict[str, Any]) -> Any:
        return [ingest_feed(store, doc, settings=settings) for doc in docs]

    return run
