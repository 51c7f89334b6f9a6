"""The works index is never built inside a request without a bound: a store without an index
answers ``GET /works`` with 503 ``index-building`` (Retry-After, progress) while one background
thread builds it, then the answer of a fully built index; ``alm-ld serve`` builds it at start."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time

import requests

from alm_ld.analytics import works_index as wi
from alm_ld.analytics.works_list import list_works, parse_works_query
from alm_ld.config import Settings
from tests.sets.conftest import SET_FEEDS, live_server  # noqa: F401  (fixture)
from tests.support.set_feeds import ingested, without_works_index


def _wait_for_200(url: str, seconds: float = 60) -> requests.Response:
    end = time.monotonic() + seconds
    while True:
        response = requests.get(url, timeout=30)
        if response.status_code != 503 or time.monotonic() > end:
            return response
        time.sleep(0.1)


def test_a_store_without_an_index_answers_503_then_the_built_answer(tmp_path,
                                                                    live_server):  # noqa: F811
    spec, store, _ = without_works_index(tmp_path, SET_FEEDS)
    reference = ingested("memory:", SET_FEEDS)
    expected = list_works(reference, parse_works_query(sort="citations:desc"))
    live = live_server(Settings(store=spec, query_timeout=0.2), store)
    url = live.url + "/works?sort=citations:desc"

    index = wi._index_of(store)
    with index.lock:  # the builder cannot finish while this test holds the index
        busy = requests.get(url, timeout=30)  # answered while the build cannot finish
    assert busy.status_code == 503, busy.text
    assert busy.headers["Content-Type"].startswith("application/problem+json")
    assert busy.headers["Retry-After"] == "5"
    problem = busy.json()
    assert problem["type"].endswith("/index-building")
    assert "3 feeds" in problem["detail"]  # not started yet (this test holds the lock)
    assert (problem["feedsFolded"], problem["feedsTotal"]) == (0, 3)

    ready = _wait_for_200(url)
    assert ready.status_code == 200, ready.text
    answer = ready.json()
    assert answer["results"] == expected["results"]
    assert answer["meta"] == expected["meta"]
    assert wi._index_of(store).sequence == 3
    store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _index_mark(path: str) -> int | None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT value FROM info WHERE name = 'sequence'").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def test_serve_builds_the_index_at_start_up(tmp_path):
    spec, store, path = without_works_index(tmp_path, SET_FEEDS)
    store.close()  # the server opens it
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alm_ld", "serve", "--port", str(port), "--store", spec,
             "--threads", "2"], stdout=subprocess.DEVNULL, stderr=out, env=dict(os.environ))
    try:
        end = time.monotonic() + 60
        while _index_mark(path) != 3 and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.2)
        assert _index_mark(path) == 3, log.read_text(errors="replace")
        assert "works index" in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
