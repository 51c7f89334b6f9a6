"""How ``GET /works/{id}`` throughput grows with serving processes on one machine (issue 14).

    python -m benchmarks.workers_bench [--works 1000] [--workers 1,2,4] [--clients 8]

Each configuration is the real command a deployment runs, ``alm-ld serve`` (waitress) over the
same on-disk store, started and stopped here by its own pid:

* ``--workers 1`` over ``oxigraph:PATH``: one process, the store embedded (the baseline);
* ``--workers 1`` over ``sparql:`` to a local ``oxigraph serve`` on the same folder: what the
  extra HTTP hop to the store costs, with no second process to gain from;
* ``--workers N`` (N > 1) over ``oxigraph:PATH``: ``alm-ld serve`` starts the local Oxigraph
  server itself (alm_ld/store/local_server.py) and forks N workers.

The load is ``clients`` threads in this process with keep-alive connections (the harness of
:mod:`benchmarks.http_bench`, the same for every configuration), best and median of ``repeat``
runs. Every process — clients, workers, Oxigraph — shares the machine's cores, so on 2 cores
the curve flattens at 2 workers; the numbers are what this machine gives, not a law.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks import http_bench, ingest
from benchmarks.report import Report, Row


def _serve_args(store: str, workers: int, port: int) -> list[str]:
    return [sys.executable, "-m", "alm_ld", "serve", "--store", store, "--workers",
            str(workers), "--port", str(port)]


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc``; empty elsewhere)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as file:
                todo.extend(int(child) for child in file.read().split())
        except OSError:
            continue
    return found


def _cpu_seconds(pids: list[int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each process tree, by program name:
    ``oxigraph`` (the store server) and ``python`` (alm-ld's workers)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    used: dict[str, float] = {}
    for root in pids:
        for pid in _tree(root):
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as file:
                    fields = file.read().rsplit(") ", 1)[1].split()
                with open(f"/proc/{pid}/comm", encoding="ascii") as file:
                    name = "oxigraph" if "oxigraph" in file.read() else "python"
            except OSError:
                continue
            used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return used


def _throughput(port: int, paths: list[str], clients: int, per_client: int,
                repeat: int, pids: list[int]) -> tuple[list[float], dict[str, float]]:
    """Requests per second of each run (sorted), and the server side's CPU milliseconds per
    request over all runs, by program (what bounds throughput when the cores are busy)."""
    http_bench.load(port, paths, "application/ld+json", clients=clients,
                    per_client=max(1, per_client // 4))  # warm-up
    before = _cpu_seconds(pids)
    runs = [http_bench.load(port, paths, "application/ld+json", clients=clients,
                            per_client=per_client) for _ in range(repeat)]
    after = _cpu_seconds(pids)
    requests = sum(run["requests"] for run in runs)
    cpu = {f"cpu_ms_per_request_{name}": round((after[name] - before.get(name, 0.0)) * 1000
                                                / requests, 2) for name in after}
    return sorted(run["rps"] for run in runs), cpu


@contextmanager
def _running(args: list[str], port: int, probe: str) -> Iterator[int]:
    """Like :func:`benchmarks.http_bench.running`, yielding the process id (for CPU use)."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        http_bench._wait_up(port, process, probe)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(report: Report, works: int, store_dir: Path, oxigraph_bin: str | None, *,
        worker_counts: tuple[int, ...] = (1, 2, 4), clients: int = 8, per_client: int = 100,
        repeat: int = 3) -> dict[str, float]:
    """Add one row per configuration (ratio against ``--workers 1`` embedded); return req/s."""
    size = f"{works} works"
    paths = http_bench.work_paths(works)
    store = f"oxigraph:{store_dir}"
    measured: dict[str, list[float]] = {}
    cpu: dict[str, dict[str, float]] = {}
    for workers in worker_counts:
        port = http_bench.free_port()
        name = f"--workers {workers}"
        with _running(_serve_args(store, workers, port), port, "/healthz") as pid:
            measured[name], cpu[name] = _throughput(port, paths, clients, per_client, repeat,
                                                    [pid])
        if workers == 1 and oxigraph_bin:
            args, ox_port, probe = http_bench.oxigraph_server(oxigraph_bin, store_dir)
            with _running(args, ox_port, probe) as ox_pid:
                port = http_bench.free_port()
                url = f"http://127.0.0.1:{ox_port}"
                remote = f"sparql:{url}/query;{url}/update"
                name = "--workers 1 over a local oxigraph serve"
                with _running(_serve_args(remote, 1, port), port, "/healthz") as pid:
                    measured[name], cpu[name] = _throughput(port, paths, clients, per_client,
                                                            repeat, [pid, ox_pid])
    base = measured["--workers 1"] if 1 in worker_counts else None
    for name, runs in measured.items():
        report.add(Row("http", f"GET /works/{{id}} throughput, alm-ld serve {name}, "
                       f"{clients} clients", size, runs[-1], runs[len(runs) // 2],
                       unit="req/s", runs=repeat,
                       baseline="--workers 1 (embedded store)" if base and runs is not base
                       else None,
                       baseline_min=base[-1] if base and runs is not base else None,
                       baseline_median=base[len(base) // 2] if base and runs is not base
                       else None,
                       note="min column = best run; ratio = speed-up over one process; "
                       + ", ".join(f"{k.rsplit('_', 1)[1]} {v} ms CPU/request"
                                   for k, v in sorted(cpu[name].items())),
                       extra=cpu[name]))
    return {name: runs[len(runs) // 2] for name, runs in measured.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workers_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    from benchmarks.runner import find_oxigraph
    from benchmarks.tools import remove

    work_dir = ingest.temp_dir()
    store_dir = work_dir / f"store-{options.works}"
    report = Report()
    try:
        ingest.bulk_ingest(report, options.works, store_dir, feed_size=1000,
                           without_alerts=False)
        run(report, options.works, store_dir, find_oxigraph(),
            worker_counts=tuple(int(n) for n in options.workers.split(",")),
            clients=options.clients, per_client=options.per_client, repeat=options.repeat)
    finally:
        remove(work_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
