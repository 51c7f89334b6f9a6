"""Fixtures for the analytics tests: an in-memory Oxigraph store per test, its settings, and
``ingest``; ``live_server`` comes from ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store


@pytest.fixture
def store() -> Any:
    """An in-memory Oxigraph store (the engine the service runs on by default)."""
    with open_store("oxigraph:") as opened:
        yield opened


@pytest.fixture
def oxigraph_settings() -> Settings:
    return Settings(store="oxigraph:")


@pytest.fixture
def ingest(store: Any, oxigraph_settings: Settings) -> Callable[..., Any]:
    def run(*docs: dict[str, Any]) -> Any:
        result = None
        for doc in docs:
            result = ingest_feed(store, doc, settings=oxigraph_settings)
        return result

    return run
