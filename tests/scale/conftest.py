"""Many writers over one shared store, for real: an ``oxigraph serve`` (the PyPI ``oxigraph``
binary, ``--union-default-graph``) and an ``alm-ld serve --workers 2 --store sparql:…`` in front
of it, each a subprocess on a free 127.0.0.1 port, fresh per test (so sequences start at 1).
``alm-ld ingest`` processes are started by the tests themselves. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from alm_ld.sparql_text import prefixes
from alm_ld.store import Store, open_store
from tests.conftest import _oxigraph_binary
from tests.processes import free_port, stop, wait_ready

TOKEN = "scale-test-token"


def alm_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "ALM_LD_TOKENS": TOKEN, "ALM_LD_QUERY_TIMEOUT": "30",
            "ALM_LD_STORE_WRITE_TIMEOUT": "30", **extra}


@dataclass
class Cluster:
    """The shared store and the web service in front of it."""

    spec: str
    url: str
    store: Store

    def post(self, doc: dict[str, Any], session: requests.Session | None = None) -> int:
        response = (session or requests).post(
            self.url + "/feeds", data=json.dumps(doc).encode(), timeout=120,
            headers={"Authorization": f"Bearer {TOKEN}",
                     "Content-Type": "application/ld+json"})
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return response.status_code

    def sequences(self) -> dict[int, list[str]]:
        """sequence → every feed graph carrying it (two feeds on one number would show)."""
        rows = self.store.query(prefixes("alm") + """
SELECT ?g ?seq WHERE { GRAPH ?g { ?g alm:sequence ?seq } }""").rows
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(int(row["seq"]), []).append(str(row["g"]))
        return found

    def ingest_activities(self) -> dict[str, int]:
        """feed id → number of ingest activities its graph names (one when ingested once)."""
        rows = self.store.query(prefixes("alm", "prov") + """
SELECT ?g (COUNT(DISTINCT ?act) AS ?n) WHERE {
  GRAPH ?g { ?g alm:sequence ?seq ; prov:wasGeneratedBy ?act } } GROUP BY ?g""").rows
        return {str(row["g"]): int(row["n"]) for row in rows}

    def changed_feeds(self) -> list[str]:
        """The feeds (AS2 ``context``) of every item /changes lists from the beginning, in
        order, following ``next`` until a page comes back empty."""
        seen: list[str] = []
        url = self.url + "/changes?since=2000-01-01T00:00:00Z&limit=1000"
        for _ in range(200):
            page = requests.get(url, timeout=60).json()
            if not page["orderedItems"]:
                return seen
            for item in page["orderedItems"]:
                if not seen or seen[-1] != item["context"]:
                    seen.append(item["context"])
            url = page["next"]
        raise AssertionError("/changes did not end within 200 pages")


def start_oxigraph(location: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [_oxigraph_binary(), "serve", "--location", str(location), "--bind",
         f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_ready(process, base + "/query?query=ASK%7B%7D", "oxigraph serve")
    return process, f"sparql:{base}/query;{base}/update"


@pytest.fixture
def shared_store(tmp_path: Path) -> Iterator[str]:
    """A fresh ``oxigraph serve``; yields its ``sparql:`` spec."""
    process, spec = start_oxigraph(tmp_path / "oxigraph")
    try:
        yield spec
    finally:
        stop(process)
        shutil.rmtree(tmp_path / "oxigraph", ignore_errors=True)


@pytest.fixture
def cluster(shared_store: str, tmp_path: Path) -> Iterator[Cluster]:
    """``alm-ld serve --workers 2`` over the fresh shared store."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--workers", "2", "--threads", "8",
             "--port", str(port), "--store", shared_store],
            stdout=out, stderr=subprocess.STDOUT, env=alm_env(ALM_LD_BASE_URL=url))
    try:
        wait_ready(process, url + "/healthz", "alm-ld serve")
        with open_store(shared_store, load_vocabulary=False) as store:
            yield Cluster(shared_store, url, store)
    finally:
        stop(process)
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
