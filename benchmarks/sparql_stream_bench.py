"""Peak memory of reading a large SELECT answer through the ``sparql:`` store.

A synthetic SPARQL endpoint (a thread of this process) writes ``--rows`` bindings of two
variables (an IRI and an integer literal) as SPARQL JSON, generated on the fly; a fresh child
process opens ``sparql:`` on it, reads ``query_serialized(…, "csv")`` to the end (chunks
discarded) and reports its peak RSS (``ru_maxrss``) and wall time. The endpoint is synthetic so
that only the client is measured (an engine's own cost and memory are not part of it).

``--tree DIR`` runs the child against another checkout of alm-ld (e.g. ``git archive`` of the
commit before a change), so before and after are measured in the same run.

    python -m benchmarks.sparql_stream_bench --rows 1000000 --repeat 3 [--tree /tmp/old]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_CHILD = r"""
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from alm_ld.store.sparql import SparqlStore
store = SparqlStore(sys.argv[2], timeout=600)
store._foreign = False
started = time.perf_counter()
_, chunks = store.query_serialized("SELECT ?s ?n WHERE { ?s ?p ?n }", "csv")
size = sum(len(chunk) for chunk in chunks)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, size)
"""


def _endpoint(rows: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head":{"vars":["s","n"]},"results":{"bindings":[')
            batch = []
            for number in range(rows):
                batch.append(json.dumps({
                    "s": {"type": "uri", "value": f"https://doi.org/10.5555/work.{number}"},
                    "n": {"type": "literal", "value": str(number),
                          "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}))
                if len(batch) == 5000:
                    self.wfile.write(("," if number >= 5000 else "").encode()
                                     + ",".join(batch).encode())
                    batch = []
            if batch:
                self.wfile.write(("," if rows > len(batch) else "").encode()
                                 + ",".join(batch).encode())
            self.wfile.write(b"]}}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[],
                        help="an alm-ld checkout to measure (repeatable; default: this one)")
    args = parser.parse_args(argv)
    trees = args.tree or [str(Path(__file__).resolve().parent.parent)]
    server = _endpoint(args.rows)
    url = f"http://127.0.0.1:{server.server_port}/query"
    try:
        for tree in trees:
            seconds, peaks = [], []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", _CHILD, tree, url], check=True,
                                     capture_output=True, text=True).stdout.split()
                seconds.append(float(out[0]))
                peaks.append(int(out[1]) / 1024)
            print(f"{tree}: {args.rows} rows, {out[2]} bytes of CSV; peak RSS MiB min "
                  f"{min(peaks):.0f} median {statistics.median(peaks):.0f}; seconds min "
                  f"{min(seconds):.2f} median {statistics.median(seconds):.2f}", flush=True)
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
