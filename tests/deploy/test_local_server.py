"""``alm-ld serve --store oxigraph:PATH --workers N``: one command, N serving processes over
one on-disk store, through a local ``oxigraph serve`` that the command starts, restarts when it
dies and stops when it stops (alm_ld/store/local_server.py). The folder stays an ordinary
embedded store: the same documents come back from ``--workers 1`` afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time

import pytest
import requests

from alm_ld.resources import examples_dir
from alm_ld.store import open_store

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]

WORK = "/works/10.7717/peerj.4375"
JSONLD = {"Accept": "application/ld+json"}
BASE = {"ALM_LD_BASE_URL": "http://alm-ld.test"}  # the same documents from both runs


def _children(pid: int) -> dict[int, str]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as file:
        pids = [int(child) for child in file.read().split()]
    found = {}
    for child in pids:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as file:
                command = file.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # skip zombies (no command line) and multiprocessing's helper (from --demo)
        if command.strip() and "resource_tracker" not in command:
            found[child] = command
    return found


def _gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as file:
                if file.read().split(") ")[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.2)
    return False


def _server_pid(served) -> int:
    servers = [pid for pid, cmd in _children(served.process.pid).items()
               if "oxigraph" in cmd.split()[0]]
    assert len(servers) == 1, _children(served.process.pid)
    return servers[0]


def test_workers_over_an_embedded_store(tmp_path, serve_factory):
    store = f"oxigraph:{tmp_path}/store"
    served = serve_factory("--demo", "--workers", "2", "--store", store,
                           env={"ALM_LD_TOKENS": "t", **BASE})
    served.wait_healthy()
    log = served.stderr()
    assert "served by a local Oxigraph" in log and "2 worker(s)" in log
    children = _children(served.process.pid)
    assert len(children) == 3  # two workers and the Oxigraph server
    server = _server_pid(served)
    assert "--union-default-graph" in children[server]
    assert f"{tmp_path}/store" in children[server]

    document = requests.get(served.url + WORK, headers=JSONLD, timeout=30)
    assert document.status_code == 200
    health = requests.get(served.url + "/healthz", timeout=10).json()
    assert health["checks"] == {"writable": True, "unionDefaultGraph": "vocabulary"}

    # Writes through any worker land in the one store.
    feed = json.loads((examples_dir() / "valid-strict.json").read_text(encoding="utf-8"))
    created = requests.post(served.url + "/feeds", json=feed, timeout=60,
                            headers={"Authorization": "Bearer t"})
    assert created.status_code == 201, created.text

    # The workers share the folder's works index file (ALM_LD_WORKS_INDEX), not one each in
    # memory: GET /works, answered by either worker, builds it once beside the folder.
    index = tmp_path / "store.works-index.sqlite3"
    deadline = time.monotonic() + 60
    answers = []
    while len(answers) < 4:
        listed = requests.get(served.url + "/works?sort=citations:desc", timeout=30)
        if listed.status_code == 200:
            answers.append(listed.json())
        else:
            assert listed.status_code == 503, listed.text
            assert time.monotonic() < deadline, served.stderr()
            time.sleep(0.2)
    assert index.exists()
    assert all(a == answers[0] for a in answers) and answers[0]["meta"]["count"] > 0

    # The server dies: the supervisor restarts it on the same port; the workers recover.
    os.kill(server, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(served.url + "/healthz", timeout=10).status_code == 200 and \
                    _server_pid(served) != server:
                break
        except (requests.RequestException, AssertionError):
            pass
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.3)
    assert "restarting it" in served.stderr()
    again = requests.get(served.url + WORK, headers=JSONLD, timeout=30)
    assert again.json() == document.json()

    # SIGTERM stops workers and server; the folder is free for an embedded open again.
    everything = set(_children(served.process.pid))
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(60) == 0
    for pid in everything:
        assert _gone(pid), f"{pid} outlived the supervisor"
    with open_store(store) as embedded:
        assert embedded.has_graph(_feed_graph(feed))

    # The same documents from one embedded process.
    single = serve_factory("--store", store, env=BASE)
    single.wait_healthy()
    alone = requests.get(single.url + WORK, headers=JSONLD, timeout=30)
    assert alone.json() == document.json()


def _feed_graph(feed: dict):
    from rdflib import URIRef

    return URIRef(feed["id"])


def test_supervisor_killed_takes_server_and_workers_with_it(tmp_path, serve_factory):
    """SIGKILL leaves no chance to clean up: PR_SET_PDEATHSIG stops the server (freeing the
    folder's lock) and the workers (no orphan keeps accepting on the shared socket)."""
    store = f"oxigraph:{tmp_path}/store"
    served = serve_factory("--workers", "2", "--store", store)
    served.wait_healthy()
    everything = set(_children(served.process.pid))
    assert len(everything) == 3
    served.process.kill()
    served.process.wait(30)
    for pid in everything:
        assert _gone(pid), f"{pid} outlived a killed supervisor"
    with open_store(store) as embedded:  # the lock is free
        assert embedded.quads_count() > 0


def test_folder_locked_by_another_process_is_exit_4(tmp_path, serve_factory):
    import subprocess

    holder = subprocess.Popen(
        [sys.executable, "-c", "import time\nfrom alm_ld.store import open_store\n"
         f"store = open_store('oxigraph:{tmp_path}/store')\nprint('open', flush=True)\n"
         "time.sleep(120)\n"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        served = serve_factory("--workers", "2", "--store", f"oxigraph:{tmp_path}/store")
        assert served.wait_exit(90) == 4
        assert "alm-ld: Store unavailable: " in served.stderr()
    finally:
        holder.kill()
        holder.wait()


def test_a_taken_port_at_first_start_moves_to_another(tmp_path):
    """The free port is found by binding port 0 and letting it go; if another program takes it
    before the server binds, the first start tries another port (the server's own error line,
    not its stack backtrace, is what a failure would quote)."""
    import socket

    from alm_ld.store.local_server import LocalOxigraphServer

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        server = LocalOxigraphServer(str(tmp_path / "store"), query_timeout=5, port=taken)
        try:
            server.start()
            assert server.port != taken and server.alive()
            assert open_store(server.spec).quads_count() >= 0
        finally:
            server.stop()
    assert not server.alive()


def test_a_server_that_keeps_dying_stops_the_service_with_exit_4(tmp_path, serve_factory):
    """Restarted at most 3 times a minute; the 4th death stops workers and supervisor, exit 4,
    with one line saying why."""
    served = serve_factory("--workers", "2", "--store", f"oxigraph:{tmp_path}/store")
    served.wait_healthy()
    killed: set[int] = set()
    deadline = time.monotonic() + 120
    while served.process.poll() is None:
        assert time.monotonic() < deadline, served.stderr()
        try:
            pid = _server_pid(served)
        except (AssertionError, OSError):
            time.sleep(0.1)
            continue
        if pid not in killed:
            killed.add(pid)
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    assert served.process.wait(60) == 4
    assert len(killed) == 4, served.stderr()
    last = served.stderr().strip().splitlines()[-1]
    assert last.startswith("alm-ld: Store unavailable: The local Oxigraph server for ")
    assert "exited 4 times within 60 s" in last


def test_workers_dying_in_a_loop_stop_the_service_with_exit_4(tmp_path, serve_factory):
    """More than 2 × workers deaths within 10 s: the supervisor stops everything (the local
    server too, which frees the folder) and exits 4 with one line, instead of 0."""
    served = serve_factory("--workers", "2", "--store", f"oxigraph:{tmp_path}/store")
    served.wait_healthy()
    killed: set[int] = set()
    deadline = time.monotonic() + 60
    while served.process.poll() is None:
        assert time.monotonic() < deadline, served.stderr()
        try:
            workers = [pid for pid, cmd in _children(served.process.pid).items()
                       if "oxigraph" not in cmd.split()[0]]
        except OSError:
            continue
        for pid in workers:
            if pid not in killed:
                killed.add(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    assert served.process.wait(60) == 4
    last = served.stderr().strip().splitlines()[-1]
    assert last.startswith("alm-ld: Internal error: The worker processes exited ")
    with open_store(f"oxigraph:{tmp_path}/store") as embedded:  # the local server is gone
        assert embedded.quads_count() > 0
