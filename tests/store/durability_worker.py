"""Run by test_store_durability.py: ingest synthetic feeds into an oxigraph: store, printing
the id of each acknowledged feed; the test SIGKILLs this process at a random moment. A fifth
argument ``batch`` ingests them as one FeedBatch (several feeds to a write)."""

from __future__ import annotations

import sys

from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.pipeline.batch import FeedBatch
from alm_ld.store import open_store
from tests.store.feedgen import synthetic_feed

if __name__ == "__main__":
    path, first, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    batched = sys.argv[5:] == ["batch"]
    store = open_store(f"oxigraph:{path}")
    feeds = (synthetic_feed(size, seed=7, feed_no=n, work_offset=n * size)
             for n in range(first, first + count))
    if batched:
        with FeedBatch(store, settings=Settings(),
                       on_ingested=lambda _, result: print(result.feed_id, flush=True)) as batch:
            for feed in feeds:
                batch.add(None, feed)
    else:
        for feed in feeds:
            result = ingest_feed(store, feed, settings=Settings(), profile="base")
            print(result.feed_id, flush=True)
    store.close()
