"""Real processes for the deployment tests: ``oxigraph serve`` with or without
``--union-default-graph`` (restartable on the same port and folder, pausable with SIGSTOP to
stall it) and ``alm-ld serve`` as a subprocess. Every wait is bounded; everything started is
stopped by its pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from alm_ld.store.local_server import oxigraph_binary
from tests.processes import free_port, stop, wait_ready


class Oxigraph:
    """One ``oxigraph serve`` over ``location`` on a fixed port, restartable."""

    def __init__(self, location: Path, *, union: bool) -> None:
        self.location, self.union, self.port = location, union, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spec(self) -> str:
        return f"sparql:{self.url}/query;{self.url}/update"

    def start(self, *, union: bool | None = None) -> Oxigraph:
        if union is not None:
            self.union = union
        command = [oxigraph_binary(), "serve", "--location", str(self.location), "--bind",
                   f"127.0.0.1:{self.port}"] + (["--union-default-graph"] if self.union else [])
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_ready(self.process, f"{self.url}/query?query=ASK%7B%7D", "oxigraph serve",
                   seconds=30)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a paused server must see the SIGTERM
            stop(self.process, grace=15)
        self.process = None

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def update(self, sparql: str) -> None:
        request = urllib.request.Request(
            f"{self.url}/update", data=sparql.encode(), method="POST",
            headers={"Content-Type": "application/sparql-update"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@pytest.fixture
def oxigraph_factory(tmp_path: Path) -> Iterator:
    started: list[Oxigraph] = []

    def make(*, union: bool, name: str = "ox") -> Oxigraph:
        server = Oxigraph(tmp_path / name, union=union)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


class Served:
    """``alm-ld serve`` in a subprocess, with its stderr in a file."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "alm_ld", "serve", "--port", str(self.port), *args],
                stdout=subprocess.DEVNULL, stderr=out, env={**os.environ, **(env or {})})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"alm-ld serve exited: {self.stderr()}"
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.url} not healthy within {seconds} s: {self.stderr()}")

    def wait_exit(self, seconds: float = 90) -> int:
        return self.process.wait(seconds)

    def stop(self) -> None:
        stop(self.process, grace=40)


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator:
    started: list[Served] = []

    def make(*args: str, env: dict[str, str] | None = None) -> Served:
        served = Served(list(args), tmp_path / f"serve-{len(started)}.log", env)
        started.append(served)
        return served

    yield make
    for served in started:
        served.stop()
