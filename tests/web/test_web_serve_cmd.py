"""alm-ld serve: refusing shared embedded stores, and a real gunicorn run with --demo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import requests

from alm_ld.cli import main
from alm_ld.resources import examples_dir


def test_workers_with_embedded_store_refused(capsys, tmp_path):
    code = main(["serve", "--workers", "2", "--store", f"oxigraph:{tmp_path}/s"])
    assert code == 2
    assert "sparql:" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_demo_data_and_accepts_new_feeds(tmp_path):
    """--demo writes the store before gunicorn forks its worker; the worker must still be able
    to write (RocksDB's threads do not survive a fork, so the demo ingest must not leave the
    store open in the master)."""
    port = _free_port()
    env = {**os.environ, "ALM_LD_TOKENS": "demo-token"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "alm_ld", "serve", "--demo", "--port", str(port),
         "--store", f"oxigraph:{tmp_path}/store", "--threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
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
