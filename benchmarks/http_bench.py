"""HTTP latency and throughput: alm-ld (waitress, Flask dev server) vs bare ``oxigraph serve``.

Everything runs on 127.0.0.1 with bounded loops: a *latency* phase (one client, sequential
requests: p50/p99) and a *throughput* phase (N client threads with keep-alive connections, a
fixed number of requests each: requests/s). The clients are Python threads in the harness
process, identical for every server, so they cost the same CPU on the shared 2 cores in every
measurement — the ratios are fair, the absolute req/s are lower bounds.

Compared pairs (same data: bare Oxigraph holds ``oxigraph load`` of ``alm-ld dump``):

* ``GET /works/{id}`` (JSON-LD, Turtle) vs Oxigraph answering the same CONSTRUCT (N-Triples,
  Turtle): alm-ld serves the document kept in the store (built by the first request for each
  probed work, during the warm-up), and after that the answer its WSGI fast path keeps
  (``alm_ld.web.fast_path.WorkFastPath``: the view's bytes while no newer feed mentions the
  work) — what a client re-reading documents between ingests gets;
* ``GET /works`` filtered and sorted (first page; no baseline);
* a point SELECT (the counts of one work) on ``/sparql`` vs Oxigraph's ``/query``.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from benchmarks.datagen import work
from benchmarks.report import Report, Row
from benchmarks.timing import percentile

POINT_QUERY = """PREFIX alm: <https://w3id.org/alm-ld/vocab#>
SELECT ?metric ?source ?value WHERE {{
  ?o alm:work <{work}> ; alm:metric ?metric ; alm:source ?source ; alm:value ?value .
}}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(port: int, process: subprocess.Popen, path: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not come up in {timeout:.0f} s")


@contextmanager
def running(args: list[str], port: int, probe: str) -> Iterator[int]:
    """Run a server process (started here, stopped here by its own pid) until the block ends."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_up(port, process, probe)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def alm_ld_server(store_spec: str, kind: str) -> tuple[list[str], int, str]:
    port = free_port()
    return ([sys.executable, "-m", "benchmarks.serve_app", "--store", store_spec,
             "--server", kind, "--port", str(port)], port, "/healthz")


def oxigraph_server(binary: str, location: Path) -> tuple[list[str], int, str]:
    port = free_port()
    return ([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
             "--union-default-graph"], port, "/query?query=" + quote("ASK {}"))


def _client(port: int, paths: list[str], accept: str, count: int, start: int,
            latencies: list[float], errors: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept": accept}
    for k in range(count):
        path = paths[(start + k) % len(paths)]
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{response.status} {path}")
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{error!r} {path}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        latencies.append(time.perf_counter() - t0)
    conn.close()


def load(port: int, paths: list[str], accept: str, *, clients: int,
         per_client: int) -> dict[str, float]:
    """Bounded load: ``clients`` threads × ``per_client`` requests; latency and throughput."""
    latencies: list[float] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_client, args=(port, paths, accept, per_client,
                                                     i * 7, latencies, errors))
               for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return {"p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "rps": len(latencies) / wall, "requests": len(latencies)}


WORKS_LIST = "/works?filter=has_metric:citations&sort=citations:desc&per_page=25"
WORKS_GROUPED = "/works?filter=has_metric:citations&group_by=source"


def works_list(port: int, repeat: int, path: str = WORKS_LIST) -> dict[str, Any]:
    """``GET /works`` filtered and sorted (one client), answered from the works index: the
    first request builds the index from the bulk-loaded store (reported as ``cold_ms``; a
    15-minute client timeout, as the build takes minutes at 100k works), the others read it.
    A failure is reported, not raised, so the rest of the run goes on."""
    runs = []
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        status = conn.getresponse().status
    except OSError as error:
        return {"min": None, "median": None, "n": 0, "error": f"first request: {error}"}
    finally:
        conn.close()
    if status != 200:
        return {"min": None, "median": None, "n": 0, "error": f"first request: {status}"}
    runs.append((time.perf_counter() - start) * 1000)
    try:
        for _ in range(repeat):
            result = load(port, [path], "application/json", clients=1, per_client=1)
            runs.append(result["p50_ms"])
    except RuntimeError as error:
        return {"min": None, "median": None, "n": 0, "error": str(error)}
    cold, warm = runs[0], sorted(runs[1:])
    return {"min": warm[0], "median": warm[len(warm) // 2], "n": len(warm), "cold_ms": cold}


def probe_works(works: int, count: int = 64) -> list[str]:
    return [work((k * 7919 + 1) % works) for k in range(count)]


def work_paths(works: int) -> list[str]:
    return ["/works/" + quote(w.removeprefix("https://doi.org/"), safe="/:;()._-")
            for w in probe_works(works)]


def union_work_query() -> str:
    """The work document's CONSTRUCT as it was before issue 15, over the union graph: the
    cheapest form for bare Oxigraph (alm-ld's own now reads feed graphs only, to leave alert
    nodes out, and costs bare Oxigraph several times more: 9.7 vs ~1.2 ms p50 at 10k works).
    On works without alerts both give the same graph."""
    from alm_ld.web.work_document import _METADATA, _PREFIXES

    return _PREFIXES + """CONSTRUCT {
  ?work ?wp ?wo . ?obs ?op ?oo . ?ev ?ep ?eo . ?citing cito:cites ?work . ?act ?ap ?ao .
  ?feed ?fp ?fo . ?agent a prov:Agent ; schema:name ?agentName .
} WHERE {
  { ?work ?wp ?wo FILTER (?wp NOT IN (""" + _METADATA + """)) }
  UNION { ?obs alm:work ?work ; ?op ?oo }
  UNION { ?ev alm:object ?work ; ?ep ?eo }
  UNION { ?citing cito:cites ?work }
  UNION { ?obs alm:work ?work ; prov:wasGeneratedBy ?act . ?act ?ap ?ao }
  UNION { GRAPH ?feed { ?x alm:work|alm:object ?work } GRAPH ?feed { ?feed ?fp ?fo }
          FILTER (?fp != alm:disclosure) }
  UNION { GRAPH ?feed { ?x alm:work|alm:object ?work . ?feed alm:provider ?agent .
                        ?agent schema:name ?agentName } }
}"""


def construct_paths(works: int) -> list[str]:
    from alm_ld.sparql_text import bind_iri

    query = union_work_query()
    return ["/query?" + urlencode({"query": bind_iri(query, "work", w)})
            for w in probe_works(works)]


def sparql_paths(works: int, endpoint: str) -> list[str]:
    return [f"{endpoint}?" + urlencode({"query": POINT_QUERY.format(work=w)})
            for w in probe_works(works)]


def measure(port: int, paths: list[str], accept: str, latency_requests: int, clients: int,
            per_client: int, repeat: int) -> dict[str, float]:
    """Warm up, then best-of-``repeat`` for each phase (min of p50/p99, max of req/s)."""
    load(port, paths, accept, clients=1, per_client=min(len(paths), latency_requests))
    runs_latency = [load(port, paths, accept, clients=1, per_client=latency_requests)
                    for _ in range(repeat)]
    runs_rps = [load(port, paths, accept, clients=clients, per_client=per_client)
                for _ in range(repeat)]
    p50s = sorted(r["p50_ms"] for r in runs_latency)
    rps = sorted(r["rps"] for r in runs_rps)
    return {"p50_min": p50s[0], "p50_median": p50s[len(p50s) // 2],
            "p99_min": min(r["p99_ms"] for r in runs_latency),
            "rps_max": rps[-1], "rps_median": rps[len(rps) // 2], "runs": repeat,
            "clients": clients}


def run(report: Report, works: int, store_dir: Path, dump: Path, oxigraph_bin: str | None,
        work_dir: Path, *, repeat: int, latency_requests: int, clients: int,
        per_client: int, changes_items: int = 0) -> None:
    size = f"{works} works"
    results: dict[str, dict[str, dict[str, float]]] = {}
    for kind in ("waitress", "flask"):
        args, port, probe = alm_ld_server(f"oxigraph:{store_dir}", kind)
        with running(args, port, probe):
            results[kind] = {
                "work": measure(port, work_paths(works), "application/ld+json",
                                latency_requests, clients, per_client, repeat),
                "sparql": measure(port, sparql_paths(works, "/sparql"),
                                  "application/sparql-results+json", latency_requests,
                                  clients, per_client, repeat)}
            if kind == "waitress":
                results[kind]["work_ttl"] = measure(
                    port, work_paths(works), "text/turtle", latency_requests, clients,
                    per_client, repeat)
                results[kind]["works_list"] = works_list(port, repeat)
                results[kind]["works_grouped"] = works_list(port, repeat, WORKS_GROUPED)
            if kind == "waitress" and changes_items:
                from benchmarks.tools import changes_paging

                changes_paging(report, works, port, changes_items)
    bare: dict[str, dict[str, float]] | None = None
    if oxigraph_bin:
        location = work_dir / f"ref-load-{works}"  # loaded by ingest.oxigraph_bulk_load
        if not location.exists():
            subprocess.run([oxigraph_bin, "load", "--location", str(location), "--file",
                            str(dump)], check=True, capture_output=True)
        args, port, probe = oxigraph_server(oxigraph_bin, location)
        with running(args, port, probe):
            bare = {"work": measure(port, construct_paths(works), "application/n-triples",
                                    latency_requests, clients, per_client, repeat),
                    "work_ttl": measure(port, construct_paths(works), "text/turtle",
                                        latency_requests, clients, per_client, repeat),
                    "sparql": measure(port, sparql_paths(works, "/query"),
                                      "application/sparql-results+json", latency_requests,
                                      clients, per_client, repeat)}
        shutil.rmtree(location, ignore_errors=True)
    labels = {"work": ("GET /works/{id} (JSON-LD)", "bare Oxigraph CONSTRUCT (N-Triples)"),
              "work_ttl": ("GET /works/{id} (Turtle)", "bare Oxigraph CONSTRUCT (Turtle)"),
              "sparql": ("point SELECT on /sparql", "bare Oxigraph /query")}
    listed = results["waitress"]["works_list"]
    report.add(Row("http", "GET /works?filter=has_metric:citations&sort=citations:desc"
                   "&per_page=25 latency, waitress", size, listed["min"], listed["median"],
                   unit="ms", runs=listed["n"], target="< 100 ms at 100k works",
                   note=listed.get("error") or f"read from the works index; the first "
                   f"request (building the index) took {listed['cold_ms']:.0f} ms"))
    grouped = results["waitress"]["works_grouped"]
    report.add(Row("http", "GET /works?filter=has_metric:citations&group_by=source latency, "
                   "waitress", size, grouped["min"], grouped["median"], unit="ms",
                   runs=grouped["n"], target="< 100 ms at 100k works",
                   note=grouped.get("error") or "vector sums over the works index's "
                   "in-memory columns"))
    for what, (name, base_name) in labels.items():
        for kind in ("waitress", "flask"):
            if what not in results[kind]:
                continue
            mine = results[kind][what]
            other = bare[what] if bare else None
            note = (f"p99 {mine['p99_min']:.1f} ms"
                    + (f" (bare {other['p99_min']:.1f} ms)" if other else ""))
            report.add(Row("http", f"{name} p50 latency, {kind}", size, mine["p50_min"],
                           mine["p50_median"], unit="ms", runs=repeat,
                           baseline=base_name if other else None,
                           baseline_min=other["p50_min"] if other else None,
                           baseline_median=other["p50_median"] if other else None,
                           target="≥ 1.0× bare (issue 15)" if what.startswith("work") and
                           kind == "waitress" else None, note=note, extra=mine))
            report.add(Row("http", f"{name} throughput, {kind}, {clients} clients", size,
                           mine["rps_max"], mine["rps_median"], unit="req/s", runs=repeat,
                           baseline=base_name if other else None,
                           baseline_min=other["rps_max"] if other else None,
                           baseline_median=other["rps_median"] if other else None,
                           target="≥ 0.5× bare" if what == "sparql" and kind == "waitress"
                           else "≥ 1.0× bare (issue 15)" if what.startswith("work")
                           and kind == "waitress" else None,
                           note="min column = best run"))
