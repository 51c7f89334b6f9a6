"""Ingest many feeds in a row, each still atomic, at the rate of the store's loader rather
than the sum of the loader and Python (issue 15: bulk ingest).

Why: on an embedded Oxigraph store a feed's write is a bulk load, Rust code that releases the
GIL; validating, mapping and deriving the next feed is Python. One feed after the other, the
two costs add up and each feed's load builds and ingests its own set of SST files into a
growing store. Here the feeds prepared while one write is under way are written together
next, as ONE load (under :data:`GROUP_QUADS`, what the loader ingests in one step): the
loader and Python run at the same time, and the store takes fewer, larger ingestions.

What keeps it exact: a feed is derived from the store as it was before the writes not yet
done (:func:`alm_ld.analytics.feed_derived.derive_feed` reads only the view nodes, states and
histories of the feed's own (work, metric) pairs, and the view holds nothing but per-pair
nodes and its mark). That is the store after those writes for every pair they do not touch,
so a feed is prepared early only when it shares no pair and not its id with any feed not yet
written; otherwise those are written first, as :func:`~alm_ld.pipeline.ingest_feed` would.
Its sequence is the next after them: the batch holds :data:`~alm_ld.pipeline.INGEST_LOCK`
from start to end, so no other ingest of this process can come between (an embedded store
has no other writer process).

Each feed is reported (``on_ingested``) once its write is durable and its post-ingest hook
has run, in the order given. A feed that cannot be ingested raises from :meth:`FeedBatch.add`
after every earlier feed was reported, so a caller that goes on keeps its output in order.
A failed write raises too, and the feeds after it are not written (nothing acknowledged is
lost; a write is one ingestion, so its feeds are all stored or none is; a stop between the
load and the mark's update is repaired by the next writer, as after a single feed).

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
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from alm_ld import pipeline
from alm_ld.config import Settings
from alm_ld.errors import FeedConflict, InvalidFeed
from alm_ld.mapping import content_hash, feed_counts, feed_iri
from alm_ld.pipeline import IngestResult
from alm_ld.store.base import Store

Reporter = Callable[[Any, IngestResult], None]
"""Called with the tag given to :meth:`FeedBatch.add` and the feed's result."""

GROUP_QUADS = 900_000
"""At most this many quads (N-Triples lines: feeds, view lines, alerts) in one write of
several feeds. Oxigraph's bulk loader ingests up to 1,000,000 quads as one set of SST files
(measured: 900k quads add one file per column family, 1.1M two), so a write under it lands
whole or not at all, and so does each of its feeds; a larger single feed goes alone, as
:func:`~alm_ld.pipeline.ingest_feed` writes it. Why this near the ceiling: each write is
one more set of SST files for the store to compact, and that cost grows with the store.
450k (tried: ~35 % less peak RSS, 12-20 % faster for small feeds into a small store) fell
to about half the rate past 500k works on the way to 1M (docs/performance.md)."""


@dataclass
class _Write:
    """Prepared feeds of consecutive sequences, written as one load (see the module
    docstring); ``thread`` while the write is under way."""

    feeds: list[tuple[Any, pipeline.PreparedFeed]] = field(default_factory=list)
    """(tag, prepared feed), in sequence order"""
    pairs: set[tuple[str, str]] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    quads: int = 0
    thread: threading.Thread | None = None
    error: BaseException | None = None

    def touches(self, feed_id: str, pairs: frozenset[tuple[str, str]]) -> bool:
        return feed_id in self.ids or not pairs.isdisjoint(self.pairs)

    def add(self, tag: Any, written: pipeline.PreparedFeed, pairs: frozenset[tuple[str, str]],
            quads: int) -> None:
        self.feeds.append((tag, written))
        self.pairs |= pairs
        self.ids.add(written.result.feed_id)
        self.quads += quads

    @property
    def last_sequence(self) -> int:
        return self.feeds[-1][1].sequence

    def run(self, store: Store) -> None:
        try:
            pipeline.write_derived_together(store, [written for _, written in self.feeds])
        except BaseException as error:  # noqa: BLE001 - raised again by FeedBatch.flush
            self.error = error


def _quads(written: pipeline.PreparedFeed) -> int:
    """N-Triples lines of a prepared feed: its graph, its view lines, its alerts."""
    return (written.data.count(b"\n") + len(written.derived.view_added)
            + written.alerts[1].count(b"\n"))


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
        self._in_flight: _Write | None = None
        """The write under way (a thread), prepared from the store before it."""
        self._group: _Write | None = None
        """Feeds prepared after the write under way, to be written together after it."""
        self._next_sequence: int | None = None
        """The next feed's sequence when the view is known to be just before it."""
        self._locked = False
        self.failed: list[Any] = []
        """The tags of the feeds whose write failed (what :meth:`flush` raised for)."""
        self.dropped: list[Any] = []
        """The tags of the feeds prepared after that write and therefore not written: they
        were derived from a store that was to hold it (see :meth:`_finish`)."""

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
            else:  # finish and report what was prepared; what is raised says what failed
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
        if not pipeline.repaired(self.store):  # as ingest_feed: once per opened store
            self.flush()
            pipeline.repair_once(self.store, self.settings)
            self._next_sequence = None
        feed_id, digest = feed_iri(feed), content_hash(feed)
        counts = feed_counts(feed)
        pairs = frozenset((count.work, count.metric) for count in counts)
        if any(write is not None and write.touches(feed_id, pairs)
               for write in (self._in_flight, self._group)):
            self.flush()  # the feed reads what an unwritten feed changes: write those first
        try:
            stored = pipeline.stored_result(self.store, feed, feed_id, digest)
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
        written = pipeline.prepare_feed(self.store, feed, feed_id, digest, sequence,
                                        self.settings, counts)
        quads = _quads(written)
        if self._group is not None and self._group.quads + quads > GROUP_QUADS:
            self._rotate()
        if self._group is None:
            self._group = _Write()
        self._group.add(tag, written, pairs, quads)
        if self._in_flight is None or not self._overlap:
            self._rotate()  # the writer is idle: keep it busy

    def flush(self) -> None:
        """Write every prepared feed and report it (raise if a write failed; the feeds after
        a failed write are not written)."""
        try:
            self._rotate()
        finally:
            self._finish()

    def _rotate(self) -> None:
        """Wait for the write under way, report it, and start writing the group."""
        self._finish()
        group, self._group = self._group, None
        if group is None:
            return
        self._in_flight = group
        if not self._overlap:
            group.run(self.store)
            self._finish()
            return
        group.thread = threading.Thread(target=group.run, args=(self.store,),
                                        name="alm-ld feed write", daemon=True)
        group.thread.start()

    def _finish(self) -> None:
        """Wait for the write under way and report its feeds."""
        write, self._in_flight = self._in_flight, None
        if write is None:
            return
        if write.thread is not None:
            write.thread.join()
        if write.error is not None:
            # The feeds prepared after it were derived from a store that was to hold it.
            self.dropped = [tag for tag, _ in self._group.feeds] if self._group else []
            self._group, self._next_sequence = None, None
            self.failed = [tag for tag, _ in write.feeds]
            raise write.error
        self._next_sequence = write.last_sequence + 1
        for tag, written in write.feeds:
            self._after(tag, written.result, written=True)

    def _sequence(self) -> int | None:
        """The next feed's sequence, the view caught up to just before it (else None)."""
        for write in (self._group, self._in_flight):
            if write is not None:
                return write.last_sequence + 1
        if self._next_sequence is not None:
            return self._next_sequence
        sequence = pipeline.max_sequence(self.store) + 1
        return sequence if pipeline.view_ready(self.store, sequence) else None

    def _write_alone(self, tag: Any, feed: dict[str, Any], feed_id: str, digest: str) -> None:
        """What ingest_feed does when the view is behind: the feed alone, the view after."""
        sequence = pipeline.max_sequence(self.store) + 1
        result = pipeline.write_alone(self.store, feed, feed_id, digest, sequence)
        self._after(tag, result, written=False)

    def _after(self, tag: Any, result: IngestResult, *, written: bool) -> None:
        pipeline.after_ingest(self.store, result, self.settings, written)
        if not written:
            self._next_sequence = None  # the hook may have caught the view up (or not)
        self._report(tag, result)


__all__ = ["GROUP_QUADS", "FeedBatch", "Reporter"]
