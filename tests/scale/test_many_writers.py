"""Issue 14, item 1: exactly one ``created`` per feed id, unique gap-free sequences and every
feed in /changes, with several web workers and several ``alm-ld ingest`` processes writing one
``oxigraph serve`` at once — and with threads on the embedded stores.

Writers are released together by a barrier (threads) or started back to back (processes); no
test sleeps to order them. Every loop is bounded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.mapping import feed_iri
from alm_ld.pipeline import feeds_by_sequence, ingest_feed
from alm_ld.sparql_text import prefixes
from alm_ld.store import claims, open_store
from tests.scale.conftest import Cluster, alm_env
from tests.store.feedgen import synthetic_feed

ITEMS = 12


def _feeds(count: int, seed: int) -> list[dict[str, Any]]:
    return [synthetic_feed(ITEMS, seed=seed, feed_no=n) for n in range(count)]


def _at_once(calls: list[Any]) -> list[Any]:
    """Run the callables in as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _assert_gap_free(sequences: dict[int, list[str]], ids: set[str]) -> None:
    assert sorted(sequences) == list(range(1, len(ids) + 1)), sorted(sequences)
    assert all(len(graphs) == 1 for graphs in sequences.values()), sequences
    assert {graphs[0] for graphs in sequences.values()} == ids


def test_distinct_feeds_posted_at_once_get_1_to_20(cluster: Cluster) -> None:
    docs = _feeds(20, seed=1)
    started = time.monotonic()
    statuses = _at_once([lambda doc=doc: cluster.post(doc) for doc in docs])
    elapsed = time.monotonic() - started
    assert statuses == [201] * 20
    ids = {feed_iri(doc) for doc in docs}
    _assert_gap_free(cluster.sequences(), ids)
    assert set(cluster.ingest_activities().values()) == {1}
    assert sorted(cluster.changed_feeds()) == sorted(ids)
    assert claims.live_claims(cluster.store) == []
    # each worker published its feeds with their view lines and alerts (all 20 revise the
    # same pairs): the result is what one writer makes ingesting them in sequence order
    _as_one_writer_makes(cluster.store, docs)
    print(f"20 distinct feeds at once over 2 workers: {elapsed:.2f} s")


def test_identical_posts_at_once_one_created_the_rest_unchanged(cluster: Cluster) -> None:
    rounds, senders = 10, 8
    docs = _feeds(rounds, seed=2)
    started = time.monotonic()
    for doc in docs:
        statuses = Counter(_at_once([lambda doc=doc: cluster.post(doc)] * senders))
        assert statuses == {201: 1, 200: senders - 1}, statuses
    elapsed = time.monotonic() - started
    ids = {feed_iri(doc) for doc in docs}
    _assert_gap_free(cluster.sequences(), ids)
    assert cluster.ingest_activities() == dict.fromkeys(ids, 1)
    assert sorted(cluster.changed_feeds()) == sorted(ids)
    print(f"{rounds} rounds of {senders} identical POSTs: {elapsed:.2f} s")


def test_two_cli_ingesters_and_http_posts_at_once(cluster: Cluster, tmp_path: Path) -> None:
    """Two ``alm-ld ingest`` processes and HTTP POSTs to both workers, with overlapping
    feeds: every feed is created exactly once, whoever sent it first."""
    docs = _feeds(16, seed=3)
    paths = []
    for n, doc in enumerate(docs):
        path = tmp_path / f"feed{n}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
    command = [sys.executable, "-m", "alm_ld", "ingest", "--store", cluster.spec]
    first = subprocess.Popen(command + paths[0:8], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=alm_env())
    second = subprocess.Popen(command + paths[4:12], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=alm_env())
    session = requests.Session()
    http = [cluster.post(doc, session) for doc in docs[6:16]]
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    cli = [json.loads(line) for out, _ in outputs for line in out.decode().splitlines()]
    created = Counter(r["id"] for r in cli if r["status"] == "created")
    created.update(feed_iri(doc) for doc, code in zip(docs[6:16], http, strict=True)
                   if code == 201)
    ids = {feed_iri(doc) for doc in docs}
    assert created == dict.fromkeys(ids, 1), created
    assert {r["status"] for r in cli} <= {"created", "unchanged"}
    _assert_gap_free(cluster.sequences(), ids)
    assert cluster.ingest_activities() == dict.fromkeys(ids, 1)
    assert sorted(cluster.changed_feeds()) == sorted(ids)


def test_same_id_other_content_at_once_is_one_created_and_conflicts(cluster: Cluster) -> None:
    doc = synthetic_feed(ITEMS, seed=4)
    variants = []
    for n in range(4):
        variant = json.loads(json.dumps(doc))
        variant["items"][0]["value"] = n
        variants.append(variant)

    def send(variant: dict[str, Any]) -> int:
        return requests.post(cluster.url + "/feeds", data=json.dumps(variant).encode(),
                             timeout=120, headers={"Authorization": "Bearer scale-test-token",
                                                   "Content-Type": "application/ld+json"}
                             ).status_code

    statuses = Counter(_at_once([lambda v=v: send(v) for v in variants]))
    assert statuses == {201: 1, 409: 3}, statuses
    assert list(cluster.sequences()) == [1]


@pytest.mark.parametrize("backend", ["oxigraph", "memory"])
def test_embedded_store_threads(backend: str, tmp_path: Path) -> None:
    """Threads of one process on an embedded store: 12 distinct feeds, each sent by 3 threads
    at once."""
    spec = f"oxigraph:{tmp_path / 'store'}" if backend == "oxigraph" else "memory:"
    settings = Settings(store=spec)
    docs = _feeds(12, seed=5)
    with open_store(spec) as store:
        results = _at_once([lambda doc=doc: ingest_feed(store, doc, settings=settings)
                            for doc in docs * 3])
        created = Counter(r.feed_id for r in results if r.status == "created")
        ids = {feed_iri(doc) for doc in docs}
        assert created == dict.fromkeys(ids, 1)
        assert Counter(r.status for r in results) == {"created": 12, "unchanged": 24}
        assert sorted(feeds_by_sequence(store)) == list(range(1, 13))
        assert set(feeds_by_sequence(store).values()) == ids


def test_shared_store_threads_in_one_process(shared_store: str) -> None:
    """The claim protocol with threads of one process (no web layer): 16 writers, 8 feeds.
    The feeds all revise the same (work, metric) pairs, and each is published with the view
    lines and alerts its writer derived: the view, revisions and alerts must come out as one
    writer ingesting the feeds in their sequence order makes them."""
    settings = Settings(store=shared_store)
    docs = _feeds(8, seed=6)
    with open_store(shared_store) as store:
        results = _at_once([lambda doc=doc: ingest_feed(store, doc, settings=settings)
                            for doc in docs * 2])
        assert Counter(r.status for r in results) == {"created": 8, "unchanged": 8}
        assert sorted(feeds_by_sequence(store)) == list(range(1, 9))
        assert claims.live_claims(store) == []
        _as_one_writer_makes(store, docs)


def _as_one_writer_makes(store: Any, docs: list[dict[str, Any]]) -> None:
    """The shared ``store`` holds the view, revisions and alerts that one writer ingesting
    ``docs`` in the store's sequence order makes."""
    from alm_ld.analytics import current_view as cv
    from tests.analytics.test_pair_state import alerts, revisions, view

    order = feeds_by_sequence(store)
    by_id = {feed_iri(doc): doc for doc in docs}
    with open_store("memory:") as alone:
        for sequence in sorted(order):
            ingest_feed(alone, by_id[order[sequence]], settings=Settings(store="memory:"))
        assert cv.view_is_current(store)
        assert view(store) == view(alone)
        assert revisions(store) == revisions(alone)
        assert alerts(store) == alerts(alone)


def test_a_dead_writers_claim_expires_without_a_gap(shared_store: str) -> None:
    """A claim whose writer died blocks its sequence for one lease; the next writer then takes
    that very sequence (no gap), and the stale claim is cleaned up."""
    settings = Settings(store=shared_store, claim_lease=2.0, ingest_wait=30.0)
    with open_store(shared_store) as store:
        ingest_feed(store, synthetic_feed(ITEMS, seed=7, feed_no=0), settings=settings)
        dead = claims.new_claim_iri()
        claims.claim(store, dead, 2, "https://example.org/feeds/dead", settings.claim_lease)
        started = time.monotonic()
        result = ingest_feed(store, synthetic_feed(ITEMS, seed=7, feed_no=1), settings=settings)
        waited = time.monotonic() - started
        assert result.status == "created" and result.sequence == 2
        assert 1.0 <= waited < 15, waited
        assert sorted(feeds_by_sequence(store)) == [1, 2]
        assert claims.live_claims(store) == []


def test_a_claim_older_than_half_the_lease_cannot_publish(shared_store: str) -> None:
    """A writer that stalled after winning its sequence must not publish once others may
    treat its claim as dead: the store evaluates the claim's age when it applies the update."""
    with open_store(shared_store) as store:
        mine = claims.new_claim_iri()
        feed = "https://example.org/feeds/slow"
        claims.claim(store, mine, 1, feed, lease=1.0)
        assert claims.alone(store, mine, 1, feed, lease=1.0)
        time.sleep(0.6)  # the subject of the test: a writer stalled past half its lease
        data = (f"<{feed}> <https://w3id.org/alm-ld/vocab#sequence> "
                '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n').encode()
        claims.publish(store, mine, 1, feed, data, lease=1.0)
        rows = store.query(prefixes("alm") + "SELECT ?g WHERE { GRAPH ?g { ?g alm:sequence 1 } }")
        assert rows.rows == []
        assert claims.live_claims(store) == []


def test_a_staged_publication_refuses_a_sequence_already_taken(shared_store: str) -> None:
    """Staged (past the update chunk), a publication with more graphs than the feed's — its
    view lines and alerts, each in a staging graph of its own — keeps the condition of the
    one-request form: a sequence published meanwhile makes it write nothing."""
    from rdflib import URIRef

    with open_store(shared_store, settings=Settings(update_chunk=1)) as store:
        ingest_feed(store, synthetic_feed(ITEMS, seed=8, feed_no=0),
                    settings=Settings(store=shared_store))
        mine, feed = claims.new_claim_iri(), "https://example.org/feeds/late"
        claims.claim(store, mine, 1, feed, lease=60.0)
        extra = "https://example.org/graphs/extra"
        data = (f"<{feed}> <https://w3id.org/alm-ld/vocab#sequence> "
                '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                f"<{feed}> <https://example.org/p> <https://example.org/o> .\n").encode()
        claims.publish(store, mine, 1, feed, data, lease=60.0, also=[(extra, (
            b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n"
            b"<https://example.org/a> <https://example.org/b> <https://example.org/d> .\n"))])
        assert not store.has_graph(URIRef(feed))
        assert not store.has_graph(URIRef(extra))
        assert claims.live_claims(store) == []


def test_the_update_chunk_is_chosen_by_engine_unless_set(shared_store: str) -> None:
    """Staging costs the store a copy and a drop of every triple, so only engines that need
    small requests (Virtuoso) get the 1000-triple default; Oxigraph takes whole feeds."""
    from alm_ld.store.sparql import DEFAULT_UPDATE_CHUNK, OXIGRAPH_UPDATE_CHUNK

    with open_store(shared_store) as store:
        assert store.update_chunk == OXIGRAPH_UPDATE_CHUNK > DEFAULT_UPDATE_CHUNK
    with open_store(shared_store, settings=Settings(update_chunk=300)) as store:
        assert store.update_chunk == 300
    assert Settings.from_env({"ALM_LD_UPDATE_CHUNK": "250"}).update_chunk == 250
    assert Settings.from_env({}).update_chunk is None
