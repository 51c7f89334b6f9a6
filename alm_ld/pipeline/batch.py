"""Ingest many feeds in a row, each still its own atomic write, with the next feed prepared
while the previous one is written (issue 15: bulk ingest at the loader's rate).

Why: on an embedded Oxigraph store a feed's write is one bulk load, Rust code that releases
the GIL and keeps one core busy; validating, mapping and deriving the next feed is Python that
keeps the other one busy. One feed after the other, the two costs add up; here they overlap,
so a batch runs at about the rate of the slower of the two instead of their sum.

What keeps it exact: the next feed is derived from the store as it was before the write in
flight (:func:`alm_ld.analytics.feed_derived.derive_feed` reads only the view nodes, states
and histories of the feed's own (work, metric) pairs). That is the store after the write for
every pair the write does not touch, so a feed is prepared early only when it shares no pair
and not its id with the feed being written; otherwise it waits for the write, as
:func:`~alm_ld.pipeline.ingest_feed` would. Its sequence is the one after the feed in flight:
the batch holds :data:`~alm_ld.pipeline.INGEST_LOCK` from start to end, so no other ingest of
this process can come between (an embedded store has no other writer process).

Each feed is reported (``on_ingested``) once its write is durable and its post-ingest hook
has run, in the order given. A feed that cannot be ingested raises from :meth:`FeedBatch.add`
after every earlier feed was reported, so a caller that goes on keeps its output in order.
A failed write raises too, and the feeds after it are not written (nothing acknowledged is
lost; nothing half-written is left: each write is the same as ingest_feed's).

Stores whose reads may not run during a write (rdflib's Memory store) write each feed before
preparing the next. Shared stores (``sparql:``, whose writers claim their sequence in the
store) and a process that writes feeds without their derived data (a benchmark's switch)
ingest each feed with :func:`~alm_ld.pipeline.ingest_feed`. ``on_ingested`` must not ingest
into the same store itself: the batch holds the ingest lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from rdflib import URIRef

from alm_ld import pipeline
from alm_ld.config import Settings
from alm_ld.errors import FeedConflict, InvalidFeed
from alm_ld.mapping import content_hash, feed_counts, feed_iri
from alm_ld.pipeline import IngestResult
from alm_ld.store.base import Store

Reporter = Callable[[Any, IngestResult], None]
"""Called with the tag given to :meth:`FeedBatch.add` and the feed's result."""


@dataclass
class _InFlight:
    """A feed being written in a thread (or written already, when the store cannot overlap)."""

    tag: Any
    written: Any  # pipeline._WithDerived
    pairs: frozenset[tuple[str, str]]
    thread: threading.Thread | None
    error: BaseException | None = None

    def run(self, store: Store) -> None:
        try:
            pipeline.write_derived(store, self.written)
        except BaseException as error:  # noqa: BLE001 - raised again by FeedBatch.flush
            self.error = error


class FeedBatch:
    """``with FeedBatch(store, settings=..., on_ingested=report) as batch: batch.add(tag, doc)``
    (see the module docstring). ``profile``: the validation profile of every feed."""

    def __init__(self, store: Store, *, settings: Settings, on_ingested: Reporter,
                 profile: str = "base") -> None:
        self.store, self.settings, self.profile = store, settings, profile
        self._report = on_ingested
        self._plain = store.shared or not pipeline.DERIVED_AT_INGEST
        """Each feed by ingest_feed (which takes its own lock, or the store's claims)."""
        self._overlap = store.reads_while_writing and not self._plain
        self._in_flight: _InFlight | None = None
        self._next_sequence: int | None = None
        """The next feed's sequence when the view is known to be just before it."""
        self._locked = False
        self.failed: Any = None
        """The tag of the feed whose write failed (what :meth:`flush` raised for)."""

    def __enter__(self) -> FeedBatch:
        if not self._plain:
            pipeline.INGEST_LOCK.acquire()
            self._locked = True
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if error is None:
                self.flush()
            else:  # report a write that went in; what is raised already says what failed
                with contextlib.suppress(Exception):
                    self.flush()
        finally:
            if self._locked:
                self._locked = False
                pipeline.INGEST_LOCK.release()

    def add(self, tag: Any, doc: object) -> None:
        """Ingest ``doc`` (bytes, str or parsed JSON); report it (or raise) in order."""
        if self._plain:
            self._report(tag, pipeline.ingest_feed(self.store, doc, settings=self.settings,
                                                   profile=self.profile))
            return
        try:
            feed = pipeline.checked_feed(doc, settings=self.settings, profile=self.profile)
        except InvalidFeed:
            self.flush()
            raise
        if self.store not in pipeline._REPAIRED:  # as ingest_feed: once per opened store
            self.flush()
            pipeline._REPAIRED.add(self.store)
            pipeline.repair_derived(self.store, self.settings)
            self._next_sequence = None
        feed_id, digest = feed_iri(feed), content_hash(feed)
        counts = feed_counts(feed)
        pairs = frozenset((count.work, count.metric) for count in counts)
        flight = self._in_flight
        if flight is not None and (flight.written.result.feed_id == feed_id
                                   or not pairs.isdisjoint(flight.pairs)):
            self.flush()  # the feed reads what the write in flight changes: wait for it
        try:
            stored = pipeline._stored_result(self.store, feed, feed_id, digest)
        except FeedConflict:
            self.flush()
            raise
        if stored is not None:
            self.flush()
            self._after(tag, stored, written=False)
            return
        sequence = self._sequence()
        if sequence is None:  # the view could not be caught up: the feed goes alone
            self._write_alone(tag, feed, feed_id, digest)
            return
        written = pipeline._with_derived(self.store, feed, feed_id, digest, sequence,
                                         self.settings, counts)
        self.flush()
        self._start(_InFlight(tag, written, pairs, None))

    def flush(self) -> None:
        """Wait for the write in flight and report its feed (raise if the write failed)."""
        flight, self._in_flight = self._in_flight, None
        if flight is None:
            return
        if flight.thread is not None:
            flight.thread.join()
        if flight.error is not None:
            self._next_sequence, self.failed = None, flight.tag
            raise flight.error
        self._next_sequence = flight.written.sequence + 1
        self._after(flight.tag, flight.written.result, written=True)

    def _sequence(self) -> int | None:
        """The next feed's sequence, the view caught up to just before it (else None)."""
        if self._in_flight is not None:
            return self._in_flight.written.sequence + 1
        if self._next_sequence is not None:
            return self._next_sequence
        sequence = pipeline.max_sequence(self.store) + 1
        return sequence if pipeline._view_ready(self.store, sequence) else None

    def _start(self, flight: _InFlight) -> None:
        self._in_flight = flight
        if not self._overlap:
            flight.run(self.store)
            self.flush()
            return
        flight.thread = threading.Thread(target=flight.run, args=(self.store,),
                                         name="alm-ld feed write", daemon=True)
        flight.thread.start()

    def _write_alone(self, tag: Any, feed: dict[str, Any], feed_id: str, digest: str) -> None:
        """What ingest_feed does when the view is behind: the feed alone, the view after."""
        self._next_sequence = None
        sequence = pipeline.max_sequence(self.store) + 1
        data, result, _ = pipeline._mapped(self.store, feed, feed_id, digest, sequence)
        self.store.add_graph(URIRef(feed_id), data)
        self._after(tag, result, written=False)

    def _after(self, tag: Any, result: IngestResult, *, written: bool) -> None:
        pipeline._after_ingest(self.store, result, self.settings, written)
        if not written:
            self._next_sequence = None  # the hook may have caught the view up (or not)
        self._report(tag, result)


__all__ = ["FeedBatch", "Reporter"]
