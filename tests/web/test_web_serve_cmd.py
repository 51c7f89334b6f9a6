"""alm-ld serve: refusing shared in-memory stores, a real waitress run with --demo, and several
worker processes sharing one listening socket on a ``sparql:`` store."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from alm_ld.cli import main
from alm_ld.resources import examples_dir


@pytest.mark.parametrize("spec", ["memory:", "oxigraph:"])
def test_workers_with_in_memory_store_refused(capsys, spec):
    """Every worker would hold its own copy. (An on-disk oxigraph:PATH with --workers > 1 is
    served through a local Oxigraph server: tests/deploy/test_local_server.py.)"""
    code = main(["serve", "--workers", "2", "--store", spec])
    assert code == 2
    assert "sparql:" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_waitress_serves_demo_data_and_accepts_new_feeds(tmp_path):
    """--demo writes the store from a spawned child before serving; the serving process must
    still be able to write (the demo ingest must not leave the store open in it). The thread
    pool is raised to ALM_LD_SSE_MAX + 8 whatever --threads says."""
    port = _free_port()
    env = {**os.environ, "ALM_LD_TOKENS": "demo-token", "ALM_LD_SSE_MAX": "16"}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--demo", "--port", str(port),
             "--store", f"oxigraph:{tmp_path}/store", "--threads", "2"],
            stdout=subprocess.DEVNULL, stderr=out, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        void = requests.get(url + "/.well-known/void", timeout=10)
        assert void.status_code == 200 and "void:triples" in void.text
        feed = json.loads((examples_dir() / "valid-strict.json").read_text(encoding="utf-8"))
        created = requests.post(url + "/feeds", json=feed, timeout=30,
                                headers={"Authorization": "Bearer demo-token"})
        assert created.status_code == 201, created.text
        again = requests.post(url + "/feeds", json=feed, timeout=30,
                              headers={"Authorization": "Bearer demo-token"})
        assert again.status_code == 200
        assert "waitress, 1 worker(s) x 24 threads" in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_unknown_store_spec_is_a_usage_error_before_serving(capsys):
    assert main(["serve", "--store", "bogus:x", "--port", str(_free_port())]) == 2
    assert "Unknown store 'bogus:x'" in capsys.readouterr().err


def test_store_locked_by_another_process_fails_at_start_up(tmp_path):
    """An on-disk store held by another process is reported at start-up (exit 4), not as a
    500 on the first request after the workers have forked."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from alm_ld.store import open_store\n"
         f"store = open_store('oxigraph:{tmp_path}/store')\n"
         "print('open', flush=True)\n"
         "time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        serve = subprocess.run(
            [sys.executable, "-m", "alm_ld", "serve", "--store", f"oxigraph:{tmp_path}/store",
             "--port", str(_free_port())], capture_output=True, text=True, timeout=60)
        assert serve.returncode == 4
        assert "one process at a time" in serve.stderr
    finally:
        holder.kill()
        holder.wait()


def _children(pid: int) -> set[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path, encoding="ascii") as file:
        return {int(child) for child in file.read().split()}


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "alm-ld serve exited"
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer /healthz within {seconds} s")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_share_one_socket_on_a_sparql_store(sparql_store_spec):
    """--workers 2 forks two serving processes after binding; a worker that dies is replaced,
    and SIGTERM to the supervisor stops them all."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alm_ld", "serve", "--demo", "--workers", "2", "--port",
         str(port), "--store", sparql_store_spec], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        workers = _children(proc.pid)
        assert len(workers) == 2
        for _ in range(6):
            work = requests.get(url + "/works/10.7717/peerj.4375", timeout=30,
                                headers={"Accept": "application/ld+json"})
            assert work.status_code == 200
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = _children(proc.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.2)
        assert len(_children(proc.pid)) == 2 and victim not in _children(proc.pid)
        _wait_healthy(url, proc, 20)
        current = _children(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for pid in current:
        assert not os.path.exists(f"/proc/{pid}") or _zombie(pid), f"worker {pid} outlived"


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            return file.read().split(") ")[1].startswith("Z")
    except OSError:
        return True
