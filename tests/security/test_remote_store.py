"""A hostile or broken remote store (``sparql:``) costs a client at most the query timeout.

The stalled store is a real 127.0.0.1 listener that accepts connections and never answers; the
reset store accepts and closes with a TCP reset; the refused store is a port nobody listens on.
The service is the real ``alm-ld serve`` process, the CLI a real ``alm-ld`` process.
"""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from alm_ld.errors import QueryTimeout, StoreUnavailable
from alm_ld.store.sparql import SparqlStore
from tests.processes import stop, wait_ready
from tests.security.conftest import TOKEN, free_port
from tests.support.cancelling_store import cancelling_store

TIMEOUT = 2.0
"""ALM_LD_QUERY_TIMEOUT for these tests: every answer must come within TIMEOUT + 2 s."""
FEED = Path(__file__).resolve().parent.parent / "fixtures" / "store" / "feed-crossref-1.json"


class Listener:
    """A 127.0.0.1 listener that accepts connections and then stalls or resets them."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def spec(self) -> str:
        base = f"http://127.0.0.1:{self.port}"
        return f"sparql:{base}/query;{base}/update"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            elif self.mode.startswith("trickle"):
                self.held.append(conn)
                threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()
            else:
                self.held.append(conn)  # never read, never answered

    def _trickle(self, conn: socket.socket) -> None:
        """One byte every 0.2 s: of the status line ("trickle-head"), or of a body whose
        headers came at once ("trickle-body"). A per-read timeout never fires."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
        body = b'{"head": {}, "boolean": true}' * 100
        if self.mode == "trickle-body":
            conn.sendall(head + f"Content-Length: {len(body)}\r\n\r\n".encode())
            data = body
        else:
            data = head + b"\r\n" + body
        try:
            for byte in data:
                if self._stop.is_set():
                    return
                conn.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def stalled() -> Iterator[Listener]:
    listener = Listener("stall")
    yield listener
    listener.close()


def _env() -> dict[str, str]:
    return {**os.environ, "ALM_LD_QUERY_TIMEOUT": str(TIMEOUT), "ALM_LD_TOKENS": TOKEN,
            "ALM_LD_STORE_WRITE_TIMEOUT": str(TIMEOUT)}


@pytest.fixture(scope="module")
def served_on_stalled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``alm-ld serve --store sparql:<stalled listener>``; it starts (nothing is asked of the
    store before the first request) and answers /openapi.json without the store."""
    listener = Listener("stall")
    port = free_port()
    log = tmp_path_factory.mktemp("stalled") / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--port", str(port),
             "--store", listener.spec], stdout=out, stderr=subprocess.STDOUT, env=_env())
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url + "/openapi.json", "alm-ld serve", log=log)
        yield url
    finally:
        stop(process)
        listener.close()


ROUTES = [
    ("GET", "/changes?since=2000-01-01T00:00:00Z"),
    ("GET", "/alerts"),
    ("GET", "/sources"),
    ("GET", "/.well-known/void"),
    ("GET", "/healthz"),
    ("GET", "/works/10.7717/peerj.4375"),
    ("GET", "/sparql?query=ASK%7B%7D"),
    ("POST", "/feeds"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[p for _, p in ROUTES])
def test_stalled_store_is_503_within_the_timeout(served_on_stalled: str, method: str,
                                                 path: str) -> None:
    headers = {"Accept": "application/json"}
    kwargs: dict = {"headers": headers, "timeout": 30}
    if method == "POST":
        headers.update({"Authorization": f"Bearer {TOKEN}",
                        "Content-Type": "application/ld+json"})
        kwargs["data"] = FEED.read_bytes()
    started = time.monotonic()
    response = requests.request(method, served_on_stalled + path, **kwargs)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 503 and problem["type"].endswith(
        ("store-unavailable", "query-timeout"))
    assert elapsed < TIMEOUT + 2, f"{path} took {elapsed:.1f} s"


def _cli(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "alm_ld", *args], capture_output=True,
                          text=True, env=_env(), timeout=60)
    return done, time.monotonic() - started


def _assert_one_line_exit_4(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alm-ld: Store unavailable: "), done.stderr
    assert "Traceback" not in done.stderr


def test_cli_query_and_ingest_exit_4_on_a_stalled_store(stalled: Listener) -> None:
    done, elapsed = _cli("query", "ASK { }", "--store", stalled.spec)
    _assert_one_line_exit_4(done)
    assert "within 2 s" in done.stderr
    done, _ = _cli("ingest", str(FEED), "--store", stalled.spec)
    _assert_one_line_exit_4(done)
    assert stalled.accepted >= 2


@pytest.mark.parametrize("mode", ["reset", "refused"])
def test_cli_exit_4_on_a_reset_or_refused_store(mode: str) -> None:
    listener = Listener("reset") if mode == "reset" else None
    port = listener.port if listener else free_port()
    spec = f"sparql:http://127.0.0.1:{port}/query;http://127.0.0.1:{port}/update"
    try:
        for args in (("query", "ASK { }"), ("ingest", str(FEED))):
            done, elapsed = _cli(*args, "--store", spec)
            _assert_one_line_exit_4(done)
            assert elapsed < 30
    finally:
        if listener:
            listener.close()


def test_store_unavailable_during_a_write_is_one_json_line_and_exit_4(stalled: Listener,
                                                                      oxigraph_server) -> None:
    """Queries answered by a real server, the update URL stalled: the write deadline ends it."""
    spec = f"sparql:{oxigraph_server.query_url};http://127.0.0.1:{stalled.port}/update"
    oxigraph_server.clear()
    # the vocabulary is written on open: give it once through the real update URL
    subprocess.run([sys.executable, "-m", "alm_ld", "query", "ASK { }", "--store",
                    oxigraph_server.spec], check=True, capture_output=True, env=_env())
    done, elapsed = _cli("ingest", str(FEED), "--store", spec)
    _assert_one_line_exit_4(done)
    assert "update" in done.stderr
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert line["status"] == "error" and line["file"] == str(FEED)
    assert elapsed < TIMEOUT + 10


@pytest.mark.parametrize(("mode", "error"), [("stall", StoreUnavailable),
                                             ("trickle-head", StoreUnavailable),
                                             ("trickle-body", QueryTimeout)])
def test_every_request_has_a_hard_deadline(mode: str, error: type) -> None:
    """A server that trickles a byte every 0.2 s never trips a per-read timeout; the
    watchdog still ends the request at its deadline (stalled: no answer at all)."""
    listener = Listener(mode)
    store = SparqlStore(f"http://127.0.0.1:{listener.port}/query", timeout=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(error) as caught:
            store.query("ASK { }")
        assert time.monotonic() - started < 1.5
        assert caught.value.status == 503 and caught.value.exit_code == 4
        started = time.monotonic()
        with pytest.raises(error):
            _, chunks = store.query_serialized("ASK { }", "json", timeout=0.5)
            b"".join(chunks)
        assert time.monotonic() - started < 1.0
    finally:
        listener.close()


def test_a_dump_cut_short_by_the_server_is_an_error_not_a_short_file() -> None:
    """Oxigraph ends a stream its --timeout-s cancelled with a message line and a clean end:
    the dump must fail (503 / exit 4), never look complete."""
    with cancelling_store() as url:
        store = SparqlStore(url, timeout=5.0)
        with pytest.raises(StoreUnavailable) as failed:
            store.dump(io.BytesIO())
        assert failed.value.status == 503 and "incomplete" in failed.value.detail
