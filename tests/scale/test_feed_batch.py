"""Issue 15: a batch of feeds (``alm_ld.pipeline.batch.FeedBatch``, what ``alm-ld ingest`` and
the bulk benchmark use) prepares the next feed while the previous one is written, and stores
exactly what ingesting the feeds one at a time stores: same graphs, sequences, revisions, view
and alerts. Writes are slowed here so that every next feed is prepared while a write is in
flight (the case a wrong rule would show)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.errors import FeedConflict, InvalidFeed, StoreUnavailable
from alm_ld.mapping import feed_iri
from alm_ld.pipeline import ingest_feed, max_sequence
from alm_ld.pipeline.batch import FeedBatch
from alm_ld.store import open_store
from alm_ld.store.base import Store
from tests.analytics.feeds import count, event, feed

W = [f"https://doi.org/10.5555/batch.{i}" for i in range(6)]


def feeds() -> list[dict[str, Any]]:
    """Feeds that share (work, metric) pairs with the one before them and feeds that don't:
    revisions, a decreasing count (an alert), a second source, an event."""
    return [
        feed([count(W[0], 10, "2026-05-01"), count(W[1], 5, "2026-05-01")]),
        feed([count(W[2], 7, "2026-05-01"), count(W[3], 1, "2026-05-01", metric="views")]),
        feed([count(W[0], 12, "2026-05-01"), count(W[2], 3, "2026-06-01")]),
        feed([count(W[4], 2, "2026-05-01"),
              event(W[4], "discusses", "https://en.wikipedia.org/wiki/X")]),
        feed([count(W[4], 2, "2026-05-01", source="opencitations"),
              count(W[1], 9, "2026-06-01")]),
        feed([count(W[2], 8, "2026-06-01"), count(W[5], 4, "2026-05-01")]),
    ]


def contents(store: Store) -> set[tuple[str, ...]]:
    """Every quad, with what differs between two runs by design (ingest activity IRIs, clock
    times) masked."""
    rows = store.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    masked = set()
    for row in rows:
        terms = [str(row[name]) for name in ("g", "s", "p", "o")]
        terms = [re.sub(r"ingest/[0-9a-f-]{36}", "ingest/*", term) for term in terms]
        masked.add(tuple(re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:[\d.]+(Z|\+00:00)$", "<time>", term)
                         for term in terms))
    return masked


def slow_writes(store: Store, pause: float = 0.15) -> list[int]:
    """Delay each of the store's ingest writes; returns the list of writes started."""
    started: list[int] = []
    write = store.add_graphs

    def delayed(*args: Any, **kwargs: Any) -> None:
        started.append(len(started))
        time.sleep(pause)
        write(*args, **kwargs)

    store.add_graphs = delayed  # type: ignore[method-assign]
    return started


@pytest.fixture(params=["oxigraph", "memory", "sparql"])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory:"
    elif request.param == "oxigraph":
        yield f"oxigraph:{tmp_path / 'store'}"
    else:
        yield request.getfixturevalue("sparql_store_spec")


def test_a_batch_stores_what_one_feed_at_a_time_stores(spec: str, tmp_path: Path) -> None:
    docs = feeds()
    reference_spec = f"oxigraph:{tmp_path / 'reference'}"
    with open_store(reference_spec) as reference:
        for doc in docs:
            ingest_feed(reference, doc, settings=Settings(store=reference_spec))
        expected = contents(reference)
    reported: list[tuple[int, int | None, str]] = []
    with open_store(spec) as store:
        slow_writes(store)
        with FeedBatch(store, settings=Settings(store=spec),
                       on_ingested=lambda tag, r: reported.append((tag, r.sequence, r.status))
                       ) as batch:
            for number, doc in enumerate(docs):
                batch.add(number, doc)
        assert reported == [(n, n + 1, "created") for n in range(len(docs))]
        assert contents(store) == expected


def test_feeds_are_reported_in_order_and_a_bad_one_raises_after_the_earlier_ones(
        tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'store'}"
    first, second, third = feeds()[:3]
    invalid = dict(feed([count(W[5], 1, "2026-05-01")]), provider={"name": "no id"})
    clash = dict(first, items=[count(W[5], 99, "2026-05-01")])  # first's id, other content
    reported: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    with open_store(spec) as store:
        slow_writes(store)
        with FeedBatch(store, settings=Settings(store=spec),
                       on_ingested=lambda tag, r: reported.append((tag, r.status))) as batch:
            for tag, doc in (("1", first), ("2", second), ("bad", invalid), ("3", third),
                             ("1 again", first), ("clash", clash)):
                try:
                    batch.add(tag, doc)
                except (InvalidFeed, FeedConflict) as error:
                    # Every feed before the bad one is stored and reported before it raises.
                    errors.append((tag, type(error).__name__))
                    assert [t for t, _ in reported] == ["1", "2", "3", "1 again"][:len(reported)]
                    assert len(reported) == {"bad": 2, "clash": 4}[tag]
        assert errors == [("bad", "InvalidFeed"), ("clash", "FeedConflict")]
        assert reported == [("1", "created"), ("2", "created"), ("3", "created"),
                            ("1 again", "unchanged")]
        assert max_sequence(store) == 3


def test_a_failed_write_stops_the_batch_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = feeds()
    reported: list[int] = []
    with open_store(spec) as store:
        write = store.add_graphs
        calls: list[int] = []

        def failing_second(*args: Any, **kwargs: Any) -> None:
            calls.append(1)
            time.sleep(0.1)
            if len(calls) == 2:
                raise StoreUnavailable("the disk is full")
            write(*args, **kwargs)

        store.add_graphs = failing_second  # type: ignore[method-assign]
        batch = FeedBatch(store, settings=Settings(store=spec),
                          on_ingested=lambda tag, r: reported.append(tag))
        with pytest.raises(StoreUnavailable, match="disk is full"), batch:
            for number, doc in enumerate(docs):
                batch.add(number, doc)
        # The first feed was reported; the second failed; the third, prepared meanwhile
        # from a store that was to hold the second, was never written.
        assert reported == [0] and batch.failed == 1 and len(calls) == 2
        assert max_sequence(store) == 1
        store.add_graphs = write  # type: ignore[method-assign]
        # Sent again, the rest goes in with the next sequences, no gap, view caught up.
        results = [ingest_feed(store, doc, settings=Settings(store=spec)) for doc in docs]
        assert [r.status for r in results] == ["unchanged"] + ["created"] * 5
        assert [r.sequence for r in results[1:]] == [2, 3, 4, 5, 6]
        assert feed_iri(docs[1]) in {str(g) for g in store.graph_names()}


def test_the_next_feed_is_prepared_while_the_previous_one_is_written(tmp_path: Path) -> None:
    """What makes a batch faster than ingest_feed in a loop, on a store whose reads may run
    during a write: each write waits (up to 5 s) until the batch has read the store for the
    next feed, which it does only if it did not wait for the write."""
    import threading

    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = [feed([count(W[n], n + 1, "2026-05-01")]) for n in range(4)]  # no shared pair
    with open_store(spec) as store:
        write, query = store.add_graphs, store.query
        read_meanwhile = threading.Event()
        overlapped: list[bool] = []
        batch = FeedBatch(store, settings=Settings(store=spec), on_ingested=lambda *_: None)

        def observed_write(*args: Any, **kwargs: Any) -> None:
            last = len(overlapped) == len(docs) - 1  # no next feed to read for
            overlapped.append(not last and read_meanwhile.wait(5))
            read_meanwhile.clear()
            write(*args, **kwargs)

        def observed_query(*args: Any, **kwargs: Any) -> Any:
            # A read of this thread while the batch has a write it has not waited for yet.
            if (threading.current_thread() is threading.main_thread()
                    and batch._in_flight is not None):
                read_meanwhile.set()
            return query(*args, **kwargs)

        store.add_graphs = observed_write  # type: ignore[method-assign]
        store.query = observed_query  # type: ignore[method-assign]
        with batch:
            for doc in docs:
                batch.add(None, doc)
        # Every write but the last had the next feed read for while it was under way.
        assert overlapped == [True, True, True, False]  # with no overlap: four times False
        assert max_sequence(store) == 4
