"""A real replay server on 127.0.0.1 for the harvest tests, and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from alm_ld.config import Settings
from alm_ld.harvest.registry import PROVIDERS
from tests.support.replay import ReplayHTTPServer, load_index

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"


@pytest.fixture(scope="session")
def replay_server() -> Iterator[ReplayHTTPServer]:
    with ReplayHTTPServer(load_index(FIXTURES)) as server:
        yield server


@pytest.fixture()
def replay(replay_server: ReplayHTTPServer) -> Iterator[ReplayHTTPServer]:
    replay_server.clear()
    yield replay_server
    replay_server.clear()


def replay_settings(server: ReplayHTTPServer, **changes: object) -> Settings:
    """Settings whose provider base URLs all point at the replay server (as env vars would)."""
    env = {f"ALM_LD_{name.upper().replace('-', '_')}_API":  # as a shell can spell it
           server.url + urlsplit(cls.default_base_url).path for name, cls in PROVIDERS.items()}
    env["ALM_LD_HTTP_RETRIES"] = "2"
    return Settings.from_env(env, **changes)


@pytest.fixture()
def harvest_settings(replay: ReplayHTTPServer) -> Settings:
    """Every provider pointed at the replay server (as the ALM_LD_*_API variables would)."""
    return replay_settings(replay)
