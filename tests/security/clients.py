"""Raw-socket clients for the attack suite: SSE listeners, slowloris, slow bodies.

Shared by the slow-client tests and the combined-load test. Byte-level control is the point
(``requests`` would finish a request the attack wants left half-sent); every loop is bounded
in count and time and only 127.0.0.0/8 is used.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlparse

from tests.security.conftest import Served


def address(served: Served) -> tuple[str, int]:
    parts = urlparse(served.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def connect(served: Served, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    return socket.create_connection(address(served), timeout=timeout,
                                    source_address=(source, 0))


def read_response(sock: socket.socket, limit: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and whatever body arrived (until close, Content-Length or ``limit``)."""
    data = b""
    deadline = time.monotonic() + limit
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length", "-1"))
    while length >= 0 and len(body) < length and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


class Stream:
    """An open ``/changes/stream`` request on a raw socket."""

    def __init__(self, served: Served, source: str) -> None:
        self.sock = connect(served, source)
        self.sock.sendall(b"GET /changes/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Accept: text/event-stream\r\n\r\n")
        self.status, self.headers, self.body = read_response(self.sock)

    def read_until(self, marker: bytes, limit: float) -> float | None:
        """Seconds until ``marker`` arrives after now, or None within ``limit``."""
        started = time.monotonic()
        seen = b""
        self.sock.settimeout(0.5)
        while time.monotonic() - started < limit:
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                return None
            seen += chunk
            if marker in seen:
                return time.monotonic() - started
        return None

    def close(self) -> None:
        self.sock.close()


def close_all(streams: list[Stream]) -> None:
    """Hang up, then give the server its poll interval (1 s) + slack to free the slots."""
    for stream in streams:
        stream.close()
    time.sleep(2.5)


def slowloris(served: Served, stop: threading.Event, kept: list[float]) -> None:
    """Headers one line per second, never finished; records how long the server kept it."""
    started = time.monotonic()
    try:
        with connect(served) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for i in range(30):
                if stop.wait(1.0):
                    break
                sock.sendall(f"X-Slow-{i}: a\r\n".encode())
            kept.append(float("inf"))
    except OSError:
        kept.append(time.monotonic() - started)


def slow_body(served: Served, stop: threading.Event, kept: list[float]) -> None:
    """A POST whose body comes one byte every two seconds; records how long it was kept."""
    started = time.monotonic()
    try:
        with connect(served) as sock:
            sock.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/ld+json\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(15):
                if stop.wait(2.0):
                    break
                sock.sendall(b" ")
            kept.append(float("inf"))
    except OSError:
        kept.append(time.monotonic() - started)


def problem(body: bytes) -> dict:
    doc = json.loads(body)
    assert {"type", "title", "status", "detail"} <= set(doc), doc
    return doc
