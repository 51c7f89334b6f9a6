"""Slow and idle clients cost no worker thread; SSE caps, heartbeats, body limits and deadlines.

Issue 12, item 5 (eight SSE listeners, ten slow bodies or ten slowloris connections locked the
service under gunicorn's threaded workers) and item 8 (a chunked body over ALM_LD_MAX_BODY was
silently cut). Everything runs against the real ``alm-ld serve`` process, over raw sockets where
the attack needs byte-level control; every loop is bounded in count and time, only 127.0.0.0/8
is used.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.security.clients import (
    Stream,
    close_all,
    connect,
    problem,
    read_response,
    slow_body,
    slowloris,
)
from tests.security.conftest import Served, start_served, stop_served

SSE_MAX = 4
PER_CLIENT = 2
HEARTBEAT = 1.0
BODY_TIMEOUT = 6.0
MAX_BODY = 100_000
WORK = "/works/10.7717/peerj.4375"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_served(tmp_path_factory.mktemp("slow"), env={
        "ALM_LD_SSE_MAX": str(SSE_MAX), "ALM_LD_SSE_PER_CLIENT": str(PER_CLIENT),
        "ALM_LD_SSE_HEARTBEAT": str(HEARTBEAT), "ALM_LD_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "ALM_LD_MAX_BODY": str(MAX_BODY)})
    try:
        yield served
    finally:
        stop_served(served)


def test_reads_answer_while_slow_clients_hold_connections(limited: Served) -> None:
    """40 slowloris + 10 slow bodies + SSE_MAX listeners: reads stay fast (each < 3 s)."""
    stop = threading.Event()
    kept: list[float] = []
    workers = [threading.Thread(target=slowloris, args=(limited, stop, kept), daemon=True)
               for _ in range(40)]
    workers += [threading.Thread(target=slow_body, args=(limited, stop, kept), daemon=True)
                for _ in range(10)]
    streams: list[Stream] = []
    opened = time.monotonic()
    try:
        for worker in workers:
            worker.start()
        for i in range(SSE_MAX):  # PER_CLIENT per loopback address
            streams.append(Stream(limited, f"127.0.0.{2 + i // PER_CLIENT}"))
        assert [s.status for s in streams] == [200] * SSE_MAX
        time.sleep(1.0)  # every slow connection is open and trickling
        slowest = 0.0
        # Reads happen while every slow client is still within its deadline, i.e. still open.
        deadline = min(time.monotonic() + 4, opened + BODY_TIMEOUT - 1)
        rounds = 0
        while time.monotonic() < deadline and rounds < 40:
            rounds += 1
            for path in ("/healthz", WORK):
                started = time.monotonic()
                response = limited.get(path, timeout=10,
                                       headers={"Accept": "application/ld+json"})
                elapsed = time.monotonic() - started
                slowest = max(slowest, elapsed)
                assert response.status_code == 200, (path, response.status_code)
                assert elapsed < 3, f"{path} took {elapsed:.2f} s with slow clients open"
        print(f"slowest read with 50 slow clients and {SSE_MAX} streams: {slowest * 1000:.0f} ms")
    finally:
        stop.set()
        for worker in workers:
            worker.join(5)
        close_all(streams)
    assert len(kept) == 50
    # Slow clients are dropped only at their deadline (BODY_TIMEOUT), never earlier.
    assert min(kept) >= BODY_TIMEOUT - 0.5, sorted(kept)[:5]


def test_stream_caps_per_client_and_in_total(limited: Served) -> None:
    held = [Stream(limited, "127.0.0.20") for _ in range(PER_CLIENT)]
    try:
        assert [s.status for s in held] == [200] * PER_CLIENT
        over_client = Stream(limited, "127.0.0.20")
        over_client.close()
        assert over_client.status == 429
        assert over_client.headers["content-type"].startswith("application/problem+json")
        assert int(over_client.headers["retry-after"]) > 0
        assert problem(over_client.body)["status"] == 429
        held += [Stream(limited, "127.0.0.21") for _ in range(SSE_MAX - PER_CLIENT)]
        assert [s.status for s in held] == [200] * SSE_MAX
        over_total = Stream(limited, "127.0.0.22")
        over_total.close()
        assert over_total.status == 503
        assert over_total.headers["content-type"].startswith("application/problem+json")
        assert int(over_total.headers["retry-after"]) > 0
        assert problem(over_total.body)["status"] == 503
        # A listener that hangs up (here: a reset, no orderly close) frees its slot promptly.
        gone = held.pop()
        gone.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        gone.close()
        started = time.monotonic()
        status = 0
        for _ in range(20):
            retry = Stream(limited, "127.0.0.22")
            status = retry.status
            if status == 200:
                held.append(retry)
                break
            retry.close()
            time.sleep(0.25)
        assert status == 200, "the slot of a vanished listener was not released"
        assert time.monotonic() - started < 4
    finally:
        close_all(held)


def test_heartbeat_arrives(limited: Served) -> None:
    stream = Stream(limited, "127.0.0.30")
    try:
        assert stream.status == 200
        waited = stream.read_until(b": keep-alive", HEARTBEAT + 3)
        assert waited is not None, "no heartbeat comment"
    finally:
        close_all([stream])


def _post_chunked(served: Served, total: int, chunk: int = 8192) -> tuple[int, dict, bytes]:
    with connect(served) as sock:
        sock.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/ld+json\r\nTransfer-Encoding: chunked\r\n\r\n")
        sent = 0
        try:
            while sent < total:
                size = min(chunk, total - sent)
                sock.sendall(b"%x\r\n" % size + b" " * size + b"\r\n")
                sent += size
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server may refuse (and close) before the body is over
            pass
        return read_response(sock)


@pytest.mark.parametrize("size", [MAX_BODY + 1, 3 * MAX_BODY])
def test_chunked_body_over_max_is_refused(limited: Served, size: int) -> None:
    """Just over (decoded size, checked by the app) and far over (waitress's own count)."""
    status, headers, body = _post_chunked(limited, size)
    assert status == 413
    assert headers["content-type"].startswith("application/problem+json")
    assert problem(body)["status"] == 413


def test_body_over_max_with_content_length_is_refused(limited: Served) -> None:
    with connect(limited) as sock:
        sock.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/ld+json\r\nContent-Length: %d\r\n\r\n" % (10 * MAX_BODY))
        status, headers, body = read_response(sock)  # answered before any body byte
    assert status == 413 and problem(body)["status"] == 413


def test_chunked_body_within_max_is_read_whole(limited: Served) -> None:
    """Not cut: a chunked JSON body of ~MAX_BODY/2 reaches the validator whole (a cut one
    would be a JSON syntax error)."""
    padding = " " * (MAX_BODY // 2)
    feed = ('{"@context": "https://w3id.org/alm-ld/context/v1.jsonld"' + padding + "}").encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(feed), 4096):
            yield feed[start:start + 4096]

    response = requests.post(limited.url + "/validate", data=chunks(), timeout=30,
                             headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 200, response.text
    text = response.text
    assert "not valid JSON" not in text and "Expecting" not in text, text[:500]


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_stalled_request_is_dropped_after_body_timeout(limited: Served, phase: str) -> None:
    with connect(limited, timeout=BODY_TIMEOUT + 15) as sock:
        if phase == "headers":
            sock.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        else:
            sock.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         b"application/ld+json\r\nContent-Length: 100\r\n\r\n{\"a\": ")
        started = time.monotonic()
        closed_after = None
        sock.settimeout(0.5)
        while time.monotonic() - started < BODY_TIMEOUT + 15:
            try:
                if sock.recv(4096) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                sock.sendall(b"X-Still: here\r\n" if phase == "headers" else b" ")
            except ConnectionResetError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None, "the stalled request was never dropped"
    assert BODY_TIMEOUT - 1 <= closed_after <= BODY_TIMEOUT + 10, closed_after
    assert limited.get("/healthz", timeout=5).status_code == 200


def test_chunked_body_over_max_is_refused_under_werkzeug_too() -> None:
    """``--server dev`` and the test server are werkzeug: it hands the app a dechunked stream
    that just stops at MAX_CONTENT_LENGTH; the app must still answer 413, not read a cut body."""
    from alm_ld.config import Settings
    from alm_ld.store import open_store
    from alm_ld.web import create_app
    from tests.support.server import ThreadedServer

    with ThreadedServer() as server:
        server.start(create_app(Settings(store="memory:", base_url=server.url, max_body=1000),
                                open_store("memory:")))
        for size, expected in ((900, 200), (1001, 413), (50_000, 413)):
            body = b'{"a": "' + b"x" * (size - 9) + b'"}'
            response = requests.post(server.url + "/validate", timeout=30,
                                     data=(body[i:i + 256] for i in range(0, len(body), 256)),
                                     headers={"Content-Type": "application/ld+json"})
            assert response.status_code == expected, (size, response.text[:300])
            if expected == 413:
                assert response.headers["Content-Type"].startswith("application/problem+json")
            else:
                assert "json-parse" not in response.text, response.text[:300]
