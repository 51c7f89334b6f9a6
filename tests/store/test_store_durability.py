"""Kill (SIGKILL) an ingesting process at random moments: afterwards every feed in the store is
whole or absent, and every feed acknowledged before the kill is there and whole — feed by feed
and in a FeedBatch, which writes several feeds in one load."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alm_ld.mapping import IngestContext, map_feed_ntriples
from alm_ld.store import open_store
from tests.store.feedgen import synthetic_feed

ROOT = Path(__file__).resolve().parent.parent.parent
SIZE, PER_RUN, RUNS = 400, 6, 4


def _expected_triples(n: int) -> int:
    ctx = IngestContext(sequence=1, ingested_at="2026-01-01T00:00:00Z", content_hash="x",
                        ingest_iri="https://w3id.org/alm-ld/id/ingest/x")
    data, _ = map_feed_ntriples(synthetic_feed(SIZE, seed=7, feed_no=n, work_offset=n * SIZE),
                                ctx)
    return data.count(b"\n")


def _triples_per_feed(path: Path) -> dict[str, int]:
    store = open_store(f"oxigraph:{path}")
    try:
        rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                           "GROUP BY ?g").rows
        return {str(r["g"]): int(r["n"]) for r in rows}
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("mode", ["one by one", "batch"])
def test_sigkill_leaves_feeds_whole_or_absent(tmp_path: Path, mode: str) -> None:
    rng = random.Random(20261124)
    path = tmp_path / "store"
    acknowledged: set[str] = set()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for run in range(RUNS):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.store.durability_worker", str(path),
             str(run * PER_RUN), str(PER_RUN), str(SIZE), *(["batch"] if mode == "batch" else [])],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Wait for the first acknowledged feed (start-up time varies with machine load), then
        # kill at a random moment during the following ingests.
        first = process.stdout.readline() if process.stdout else b""
        acknowledged.update(first.decode().split())
        time.sleep(rng.uniform(0.0, 1.5))
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=60)
        acknowledged.update(out.decode().split())
        counts = _triples_per_feed(path)
        for run_before in range(run + 1):
            for n in range(run_before * PER_RUN, (run_before + 1) * PER_RUN):
                feed = f"https://example.org/feeds/7/{n}"
                if feed in counts:
                    assert counts[feed] == _expected_triples(n), f"{feed} is partial"
                else:
                    assert feed not in acknowledged, f"acknowledged {feed} was lost"
    assert acknowledged, "no feed was ever acknowledged: the kill came too early every time"
