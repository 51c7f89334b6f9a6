"""Issue 14 on Virtuoso 7: the concurrency cases of ``tests/scale`` against ``alm-ld serve
--workers 2`` over the session's Virtuoso (``cluster`` and ``shared_store`` of this package's
conftest), with tests/scale's own helpers. One cluster serves all the HTTP cases in turn (a
cluster start costs seconds): distinct feeds at once, identical feeds at once (one 201, the
rest 200), two ``alm-ld ingest`` processes with HTTP posts on overlapping feeds, then
gap-free sequences, one ingest activity per feed and every feed in ``/changes``. The claim
protocol's lease cases are tests/scale's very tests, imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from alm_ld.mapping import feed_iri
from alm_ld.store import claims
from tests.scale.conftest import Cluster, alm_env
from tests.scale.test_many_writers import (  # noqa: F401 - collected here, over Virtuoso
    _assert_gap_free,
    _at_once,
    _feeds,
    test_a_claim_older_than_half_the_lease_cannot_publish,
    test_a_dead_writers_claim_expires_without_a_gap,
)


def test_many_writers_over_virtuoso(cluster: Cluster, tmp_path: Path) -> None:
    started = time.monotonic()
    distinct = _feeds(10, seed=21)
    assert _at_once([lambda doc=doc: cluster.post(doc) for doc in distinct]) == [201] * 10
    after_distinct = time.monotonic() - started

    identical = _feeds(3, seed=22)
    for doc in identical:
        statuses = Counter(_at_once([lambda doc=doc: cluster.post(doc)] * 6))
        assert statuses == {201: 1, 200: 5}, statuses

    mixed = _feeds(6, seed=23)
    paths = []
    for n, doc in enumerate(mixed):
        path = tmp_path / f"feed{n}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
    command = [sys.executable, "-m", "alm_ld", "ingest", "--store", cluster.spec]
    ingesters = [subprocess.Popen(command + part, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=alm_env())
                 for part in (paths[0:4], paths[2:6])]
    http = [cluster.post(doc) for doc in mixed[3:6]]
    outputs = [process.communicate(timeout=120) for process in ingesters]
    assert [p.returncode for p in ingesters] == [0, 0], outputs
    cli = [json.loads(line) for out, _ in outputs for line in out.decode().splitlines()]
    created = Counter(r["id"] for r in cli if r["status"] == "created")
    created.update(feed_iri(doc) for doc, code in zip(mixed[3:6], http, strict=True)
                   if code == 201)
    assert created == {feed_iri(doc): 1 for doc in mixed}, created

    ids = {feed_iri(doc) for doc in distinct + identical + mixed}
    _assert_gap_free(cluster.sequences(), ids)
    assert cluster.ingest_activities() == dict.fromkeys(ids, 1)
    assert sorted(cluster.changed_feeds()) == sorted(ids)
    assert claims.live_claims(cluster.store) == []
    print(f"Virtuoso, 2 workers: 10 distinct feeds at once {after_distinct:.2f} s; "
          f"all cases {time.monotonic() - started:.2f} s")
