"""Issue 15 rows: point SPARQL throughput against bare Oxigraph, and whole-process CLI times.

**SPARQL** (one size, the largest of the run): the point SELECT of :mod:`benchmarks.http_bench`
(64 different works, cycled) on ``/sparql`` of alm-ld under waitress (the production server,
query worker processes over a checkpoint) against bare ``oxigraph serve`` ``/query`` on the same
data, in the same run, with the same client threads — twice: as served (the 64 answers come
from the query pool's result cache after the warm-up) and with that cache off (every request a
worker round trip). Plus two *floors* on the same requests: an empty WSGI app on waitress (a
fixed 2-byte body) and a one-line Flask route; they say how close to bare Oxigraph a Python
server gets at all on this machine.

**CLI** (size-independent): whole processes, interpreter start included, min and median over
repeated runs — ``alm-ld --help``; ``alm-ld validate`` of a 10-item feed; ``alm-ld ingest`` of a
5,000-item feed into a fresh on-disk store (removed untimed between runs) against the naive
design-card path run as a whole process too (``python -c`` importing jsonschema, pyld and rdflib
and calling :func:`benchmarks.ingest.naive_ingest`: validate, pyld ``to_rdf``, rdflib Memory
``add`` per triple).

Run alone: ``python -m benchmarks --only sparql,cli --sizes 10000``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks import http_bench
from benchmarks.datagen import single_feed
from benchmarks.report import Report, Row
from benchmarks.timing import repeat_timed, summary
from benchmarks.tools import alm_ld_command

ACCEPT = "application/sparql-results+json"


# -- SPARQL ------------------------------------------------------------------------------


def helper_server(*args: str) -> tuple[list[str], int, str]:
    port = http_bench.free_port()
    return ([sys.executable, "-m", "benchmarks.sparql_cli_bench", *args, "--port", str(port)],
            port, "/sparql" if args[0] == "floor" else "/healthz")


def sparql_point(report: Report, works: int, store_dir: Path, dump: Path,
                 oxigraph_bin: str | None, work_dir: Path, *, repeat: int,
                 latency_requests: int, clients: int, per_client: int) -> None:
    """Point SELECT req/s: alm-ld (waitress; result cache on, then off) vs bare ``oxigraph
    serve``, and the floors of a Python answer (empty WSGI app; one-line Flask route)."""
    size = f"{works} works"
    paths = http_bench.sparql_paths(works, "/sparql")
    measured: dict[str, dict[str, float]] = {}
    for label, args in (("cached", ["alm", "--store", f"oxigraph:{store_dir}"]),
                        ("uncached", ["alm", "--store", f"oxigraph:{store_dir}", "--no-cache"]),
                        ("floor", ["floor"]), ("flask", ["floor", "--flask"])):
        command, port, probe = helper_server(*args)
        with http_bench.running(command, port, probe):
            measured[label] = http_bench.measure(port, paths, ACCEPT, latency_requests, clients,
                                                 per_client, repeat)
    bare = None
    if oxigraph_bin:
        location = work_dir / f"ref-load-{works}"
        if not location.exists():  # normally kept by ingest.oxigraph_bulk_load for the HTTP rows
            subprocess.run([oxigraph_bin, "load", "--location", str(location), "--file",
                            str(dump)], check=True, capture_output=True)
        args, port, probe = http_bench.oxigraph_server(oxigraph_bin, location)
        with http_bench.running(args, port, probe):
            bare = http_bench.measure(port, http_bench.sparql_paths(works, "/query"), ACCEPT,
                                      latency_requests, clients, per_client, repeat)
    base = "bare oxigraph serve /query" if bare else None
    for name, mine, target in (
            ("point SELECT on /sparql, waitress, 64 queries repeated (result cache)",
             measured["cached"], "≥ 0.5× bare"),
            ("point SELECT on /sparql, waitress, result cache off (every query to a worker)",
             measured["uncached"], "≥ 0.5× bare"),
            ("floor: empty WSGI app on waitress (no Flask, no query)", measured["floor"], None),
            ("floor: one-line Flask route on waitress (no query)", measured["flask"], None)):
        report.add(Row("sparql", f"{name} throughput, {clients} clients", size,
                       mine["rps_max"], mine["rps_median"], unit="req/s", runs=repeat,
                       baseline=base, baseline_min=bare["rps_max"] if bare else None,
                       baseline_median=bare["rps_median"] if bare else None, target=target,
                       note=f"min column = best run; p50 {mine['p50_median']:.2f} ms"
                            + (f" (bare {bare['p50_median']:.2f} ms)" if bare else ""),
                       extra=mine))
        report.add(Row("sparql", f"{name} p50 latency", size, mine["p50_min"],
                       mine["p50_median"], unit="ms", runs=repeat, baseline=base,
                       baseline_min=bare["p50_min"] if bare else None,
                       baseline_median=bare["p50_median"] if bare else None,
                       note=f"p99 {mine['p99_min']:.1f} ms"))


def _floor_app(environ: dict, start_response: Callable[..., object]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", ACCEPT), ("Content-Length", "2")])
    return [b"{}"]


def serve_floor(port: int, flask: bool) -> None:
    import waitress

    app: Callable[..., object] = _floor_app
    if flask:
        from flask import Flask

        app = Flask("floor")
        app.add_url_rule("/sparql", "sparql", lambda: ("{}", 200, {"Content-Type": ACCEPT}))
    waitress.serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def serve_alm_ld(store: str, port: int, cache: bool) -> None:
    """As :mod:`benchmarks.serve_app` (waitress), optionally with the result cache off."""
    from alm_ld.config import Settings
    from alm_ld.store import open_store, query_pool
    from alm_ld.web import create_app
    from alm_ld.web.production import Limits, serve

    if not cache:
        query_pool.CACHE_BYTES = 0  # read when the pool is created, on the first query
    settings = Settings(store=store, base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, open_store(store))
    serve(app, host="127.0.0.1", port=port, limits=Limits.from_settings(settings, 8))


# -- CLI ---------------------------------------------------------------------------------

NAIVE = ("import json, sys\nfrom benchmarks.ingest import naive_ingest\n"
         "naive_ingest(json.load(open(sys.argv[1], encoding='utf-8')))\n")


def cli(report: Report, work_dir: Path, repeat: int, *, ingest_items: int = 5000,
        naive_repeat: int = 2, oxigraph_bin: str | None = None) -> None:
    """Whole-process ``alm-ld --help``, ``validate`` (10 items) and ``ingest`` vs naive.

    With ``oxigraph_bin``, also the floor of the ingest row: Oxigraph's own ``load`` of the
    quads that ingest stored (feed, view lines, alerts, vocabulary), as a whole process too.
    No ingest that stores those quads in that store can take less, so naive / floor is the
    highest ratio the ingest row can reach on this machine."""
    command = alm_ld_command()

    def timed(args: list[str], setup: Callable[[], None] | None = None, runs: int = repeat,
              warm: bool = True) -> dict[str, float]:
        def once() -> None:
            subprocess.run(args, check=True, capture_output=True)

        if warm:  # the page cache and .pyc files, as for any command run twice
            if setup is not None:
                setup()
            once()
        return summary(repeat_timed(once, runs, setup=setup))

    interpreter = timed([sys.executable, "-c", "pass"])
    note = f"bare interpreter start {interpreter['median'] * 1000:.0f} ms"
    helped = timed(command + ["--help"])
    report.add(Row("cli", "`alm-ld --help` (whole process)", "—", helped["min"],
                   helped["median"], runs=helped["n"], note=note))

    small = work_dir / "cli-feed-10.json"
    small.write_text(json.dumps(single_feed(10, tag="cli")), encoding="utf-8")
    validated = timed(command + ["validate", str(small)])
    report.add(Row("cli", "`alm-ld validate FILE` (whole process)", "10 items",
                   validated["min"], validated["median"], runs=validated["n"],
                   target="≤ 0.3 s", note=note))

    feed = work_dir / f"cli-feed-{ingest_items}.json"
    feed.write_text(json.dumps(single_feed(ingest_items, tag="cli")), encoding="utf-8")
    store = work_dir / "cli-store"

    def fresh() -> None:
        shutil.rmtree(store, ignore_errors=True)

    fresh()
    ours = timed(command + ["ingest", "--store", f"oxigraph:{store}", str(feed)], setup=fresh)
    quads = work_dir / "cli-store.nq"
    if oxigraph_bin:  # what the last run stored, for the floor row below
        subprocess.run([oxigraph_bin, "dump", "--location", str(store), "--file", str(quads)],
                       check=True, capture_output=True)
    fresh()
    naive = timed([sys.executable, "-c", NAIVE, str(feed)], runs=naive_repeat, warm=False)
    report.add(Row("cli", "`alm-ld ingest FILE` into a new on-disk store (whole process)",
                   f"{ingest_items} items", ours["min"], ours["median"], runs=ours["n"],
                   baseline="naive jsonschema+pyld+rdflib Memory, whole process",
                   baseline_min=naive["min"], baseline_median=naive["median"],
                   target="≥ 20×", note=f"naive runs: {naive['n']}; includes post-ingest alerts"))
    if oxigraph_bin:
        loaded = work_dir / "cli-load"

        def fresh_load() -> None:
            shutil.rmtree(loaded, ignore_errors=True)

        floor = timed([oxigraph_bin, "load", "--location", str(loaded), "--file", str(quads)],
                      setup=fresh_load)
        fresh_load()
        lines = sum(1 for line in quads.read_bytes().splitlines() if line.strip())
        report.add(Row("cli", "floor: `oxigraph load` of the quads that ingest stored "
                              "(whole process)",
                       f"{ingest_items} items", floor["min"], floor["median"], runs=floor["n"],
                       baseline="naive jsonschema+pyld+rdflib Memory, whole process",
                       baseline_min=naive["min"], baseline_median=naive["median"],
                       note=f"{lines} quads; the ratio here is the most the ingest row can reach; "
                            f"20× needs ≤ {naive['median'] / 20:.2f} s"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="helper servers of the issue-15 rows")
    parser.add_argument("what", choices=("floor", "alm"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--flask", action="store_true", help="floor: a Flask route")
    parser.add_argument("--store", help="alm: the store spec")
    parser.add_argument("--no-cache", action="store_true", help="alm: result cache off")
    options = parser.parse_args(argv)
    if options.what == "floor":
        serve_floor(options.port, options.flask)
    else:
        serve_alm_ld(options.store, options.port, cache=not options.no_cache)


if __name__ == "__main__":
    main()
