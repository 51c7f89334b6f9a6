"""Fixtures for the analytics tests: the web tests' live server plus a store per test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.web.conftest import live_server  # noqa: F401  (re-exported fixture)


@pytest.fixture
def store() -> Any:
    """An in-memory Oxigraph store (the engine the service runs on by default)."""
    with open_store("oxigraph:") as opened:
        yield opened


@pytest.fixture
def settings() -> Settings:
    return Settings(store="oxigraph:")


@pytest.fixture
def ingest(store: Any, settings: Settings) -> Callable[..., Any]:
    def run(*docs: dict[str, Any]) -> Any:
        result = None
        for doc in docs:
            result = ingest_feed(store, doc, settings=settings)
        return result

    return run
