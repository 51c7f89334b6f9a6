"""alm-ld serve: refusing shared embedded stores, and a real gunicorn run with --demo."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests

from alm_ld.cli import main


def test_workers_with_embedded_store_refused(capsys, tmp_path):
    code = main(["serve", "--workers", "2", "--store", f"oxigraph:{tmp_path}/s"])
    assert code == 2
    assert "sparql:" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_demo_data(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alm_ld", "serve", "--demo", "--port", str(port),
         "--store", f"oxigraph:{tmp_path}/store", "--threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    finally:
        proc.terminate()
        proc.wait(timeout=20)
