"""``alm-ld dump --output FILE`` as a user runs it: a dump the store cuts short leaves the old
file untouched and no partial file beside it; a whole dump replaces it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

GRAPH = "http://e/g"


class _CancellingStore(BaseHTTPRequestHandler):
    """A SPARQL endpoint that lists one graph, then ends that graph's quads the way Oxigraph ends
    a stream its ``--timeout-s`` cancelled: a message line where the rest should be."""

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


@pytest.fixture
def cancelling_store() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CancellingStore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"sparql:http://127.0.0.1:{server.server_port}/query"
    finally:
        server.shutdown()
        server.server_close()


def test_a_dump_cut_short_leaves_the_old_file_and_no_partial_one(
        run, tmp_path: Path, cancelling_store: str) -> None:
    target = tmp_path / "dump.nq"
    target.write_text("the previous, complete dump\n", encoding="utf-8")
    done = run("dump", "--store", cancelling_store, "--output", str(target))
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("alm-ld: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "the dump is incomplete" in done.stderr
    assert target.read_text(encoding="utf-8") == "the previous, complete dump\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.nq"]


def test_a_whole_dump_replaces_the_file(run, tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'store'}"
    feed = Path(__file__).resolve().parents[2] / "alm_ld" / "data" / "examples" / "valid-base.json"
    assert run("ingest", str(feed), "--store", store).returncode == 0
    target = tmp_path / "out" / "dump.nq"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    done = run("dump", "--store", store, "--output", str(target))
    assert done.returncode == 0, done.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 20 and all(line.endswith(" .") for line in lines)
    assert sorted(p.name for p in target.parent.iterdir()) == ["dump.nq"]
