"""A SPARQL endpoint that cancels a dump mid-stream, the way Oxigraph ends a stream its
``--timeout-s`` cancelled: a message line where the rest of the results should be.

It lists one graph (:data:`GRAPH`) for any query, and answers the quads of that graph with the
start of a SPARQL JSON result cut by ``The SPARQL operation has been cancelled``. Used by the
store-level and the CLI-level tests of "a cut dump is an error, never a short file".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

GRAPH = "http://e/g"


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        query = (form.get("query") or parse_qs(self.path.partition("?")[2]).get("query")
                 or [""])[0]
        if "?s ?p ?o" in query and f"<{GRAPH}>" in query:
            body = (b'{"head":{"vars":["s","p","o"]},"results":{"bindings":[{"s":{"type":"uri",'
                    b'"value":"http://e/s"},"p":{"type":"uri","value":"http://e/p"},'
                    b"The SPARQL operation has been cancelled\n")
        else:
            names = [v.strip("?") for v in query.split("WHERE")[0].split() if v.startswith("?")]
            name = (names or ["g"])[0]
            body = json.dumps({"head": {"vars": [name]}, "results": {"bindings": [
                {name: {"type": "uri", "value": GRAPH}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def cancelling_store() -> Iterator[str]:
    """The endpoint on a free 127.0.0.1 port; yields its query URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/query"
    finally:
        server.shutdown()
        server.server_close()
