"""Ingest: validated feed → one named graph, atomically and idempotently; plus the read side
(current counts, time series) as library functions with the SPARQL documented in docs/store.md.

Ingest semantics (docs/store.md, "Ingest semantics" and "Many writers"):

* an invalid feed raises :class:`~alm_ld.errors.InvalidFeed` with every problem; nothing is
  written;
* a feed id already stored with the same content hash (sha256 of canonical JSON) is
  ``unchanged`` and nothing is written; with another hash it raises
  :class:`~alm_ld.errors.FeedConflict` (a feed id names one immutable document);
* otherwise the whole named graph is written with ``alm:sequence`` = previous maximum + 1,
  with its derived data (revisions, current-value view lines, alerts) computed from the feed
  and the view before: in the same load on a store this process owns
  (:func:`_write_with_derived`), in the same publishing operation on a shared store
  (:func:`_publish_with_derived`); only a shared store whose view is behind publishes the feed
  alone and computes the rest right after;
* a re-send of a stored feed recomputes derived data that is missing (a process that stopped
  between the commit and its alerts), so ``unchanged`` always leaves the feed complete.

Who decides the sequence (docs/store.md, "Many writers"): on a store this process owns (embedded
``oxigraph:``, whose folder RocksDB locks to one process, and ``memory:``) a process-wide lock
serialises "read the previous sequence and current observations, then write". On a ``shared``
store (``sparql:``) that lock means nothing to the other processes, so the store arbitrates:
each writer claims the next sequence in the store, checks it is alone, and publishes the feed
and deletes its claim in one update (:mod:`alm_ld.store.claims`). Either way: exactly one
``created`` per feed id, sequences unique and without gaps, re-sends ``unchanged``.

The steps of one ingest that :mod:`alm_ld.pipeline.batch` also takes, in its own order, are
public here (:func:`stored_result`, :func:`view_ready`, :func:`prepare_feed` →
:class:`PreparedFeed`, :func:`write_derived_together`, :func:`write_alone`,
:func:`after_ingest`, :func:`repaired`/:func:`repair_once`): one definition of each step
for both writers.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rdflib import URIRef

from alm_ld.config import Settings
from alm_ld.errors import FeedConflict, InvalidFeed, StoreUnavailable
from alm_ld.identifiers import work_iri
from alm_ld.mapping import (
    FeedCount,
    IngestContext,
    content_hash,
    feed_counts,
    feed_iri,
    feed_keys,
    map_feed_ntriples,
    observation_key,
)
from alm_ld.sparql_text import bind_iri, iri, prefixes, values
from alm_ld.store import claims
from alm_ld.store.base import Store
from alm_ld.validate import parse_feed_bytes, validate_feed
from alm_ld.vocab import ID_NS

INGEST_LOCK = threading.Lock()
"""One ingest at a time per process on a store this process owns (see the module docstring)."""
_BACKOFF = random.Random()
"""Pauses between lost claim rounds (random, so that colliding writers drift apart)."""

PREFIXES = prefixes("alm", "prov")
_log = logging.getLogger(__name__)
_VALUES_CHUNK = 400


@dataclass
class IngestResult:
    feed_id: str
    status: str  # "created" | "unchanged"
    items: int
    observations: int
    events: int
    sequence: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.feed_id, "items": self.items, "observations": self.observations,
                "events": self.events, "status": self.status}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _counts(doc: dict[str, Any]) -> tuple[int, int, int]:
    items = doc.get("items", [])
    kinds = [item.get("type") for item in items]
    return len(items), kinds.count("Count"), kinds.count("Event")


def checked_feed(doc: object, *, settings: Settings, profile: str = "base") -> dict[str, Any]:
    """The parsed feed if it is valid under ``profile``; else :class:`InvalidFeed`."""
    if isinstance(doc, bytes | bytearray | memoryview):
        doc = parse_feed_bytes(bytes(doc), settings=settings)
    elif isinstance(doc, str):
        doc = parse_feed_bytes(doc.encode("utf-8"), settings=settings)
    report = validate_feed(doc, profile, settings=settings)
    if not report.valid:
        errors = [p for p in report.to_dict()["problems"] if p.get("severity") != "warning"]
        first = errors[0]["message"] if errors else "see problems"
        raise InvalidFeed(
            f"The feed is not valid under the {profile!r} profile "
            f"({len(errors)} problem{'s' if len(errors) != 1 else ''}; first: {first})",
            problems=report.to_dict()["problems"])
    assert isinstance(doc, dict)
    return doc


def stored_hash(store: Store, feed_id: str) -> str | None:
    result = store.query(bind_iri(
        f"{PREFIXES}SELECT ?hash WHERE {{ GRAPH ?feed {{ ?feed alm:contentHash ?hash }} }}",
        "feed", feed_id))
    return str(result.rows[0]["hash"]) if result.rows else None


def max_sequence(store: Store) -> int:
    result = store.query(
        f"{PREFIXES}SELECT (MAX(?seq) AS ?max) WHERE {{ GRAPH ?g {{ ?g alm:sequence ?seq }} }}")
    if result.rows and result.rows[0].get("max") is not None:
        return int(result.rows[0]["max"])
    return 0


def current_observations(store: Store, works: Iterable[str]) -> dict[str, str]:
    """observation key → IRI of its current observation (highest feed sequence), for ``works``."""
    best: dict[str, tuple[int, str]] = {}
    works = sorted(set(works))
    for start in range(0, len(works), _VALUES_CHUNK):
        chunk = values("work", works[start:start + _VALUES_CHUNK])
        result = store.query(f"""{PREFIXES}
SELECT ?obs ?work ?metric ?source ?agg ?start ?end ?seq WHERE {{
  {chunk}
  GRAPH ?g {{ ?obs alm:work ?work ; alm:metric ?metric ; alm:source ?source ;
                 alm:aggregation ?agg ; alm:periodEnd ?end .
             OPTIONAL {{ ?obs alm:periodStart ?start }} }}
  GRAPH ?g {{ ?g alm:sequence ?seq }}
}}""")
        for row in result.rows:
            key = observation_key(
                str(row["work"]), str(row["metric"]), str(row["source"]),
                str(row["agg"]).rsplit("#", 1)[-1], str(row["start"]) if "start" in row else None,
                str(row["end"]))
            seq = int(row["seq"])
            if key not in best or seq > best[key][0]:
                best[key] = (seq, str(row["obs"]))
    return {key: iri for key, (_, iri) in best.items()}


def ingest_feed(store: Store, doc: object, *, settings: Settings,
                profile: str = "base") -> IngestResult:
    """Validate and ingest one feed (bytes, str or parsed JSON); see the module docstring."""
    feed = checked_feed(doc, settings=settings, profile=profile)
    repair_once(store, settings)
    feed_id = feed_iri(feed)  # the stored form of the id (see mapping.feed_iri)
    digest = content_hash(feed)
    written = False  # whether the feed's view and alerts went with it
    if store.shared:
        result, written = _ingest_shared(store, feed, feed_id, digest, settings)
    else:
        with INGEST_LOCK:
            result = stored_result(store, feed, feed_id, digest)
            if result is None:
                sequence = max_sequence(store) + 1
                if DERIVED_AT_INGEST and view_ready(store, sequence):
                    result = _write_with_derived(store, feed, feed_id, digest, sequence,
                                                 settings)
                    written = True
                else:
                    result = write_alone(store, feed, feed_id, digest, sequence)
    after_ingest(store, result, settings, written)
    return result


DERIVED_AT_INGEST = True
"""Write each feed with its view lines and alerts (benchmarks switch it off, in a child
process only, to measure validate + map + store alone)."""


def repaired(store: Store) -> bool:
    """Whether this process already ran :func:`repair_derived` on ``store``."""
    return store in _REPAIRED


def repair_once(store: Store, settings: Settings) -> bool:
    """Run :func:`repair_derived` on the first ingest into a store this process opened
    (ingest_feed and :mod:`alm_ld.pipeline.batch`); True when it ran now."""
    if store in _REPAIRED:
        return False
    _REPAIRED.add(store)
    repair_derived(store, settings)
    return True


def write_alone(store: Store, feed: dict[str, Any], feed_id: str, digest: str,
                sequence: int) -> IngestResult:
    """The feed's graph alone, for a writer whose view is behind (its view lines and alerts
    come after, from :func:`after_ingest`)."""
    data, result, _ = _mapped(store, feed, feed_id, digest, sequence)
    store.add_graph(URIRef(feed_id), data)
    return result


def view_ready(store: Store, sequence: int) -> bool:
    """Whether the view holds every feed before ``sequence`` (what computing the new feed's
    view lines from the feed relies on), catching an older or interrupted view up first —
    a writer repairs, a reader never does."""
    from alm_ld.analytics.current_view import view_sequence

    if view_sequence(store) == sequence - 1:
        return True
    refresh_derived(store)
    return view_sequence(store) == sequence - 1


def _write_with_derived(store: Store, feed: dict[str, Any], feed_id: str, digest: str,
                        sequence: int, settings: Settings) -> IngestResult:
    """Ingest on a store this process owns (under the lock): revisions, view lines and alerts
    computed from the feed plus ONE read of the stored observations of its (work, metric)
    pairs (:mod:`alm_ld.analytics.feed_derived`), then feed graph, view lines and alert graph
    written as one load and the view's mark moved by one small update. A process stopped
    between the two leaves the mark behind: readers then use the union-graph rule and the
    next writer refolds the feed (pipeline.view_ready)."""
    written = prepare_feed(store, feed, feed_id, digest, sequence, settings)
    write_derived_together(store, [written])
    return written.result


def write_derived_together(store: Store, feeds: list[PreparedFeed]) -> None:
    """Feeds of consecutive sequences, each with its view lines and alert graph, as ONE load
    and then one update that moves the view's mark to the last (:mod:`alm_ld.pipeline.batch`
    writes several feeds that share no (work, metric) pair so, in a thread). Each feed is
    whole or absent after a stop as long as the load is one ingestion of the store's loader;
    the caller keeps it under that size (``batch.GROUP_QUADS``). A stop before the update
    leaves the mark behind every feed of the load: the next writer refolds them, as for one."""
    from alm_ld.analytics.current_view import VIEW_GRAPH, mark_update

    graphs: list[tuple[str, bytes]] = []
    alert_graphs: list[tuple[str, bytes]] = []
    view: list[str] = []
    removed: list[str] = []
    for written in feeds:
        alert_graph, alerts = written.alerts
        if store.has_graph(URIRef(alert_graph)):  # left by an older attempt at this feed id
            store.update(f"DROP SILENT GRAPH {iri(alert_graph)}")
        graphs.append((written.result.feed_id, written.data))
        alert_graphs.append(written.alerts)
        view += written.derived.view_added
        removed += written.derived.view_removed
    lines = "".join(line + "\n" for line in view).encode("utf-8")
    store.add_graphs([*graphs, (VIEW_GRAPH, lines), *alert_graphs],
                     then=mark_update(removed, feeds[-1].sequence))


@dataclass
class PreparedFeed:
    """A feed mapped for ``sequence`` with what it derives (both writers' common part),
    ready for :func:`write_derived_together`."""

    data: bytes
    result: IngestResult
    ingest_iri: str
    derived: Any  # alm_ld.analytics.feed_derived.FeedDerived (analytics is imported lazily)
    alerts: tuple[str, bytes]
    """(alert graph name, its N-Triples)"""

    @property
    def sequence(self) -> int:
        assert self.result.sequence is not None  # a created feed always has its sequence
        return self.result.sequence


def prepare_feed(store: Store, feed: dict[str, Any], feed_id: str, digest: str,
                 sequence: int, settings: Settings,
                 counts: list[FeedCount] | None = None) -> PreparedFeed:
    """The feed's revisions, view delta and alerts from the view at ``sequence - 1``
    (:mod:`alm_ld.analytics.feed_derived`), and its graph mapped with those revisions.
    ``counts``: :func:`~alm_ld.mapping.feed_counts` of ``feed`` when the caller has them."""
    from alm_ld.analytics.feed_derived import derive_feed
    from alm_ld.analytics.hooks import feed_alert_data

    counts = feed_counts(feed) if counts is None else counts
    derived = derive_feed(store, feed_id, sequence, counts, settings)
    ingest_iri = f"{ID_NS}ingest/{uuid.uuid4()}"
    ctx = IngestContext(sequence=sequence, ingested_at=_now(), content_hash=digest,
                        ingest_iri=ingest_iri, previous=derived.previous)
    data, summary = map_feed_ntriples(feed, ctx, counts)
    result = IngestResult(feed_id, "created", summary.items, summary.observations,
                          summary.events, sequence)
    return PreparedFeed(data, result, ingest_iri, derived,
                        feed_alert_data(feed_id, derived.alerts))


def stored_result(store: Store, feed: dict[str, Any], feed_id: str,
                  digest: str) -> IngestResult | None:
    """``unchanged`` when the feed is stored with this content; :class:`FeedConflict` when its
    id is stored with other content; ``None`` when it is not stored."""
    existing = stored_hash(store, feed_id)
    if existing is None and store.has_graph(URIRef(feed_id)):
        # Published by another writer between the two reads, or a graph that is no feed.
        existing = stored_hash(store, feed_id) or ""
    if existing == digest:
        return IngestResult(feed_id, "unchanged", *_counts(feed))
    if existing is not None:
        raise FeedConflict(
            f"A different feed with id {feed_id} is already stored. A feed id names one "
            "document forever: send changed data as a new feed with a new id.",
            feedId=feed_id)
    return None


def _mapped(store: Store, feed: dict[str, Any], feed_id: str, digest: str,
            sequence: int) -> tuple[bytes, IngestResult, str]:
    """The feed's graph as N-Triples for ``sequence``, its result, and its ingest activity IRI.

    Revisions (``prov:wasRevisionOf``) point at the current observations of feeds 1 ..
    ``sequence - 1``, so this runs only once ``sequence`` is this writer's."""
    previous: dict[str, str] = {}
    if sequence > 1:
        keys = feed_keys(feed)
        if keys:
            previous = current_observations(store, {key.split("|", 1)[0] for key in keys})
    ingest_iri = f"{ID_NS}ingest/{uuid.uuid4()}"
    ctx = IngestContext(sequence=sequence, ingested_at=_now(), content_hash=digest,
                        ingest_iri=ingest_iri, previous=previous)
    data, summary = map_feed_ntriples(feed, ctx)
    return data, IngestResult(feed_id, "created", summary.items, summary.observations,
                              summary.events, sequence), ingest_iri


def _ingest_shared(store: Store, feed: dict[str, Any], feed_id: str, digest: str,
                   settings: Settings) -> tuple[IngestResult, bool]:
    """Ingest into a store other processes write too: claim, check, publish
    (:mod:`alm_ld.store.claims`; docs/store.md, "Many writers"), again with a random, growing
    pause after each lost round, until ``settings.ingest_wait`` seconds have passed. Returns
    the result and whether the feed's view lines and alerts were published with it."""
    lease = settings.claim_lease
    deadline = time.monotonic() + settings.ingest_wait
    rounds = 0
    derived_lost = False
    while True:
        stored = stored_result(store, feed, feed_id, digest)
        if stored is not None:
            return stored, False
        sequence = max_sequence(store) + 1
        claim_iri = claims.new_claim_iri()
        published = False
        claims.claim(store, claim_iri, sequence, feed_id, lease)
        try:
            if claims.alone(store, claim_iri, sequence, feed_id, lease):
                written = (DERIVED_AT_INGEST and not derived_lost
                           and _view_at(store, sequence - 1))
                if written:
                    result, ingest_iri = _publish_with_derived(
                        store, feed, feed_id, digest, sequence, claim_iri, settings)
                else:
                    data, result, ingest_iri = _mapped(store, feed, feed_id, digest, sequence)
                    claims.publish(store, claim_iri, sequence, feed_id, data, lease)
                published = claims.published_by(store, feed_id, ingest_iri)
                if published:
                    return result, written
                # Lost with its derived data: the next rounds publish the feed alone (folded
                # after), so an engine that never matches the view's mark cannot stall ingest.
                derived_lost = derived_lost or written
        finally:
            if not published:
                claims.retract(store, claim_iri)
        rounds += 1
        if time.monotonic() > deadline:
            raise StoreUnavailable(
                f"Feed {feed_id} could not be ingested within {settings.ingest_wait:g} s: "
                f"other writers held the next sequence in all {rounds} rounds. Send it again "
                "later (a re-send is idempotent).")
        time.sleep(_BACKOFF.uniform(0.0, min(0.5, 0.005 * 2 ** min(rounds, 7))))


def _view_at(store: Store, sequence: int) -> bool:
    """Whether the view's mark is ``sequence`` (a writer on a shared store that owns
    ``sequence + 1`` may then derive the feed's view lines from the view)."""
    from alm_ld.analytics.current_view import view_sequence

    return view_sequence(store) == sequence


def _publish_with_derived(store: Store, feed: dict[str, Any], feed_id: str, digest: str,
                          sequence: int, claim_iri: str,
                          settings: Settings) -> tuple[IngestResult, str]:
    """Publish the feed on a shared store with its view lines and alerts, as a store this
    process owns writes them (:func:`_write_with_derived`): derived from the view at
    ``sequence - 1`` (pair states, no history read for a pair the state is enough for), all
    in the publishing operation, which also moves the mark and holds only while the mark is
    still ``sequence - 1``. Returns the result and the ingest activity's IRI.

    Why this is safe with other writers: this writer owns ``sequence`` (the claim), so every
    feed before it is published and none after it can be until this one is; the view at mark
    ``sequence - 1`` holds all of them. Another writer can only be late with a fold of an
    older feed (:func:`~alm_ld.analytics.current_view.refresh_current_view`), which never
    replaces a pair's entries by older ones (``alm:asOf``). Before, a shared store published
    the feed alone and then read every pair's whole history twice (view fold and alerts):
    an ingest whose cost grew with every harvest."""
    from alm_ld.analytics.current_view import VIEW_GRAPH, mark_line, mark_pattern

    written = prepare_feed(store, feed, feed_id, digest, sequence, settings)
    view = "".join(line + "\n" for line in (*written.derived.view_added, mark_line(sequence)))
    claims.publish(store, claim_iri, sequence, feed_id, written.data, settings.claim_lease,
                   also=[(VIEW_GRAPH, view.encode("utf-8")), written.alerts],
                   removed=[(VIEW_GRAPH, written.derived.view_removed)],
                   requires="\n  " + mark_pattern(sequence - 1))
    return written.result, written.ingest_iri


def after_ingest(store: Store, result: IngestResult, settings: Settings,
                 written: bool = False) -> None:
    """Hook run once a new feed is durable, outside the ingest lock (added for analytics):
    data-quality alerts for the feed unless they were ``written`` with it (then only the
    stale-source alerts), then a wake-up for ``/changes/stream`` listeners; the view is
    caught up when the feed went without it (a ``shared`` store). It never fails the ingest
    (see alm_ld.analytics.hooks)."""
    from alm_ld.analytics.hooks import on_ingested

    on_ingested(store, result, settings, written=written)
    if not written:
        refresh_derived(store)


_REPAIRED: weakref.WeakSet[Store] = weakref.WeakSet()
"""Stores this process already repaired (:func:`repair_derived`)."""


def repair_derived(store: Store, settings: Settings) -> int:
    """Recompute the derived data a stopped process or an older version left missing: the
    alerts of every feed whose alert graph lacks its ``alm:alertsComputedFor`` mark, then the
    current-value view. Run on the first ingest of a store opened by this process (a re-send
    repairs one feed; this repairs all). Returns how many feeds got their alerts."""
    from alm_ld.analytics.hooks import compute_feed_alerts

    repaired = 0
    try:
        missing = store.query(f"""{PREFIXES}
SELECT ?feed ?seq WHERE {{
  GRAPH ?feed {{ ?feed alm:sequence ?seq }}
  FILTER NOT EXISTS {{ GRAPH ?alerts {{ ?alerts alm:alertsComputedFor ?feed }} }}
}} ORDER BY ?seq""").rows
        for row in missing:
            _log.warning("alerts of feed %s were missing; recomputing", row["feed"])
            compute_feed_alerts(store, str(row["feed"]), settings)
            repaired += 1
    except Exception:  # noqa: BLE001 - derived data: the next open or re-send tries again
        _log.exception("missing alerts could not be recomputed")
    refresh_derived(store)
    return repaired


def refresh_derived(store: Store) -> None:
    """Bring the current-value view (:mod:`alm_ld.analytics.current_view`) up to every stored
    feed: this feed's (work, metric) pairs after an ingest, everything a stopped process or an
    older version left behind otherwise. Like the alerts, it never fails the ingest: the feed is
    stored, readers use the union-graph rule while the view is behind, and the next writer
    tries again."""
    from alm_ld.analytics.current_view import refresh_current_view

    try:
        refresh_current_view(store)
    except Exception:  # noqa: BLE001 - derived data; repaired by the next ingest
        _log.exception("the current-value view could not be refreshed")


# ---------------------------------------------------------------------------------------------
# Read side

CURRENT_COUNTS = PREFIXES + """
SELECT DISTINCT ?metric ?source ?value ?periodEnd ?observation ?feed ?sequence WHERE {
  GRAPH ?feed {
    ?observation alm:work ?work ; alm:metric ?metric ; alm:source ?source ;
                 alm:aggregation alm:cumulative ; alm:value ?value ; alm:periodEnd ?periodEnd .
    ?feed alm:sequence ?sequence .
  }
  FILTER NOT EXISTS {
    GRAPH ?newer {
      ?other alm:work ?work ; alm:metric ?metric ; alm:source ?source ;
             alm:aggregation alm:cumulative ; alm:periodEnd ?otherEnd .
      ?newer alm:sequence ?newerSequence .
    }
    FILTER (STR(?otherEnd) > STR(?periodEnd)
            || (STR(?otherEnd) = STR(?periodEnd) && ?newerSequence > ?sequence))
  }
}
ORDER BY ?metric ?source
"""

METRIC_SERIES = PREFIXES + """
SELECT ?metric ?source ?aggregation ?periodStart ?periodEnd ?value ?observation ?sequence
WHERE {
  GRAPH ?feed {
    ?observation alm:work ?work ; alm:metric ?metric ; alm:source ?source ;
                 alm:aggregation ?aggregation ; alm:value ?value ; alm:periodEnd ?periodEnd .
    OPTIONAL { ?observation alm:periodStart ?periodStart }
    ?feed alm:sequence ?sequence .
  }
  FILTER NOT EXISTS { ?revision prov:wasRevisionOf ?observation }
}
ORDER BY ?metric ?source ?periodEnd ?sequence
"""


def _bind(query: str, **terms: str | None) -> str:
    """Fix variables to IRIs with VALUES (plain strings: see store/base.py on prepared queries)."""
    fixed = "".join(f"  {values(name, [iri])}\n" for name, iri in terms.items() if iri)
    head, _, body = query.partition("WHERE {\n")
    return f"{head}WHERE {{\n{fixed}{body}"


def _plain(term: Any) -> Any:
    if term is None:
        return None
    value = term.toPython() if hasattr(term, "toPython") else term
    if hasattr(value, "isoformat"):
        return str(term)
    return value if isinstance(value, int | float | bool) else str(value)


def current_counts(store: Store, work: str) -> list[dict[str, Any]]:
    """The current cumulative count of ``work`` per (metric, source): latest ``periodEnd``,
    ties broken by the newest feed (highest ``alm:sequence``).

    Returns ``[{"metric", "source", "value", "periodEnd", "observation", "feed", "sequence"}]``.
    """
    rows = store.query(_bind(CURRENT_COUNTS, work=work_iri(work))).rows
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        item = {name: _plain(row.get(name)) for name in (
            "metric", "source", "value", "periodEnd", "observation", "feed", "sequence")}
        seen.setdefault((item["metric"], item["source"]), item)
    return list(seen.values())


def metric_series(store: Store, work: str, metric_iri: str | None = None,
                  source_iri: str | None = None) -> list[dict[str, Any]]:
    """Every current (unrevised) observation of ``work``, optionally for one metric and/or
    source, ordered by metric, source and ``periodEnd``: the history of the numbers."""
    query = _bind(METRIC_SERIES, work=work_iri(work), metric=metric_iri, source=source_iri)
    seen: dict[str, dict[str, Any]] = {}
    for row in store.query(query).rows:
        item = {name: _plain(row.get(name)) for name in (
            "metric", "source", "aggregation", "periodStart", "periodEnd", "value",
            "observation", "sequence")}
        item["aggregation"] = str(item["aggregation"]).rsplit("#", 1)[-1]
        seen.setdefault(item["observation"], item)
    return list(seen.values())


def feeds_by_sequence(store: Store) -> dict[int, str]:
    """sequence → feed id of every stored feed (for listings and checks)."""
    result = store.query(
        f"{PREFIXES}SELECT ?g ?seq WHERE {{ GRAPH ?g {{ ?g alm:sequence ?seq }} }}")
    return {int(row["seq"]): str(row["g"]) for row in result.rows}


__all__ = [
    "CURRENT_COUNTS", "INGEST_LOCK", "IngestResult", "METRIC_SERIES", "PreparedFeed",
    "after_ingest", "checked_feed", "current_counts", "current_observations",
    "feeds_by_sequence", "ingest_feed", "max_sequence", "metric_series", "prepare_feed",
    "refresh_derived", "repair_derived", "repair_once", "repaired", "stored_result",
    "view_ready", "write_alone", "write_derived_together"
]
