"""Backup and restore as docs/deploy.md describes them, on a folder served by
``alm-ld serve --workers 2`` (the local Oxigraph server holds it): ``oxigraph backup`` and
``oxigraph dump`` read the live folder, ``alm-ld dump`` through the printed ``sparql:`` spec
works while ``alm-ld dump --store oxigraph:PATH`` is refused (exit 4, one process at a time), and
both the backup folder and ``alm-ld load`` of the dump serve the same document afterwards."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from alm_ld.store.local_server import oxigraph_binary

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PDEATHSIG")]

WORK = "/works/10.7717/peerj.4375"
JSONLD = {"Accept": "application/ld+json"}
BASE = {"ALM_LD_BASE_URL": "http://alm-ld.test"}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alm_ld", *args], capture_output=True,
                          text=True, timeout=120)


def _document(serve_factory, store: str) -> dict:
    served = serve_factory("--store", store, env=BASE)
    served.wait_healthy()
    try:
        answer = requests.get(served.url + WORK, headers=JSONLD, timeout=30)
        assert answer.status_code == 200
        return answer.json()
    finally:
        served.stop()


def test_backup_and_dump_while_serving_then_restore(tmp_path, serve_factory):
    folder = tmp_path / "store"
    served = serve_factory("--demo", "--workers", "2", "--store", f"oxigraph:{folder}", env=BASE)
    served.wait_healthy()
    document = requests.get(served.url + WORK, headers=JSONLD, timeout=30).json()
    spec = re.search(r"--store '(sparql:[^']+)'", served.stderr()).group(1)

    backup = subprocess.run([oxigraph_binary(), "backup", "--location", str(folder),
                             "--destination", str(tmp_path / "backup")],
                            capture_output=True, text=True, timeout=120)
    assert backup.returncode == 0, backup.stderr[-500:]
    raw = subprocess.run([oxigraph_binary(), "dump", "--location", str(folder), "--file",
                          str(tmp_path / "raw.nq")], capture_output=True, text=True,
                         timeout=120)
    assert raw.returncode == 0 and (tmp_path / "raw.nq").stat().st_size > 0, raw.stderr[-500:]
    dumped = _cli("dump", "--store", spec, "--output", str(tmp_path / "dump.nq"))
    assert dumped.returncode == 0, dumped.stderr
    locked = _cli("dump", "--store", f"oxigraph:{folder}", "--output", str(tmp_path / "x.nq"))
    assert locked.returncode == 4
    assert locked.stderr.startswith("alm-ld: Store unavailable: ")
    served.stop()

    assert _document(serve_factory, f"oxigraph:{tmp_path / 'backup'}") == document
    loaded = _cli("load", str(tmp_path / "dump.nq"), "--store", f"oxigraph:{tmp_path / 'r'}")
    assert loaded.returncode == 0, loaded.stderr
    assert _document(serve_factory, f"oxigraph:{tmp_path / 'r'}") == document
