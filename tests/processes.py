"""Starting and stopping the real servers the tests run (``alm-ld serve``, ``oxigraph serve``).

One place for the two chores every such fixture has: wait until a freshly started process
answers (a readiness poll with a deadline, failing with the process's log when it exits early)
and stop it (SIGTERM, then SIGKILL after a grace period), so that no fixture leaves a server
behind or waits for ever.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(process: subprocess.Popen, url: str, what: str, *, seconds: float = 60,
               log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; fail the test if ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            pytest.fail(f"{what} exited early with {process.returncode}: {tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{what} did not answer {url} within {seconds:g} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; always reaps the process."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()
