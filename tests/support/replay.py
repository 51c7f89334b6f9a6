"""A local HTTP server that replays recorded provider responses (tests and demo data).

It binds 127.0.0.1 on a free port and answers each request with the recorded response whose
method, path and query match (see :func:`request_key`: the path is percent-decoded and
case-folded because DOIs are case-insensitive and providers accept ``%2F``; query parameters are
compared as a sorted list, without the contact/credential parameters ``mailto``, ``api_key`` and
``key`` that recordings redact). Unrecorded requests get 404 ``Not recorded``.

It can be told to misbehave (:class:`Fault`): answer 429 with ``Retry-After``, answer 500, answer
slowly, cut the body short, or rename a JSON field — the failure modes harvesters must survive.
It honours ``If-None-Match``/``If-Modified-Since`` for recordings that carry validators, and logs
every request so tests can see what a harvester actually asked.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

IGNORED_PARAMS = frozenset({"mailto", "api_key", "key"})


def request_key(method: str, target: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The match key of a request target (``/path?query``)."""
    parts = urlsplit(target)
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                         if k not in IGNORED_PARAMS))
    return method.upper(), unquote(parts.path).casefold(), query


@dataclass
class Recording:
    method: str
    target: str
    status: int
    body: bytes
    headers: dict[str, str]
    variant: str | None = None


@dataclass
class Fault:
    """One kind of misbehaviour for requests whose path contains ``path`` (all when None).

    ``kind``: ``"status"`` (answer ``status``, e.g. 429 or 500, with ``retry_after`` if set),
    ``"slow"`` (sleep ``delay`` seconds first), ``"truncate"`` (promise the full length, send
    half), ``"rename"`` (replace the JSON key ``old`` by ``new`` in the body). ``times`` limits
    how many requests it hits (None: all).
    """

    kind: str
    path: str | None = None
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    old: str = ""
    new: str = ""
    times: int | None = None
    body: bytes = b""

    def applies(self, target: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return self.path is None or self.path.casefold() in unquote(target).casefold()


@dataclass
class ReplayState:
    recordings: dict[tuple[Any, ...], list[Recording]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    variants: set[str] = field(default_factory=set)
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_index(directory: Path) -> list[Recording]:
    """Recordings listed in ``directory/index.json`` (entries: method, request, status, …)."""
    entries = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    out = []
    for entry in entries:
        headers = {k: v for k, v in (entry.get("headers") or {}).items()}
        if entry.get("content_type"):
            headers["Content-Type"] = entry["content_type"]
        out.append(Recording(entry.get("method", "GET"), entry["request"], int(entry["status"]),
                             (directory / entry["file"]).read_bytes(), headers,
                             entry.get("variant")))
    return out


class _Handler(BaseHTTPRequestHandler):
    server: ReplayHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        state = self.server.state
        with state.lock:
            state.log.append({"method": "GET", "target": self.path,
                              "headers": dict(self.headers.items())})
            faults = [f for f in state.faults if f.applies(self.path)]
            for fault in faults:
                if fault.times is not None:
                    fault.times -= 1
            recording = self._find(state)
        body = recording.body if recording else b"Not recorded"
        status = recording.status if recording else 404
        headers = dict(recording.headers) if recording else {"Content-Type": "text/plain"}
        truncate = False
        for fault in faults:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "status":
                status, body = fault.status, fault.body or b"<html>Too busy</html>"
                headers = {"Content-Type": "text/html"}
                if fault.retry_after is not None:
                    headers["Retry-After"] = fault.retry_after
            elif fault.kind == "truncate":
                truncate = True
            elif fault.kind == "rename":
                body = body.replace(json.dumps(fault.old).encode(), json.dumps(fault.new).encode())
        if status == 200 and recording and self._not_modified(headers):
            self.send_response(304)
            for name in ("ETag", "Last-Modified"):
                if _header(headers, name):
                    self.send_header(name, _header(headers, name))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        if truncate:
            self.wfile.flush()
            self.close_connection = True

    def _find(self, state: ReplayState) -> Recording | None:
        candidates = state.recordings.get(request_key("GET", self.path), [])
        for recording in candidates:
            if recording.variant and recording.variant in state.variants:
                return recording
        for recording in candidates:
            if not recording.variant:
                return recording
        return None

    def _not_modified(self, headers: dict[str, str]) -> bool:
        etag = _header(headers, "ETag")
        modified = _header(headers, "Last-Modified")
        if etag and self.headers.get("If-None-Match") == etag:
            return True
        return bool(modified and self.headers.get("If-Modified-Since") == modified
                    and not self.headers.get("If-None-Match"))


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


class ReplayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected here; stay quiet about them."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, recordings: list[Recording]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = ReplayState()
        for recording in recordings:
            key = request_key(recording.method, recording.target)
            self.state.recordings.setdefault(key, []).append(recording)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayHTTPServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> ReplayHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # conveniences for tests
    def add_fault(self, fault: Fault) -> Fault:
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.log.clear()
            self.state.variants.clear()

    def requests_for(self, fragment: str) -> list[dict[str, Any]]:
        return [r for r in self.state.log if fragment.casefold() in unquote(r["target"]).casefold()]
