"""Fixtures for the attack suite: a canary that must never be called, and the real service.

``canary`` is an HTTP listener on 127.0.0.1 that records every connection made to it. An attack
that makes the server fetch a URL points that URL at the canary; the test then asserts the canary
saw nothing (``canary.assert_untouched()``). ``served`` is the process ``alm-ld serve`` starts
(the production serving model, an on-disk Oxigraph store holding the demo data), shared by the
module that uses it; each test talks to it over real sockets with bounded loops and timeouts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.processes import free_port, stop, wait_ready

__all__ = ["free_port"]  # re-exported: the attack tests import it from here

TOKEN = "security-test-token"


@dataclass
class Canary:
    """A listener that fails the test if anything connects to it."""

    port: int
    hits: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/canary"

    def assert_untouched(self) -> None:
        assert not self.hits, f"the server made an outbound request: {self.hits[:1]!r}"


@pytest.fixture
def canary() -> Iterator[Canary]:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    found = Canary(listener.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    found.hits.append(conn.recv(4096) or b"<connected>")
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results"
                                 b"+json\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    found.hits.append(b"<connected>")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        stop.set()
        thread.join(2)
        listener.close()


@dataclass
class Served:
    """A running ``alm-ld serve`` process."""

    url: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return requests.post(self.url + path, **kwargs)


def start_served(tmp: Path, *extra: str, env: dict[str, str] | None = None,
                 demo: bool = True) -> Served:
    """Start ``alm-ld serve`` on a free port over an on-disk store in ``tmp``; wait for it."""
    port = free_port()
    log = tmp / "serve.log"
    environ = {**os.environ, "ALM_LD_TOKENS": TOKEN, "ALM_LD_QUERY_TIMEOUT": "3",
               **(env or {})}
    command = [sys.executable, "-m", "alm_ld", "serve", "--port", str(port),
               "--store", f"oxigraph:{tmp}/store", *extra]
    if demo:
        command.append("--demo")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environ)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    wait_ready(process, served.url + "/healthz", "alm-ld serve", seconds=90, log=log)
    return served


def stop_served(served: Served) -> None:
    stop(served.process)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = start_served(tmp_path_factory.mktemp("served"))
    try:
        yield running
    finally:
        stop_served(running)
