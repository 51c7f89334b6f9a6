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
from tests.support.slow_writes import slow_writes

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
        assert reported == [0] and batch.failed == [1] and len(calls) == 2
        assert max_sequence(store) == 1
        store.add_graphs = write  # type: ignore[method-assign]
        # Sent again, the rest goes in with the next sequences, no gap, view caught up.
        results = [ingest_feed(store, doc, settings=Settings(store=spec)) for doc in docs]
        assert [r.status for r in results] == ["unchanged"] + ["created"] * 5
        assert [r.sequence for r in results[1:]] == [2, 3, 4, 5, 6]
        assert feed_iri(docs[1]) in {str(g) for g in store.graph_names()}


def test_feeds_prepared_during_a_write_are_written_together_next(tmp_path: Path) -> None:
    """What makes a batch faster than ingest_feed in a loop, on a store whose reads may run
    during a write: the first write waits (up to 5 s) until the batch has read the store for
    the next feed, which it does only if it did not wait for the write; the feeds prepared
    meanwhile then go as one write."""
    import threading

    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = [feed([count(W[n], n + 1, "2026-05-01")]) for n in range(4)]  # no shared pair
    ids = [feed_iri(doc) for doc in docs]
    with open_store(spec) as store:
        write, query = store.add_graphs, store.query
        read_meanwhile = threading.Event()
        writes: list[list[str]] = []
        batch = FeedBatch(store, settings=Settings(store=spec), on_ingested=lambda *_: None)

        def observed_write(graphs: Any, *args: Any, **kwargs: Any) -> None:
            if not writes:
                assert read_meanwhile.wait(5), "the next feed waited for the write"
            writes.append([name for name, _ in graphs if name in ids])
            write(graphs, *args, **kwargs)

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
        assert writes == [ids[:1], ids[1:]]  # with no overlap: four writes, one feed each
        assert max_sequence(store) == 4


def test_a_write_of_several_feeds_stays_under_the_loaders_one_ingestion(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alm_ld.pipeline import batch as batch_module

    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = [feed([count(W[n], n + 1, "2026-05-01")]) for n in range(6)]
    with open_store(spec) as store:
        write = store.add_graphs
        sizes: list[tuple[int, int]] = []  # (feeds, quads) of each write

        def observed_write(graphs: Any, *args: Any, **kwargs: Any) -> None:
            time.sleep(0.1)  # every next feed is prepared meanwhile
            feeds_in = sum(1 for name, _ in graphs if name.startswith("urn:uuid:"))
            sizes.append((feeds_in, sum(data.count(b"\n") for _, data in graphs)))
            write(graphs, *args, **kwargs)

        store.add_graphs = observed_write  # type: ignore[method-assign]
        one = None
        with FeedBatch(store, settings=Settings(store=spec),
                       on_ingested=lambda *_: None) as batch:
            batch.add(None, docs[0])
            batch.flush()
            one = sizes[0][1]  # the quads of one such feed
            monkeypatch.setattr(batch_module, "GROUP_QUADS", 2 * one + one // 2)
            for doc in docs[1:]:
                batch.add(None, doc)
        assert [n for n, _ in sizes] == [1, 1, 2, 2]  # feeds 2 | 3 4 | 5 6
        assert all(quads <= batch_module.GROUP_QUADS for n, quads in sizes if n > 1)
        assert max_sequence(store) == 6


def test_a_stop_between_a_group_load_and_its_mark_is_repaired_by_the_next_writer(
        tmp_path: Path) -> None:
    """A write of several feeds is one load, then one update of the view's mark. Stopped in
    between, the feeds are stored and the mark is behind all of them: the next ingest folds
    them again, so the view ends as the union-graph rule says."""
    from tests.analytics.test_current_view import by_rule, in_view

    spec = f"oxigraph:{tmp_path / 'store'}"
    docs = feeds()
    batched = [docs[0], docs[1], feed([count(W[5], 4, "2026-05-01")])]  # no shared pair
    with open_store(spec) as store:
        write = store.add_graphs
        loads: list[int] = []

        def stopped_before_the_mark(graphs: Any, then: str | None = None) -> None:
            time.sleep(0.1)
            loads.append(sum(1 for name, _ in graphs if name.startswith("urn:uuid:")))
            if loads[-1] > 1:
                write(graphs)  # the load, not the mark's update
                raise StoreUnavailable("stopped")
            write(graphs, then=then)

        store.add_graphs = stopped_before_the_mark  # type: ignore[method-assign]
        batch = FeedBatch(store, settings=Settings(store=spec), on_ingested=lambda *_: None)
        with pytest.raises(StoreUnavailable), batch:
            for doc in batched:  # the first alone, then two together
                batch.add(None, doc)
        assert loads == [1, 2] and len(batch.failed) == 2
        store.add_graphs = write  # type: ignore[method-assign]
        results = [ingest_feed(store, doc, settings=Settings(store=spec))
                   for doc in batched + docs[2:]]
        assert [r.status for r in results] == ["unchanged"] * 3 + ["created"] * 4
        assert in_view(store) == by_rule(store)
