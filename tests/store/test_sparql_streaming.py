"""The ``sparql:`` store reads a SELECT answer row by row while it arrives (never the whole
answer first), stops reading at the row cap, and still treats an answer cut anywhere as an
error. The endpoint is a real HTTP server that writes its answer in parts on cue."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alm_ld.errors import StoreUnavailable
from alm_ld.store.sparql import SparqlStore

HEAD = b'{"head":{"vars":["s","n"]},"results":{"bindings":['


def _binding(number: int) -> bytes:
    return json.dumps({"s": {"type": "uri", "value": f"http://e/s{number}"},
                       "n": {"type": "literal", "value": str(number),
                             "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}).encode()


class _Endpoint:
    """Answers every query with ``first`` rows, then waits for :attr:`go` (at most 30 s) and
    records whether the client had set it, then writes ``rest`` and ``tail``."""

    def __init__(self, first: int, rest: int, tail: bytes = b"]}}") -> None:
        self.first, self.rest, self.tail = first, rest, tail
        self.go = threading.Event()
        self.client_went_first: bool | None = None
        self.finished = threading.Event()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                try:
                    self.wfile.write(HEAD + b",".join(_binding(i) for i in range(endpoint.first)))
                    self.wfile.flush()
                    endpoint.client_went_first = endpoint.go.wait(30)
                    for i in range(endpoint.first, endpoint.first + endpoint.rest):
                        self.wfile.write(b"," + _binding(i))
                    self.wfile.write(endpoint.tail)
                except OSError:  # the client closed the connection (row cap)
                    pass
                finally:
                    endpoint.finished.set()

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def serving(endpoint: _Endpoint) -> Iterator[SparqlStore]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), endpoint.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = SparqlStore(f"http://127.0.0.1:{server.server_port}/query", timeout=60)
        store._foreign = False  # the endpoint answers rows only, not a graph listing
        yield store
    finally:
        endpoint.go.set()
        server.shutdown()
        server.server_close()


def test_rows_arrive_before_the_answer_is_complete() -> None:
    endpoint = _Endpoint(first=1200, rest=2000)  # more than one written batch (500 rows)
    with serving(endpoint) as store:
        _, chunks = store.query_serialized("SELECT ?s ?n WHERE { ?s ?p ?n }", "csv")
        received = b""
        for chunk in chunks:
            received += chunk
            if not endpoint.go.is_set() and received.count(b"\r\n") >= 2:
                endpoint.go.set()  # header and a first row written: now the rest may come
    assert endpoint.client_went_first is True
    rows = list(csv.reader(io.StringIO(received.decode())))
    assert rows[0] == ["s", "n"]
    assert [row[1] for row in rows[1:]] == [str(i) for i in range(3200)]


def test_the_row_cap_stops_reading() -> None:
    endpoint = _Endpoint(first=5, rest=100000)
    with serving(endpoint) as store:
        _, chunks = store.query_serialized("SELECT ?s ?n WHERE { ?s ?p ?n }", "csv", limit=4)
        text = b"".join(chunks).decode()  # returns before the endpoint is told to go on
        assert not endpoint.finished.is_set()
    assert text.splitlines()[1:] == [f"http://e/s{i},{i}" for i in range(4)]


@pytest.mark.parametrize("tail", [b"", b"]", b"]}", b"The SPARQL operation has been cancelled\n",
                                  b',{"s":{"type":"uri","value":"http://e/x"}'])
def test_an_answer_cut_anywhere_is_an_error(tail: bytes) -> None:
    endpoint = _Endpoint(first=2, rest=3, tail=tail)
    endpoint.go.set()
    with serving(endpoint) as store:
        with pytest.raises(StoreUnavailable, match="not a valid"):
            _, chunks = store.query_serialized("SELECT ?s ?n WHERE { ?s ?p ?n }", "json")
            b"".join(chunks)
        with pytest.raises(StoreUnavailable, match="not a valid"):
            store.query("SELECT ?s ?n WHERE { ?s ?p ?n }")


def test_a_whole_answer_is_read_exactly() -> None:
    endpoint = _Endpoint(first=2, rest=3)
    endpoint.go.set()
    with serving(endpoint) as store:
        result = store.query("SELECT ?s ?n WHERE { ?s ?p ?n }")
    assert result.variables == ["s", "n"]
    assert [int(row["n"]) for row in result.rows] == [0, 1, 2, 3, 4]
    assert str(result.rows[4]["s"]) == "http://e/s4"
