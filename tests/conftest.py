"""Fixtures shared by every test area.

``oxigraph_server`` runs a real ``oxigraph serve`` (PyPI package ``oxigraph``, binary next to the
interpreter) on a free 127.0.0.1 port with a temporary ``--location`` and the union default
graph, for the whole session; ``sparql_store_spec`` gives a fresh, empty ``sparql:`` store spec
on it (the server is cleared before each use). Nothing is left running or on disk afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port, stop, wait_ready
from tests.support.live import app_client, live_server  # noqa: F401 - fixtures for every area


@dataclass(frozen=True)
class OxigraphServer:
    base_url: str

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def spec(self) -> str:
        return f"sparql:{self.query_url};{self.update_url}"

    def clear(self) -> None:
        request = urllib.request.Request(
            self.update_url, data=b"CLEAR ALL", method="POST",
            headers={"Content-Type": "application/sparql-update"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def _oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("The oxigraph server binary is missing: pip install oxigraph "
                    "(it is pinned in requirements.lock).")
    return found


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    location = tmp_path_factory.mktemp("oxigraph-server")
    port = free_port()
    process = subprocess.Popen(
        [_oxigraph_binary(), "serve", "--location", str(location), "--bind",
         f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = OxigraphServer(f"http://127.0.0.1:{port}")
    try:
        wait_ready(process, server.query_url + "?query=ASK%7B%7D", "oxigraph serve",
                   seconds=30)
        yield server
    finally:
        stop(process, grace=10)
        if process.stderr:
            process.stderr.close()
        shutil.rmtree(location, ignore_errors=True)


@pytest.fixture
def sparql_store_spec(oxigraph_server: OxigraphServer) -> str:
    """A ``sparql:`` spec for an emptied server (tests using it must not run in parallel)."""
    oxigraph_server.clear()
    return oxigraph_server.spec
