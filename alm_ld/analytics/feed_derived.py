"""Everything derived from one new feed, computed BEFORE it is written (issue 15): the
revisions its counts make (``prov:wasRevisionOf``), its change to the current-value view and
its data-quality alerts — so that ingest writes feed, view and alerts together and a stored
feed never waits for its derived data (nothing is left for readers to catch up).

Why this is fast: the three used to read the store three times after the write (the current
observation per key for revisions, every observation of the feed's (work, metric) pairs for the
alerts, the same again for the view) and the view was folded in with a SPARQL update that the
store had to parse. Now there is ONE read: the view tells which of the feed's pairs the store
holds already (a lookup per pair node, :func:`~alm_ld.analytics.current_view.known_pairs`) and
only those pairs' stored observations are read (a brand-new work costs no read at all); the
feed's own counts come from the feed in memory. Revisions, view lines and alerts are then
plain Python over the same list.

Why a held pair usually costs one lookup, not its history: re-harvesting the same works is
the steady state, and reading each pair's whole history made every earlier harvest of a series
add ~0.45 ms to each item of the next (docs/performance.md). When a pair's counts in the feed
only append — every series the view holds for it and every count are cumulative, and each
count is later than its series' current observation — the checks and the view need exactly
the series' current observations: no count revises anything (its key is new); the series
checks compare each count with the step before it, which is the current observation or another
new count; each source's latest value is its current observation or a new count; and the view's
new lines follow from those, its old ones too once given the pair's stored ``alm:asOf``. Those
pairs are read through the view (:func:`~alm_ld.analytics.current_view.pair_series`, then the
current observation nodes); any other pair (a backfill, a revision, a re-sent count, an
interval series) still reads its history. tests/analytics/test_feed_derived_view.py derives
random feeds both ways and compares revisions, view lines and alerts.

The caller (alm_ld.pipeline) guarantees what this relies on: it holds the ingest lock of a
store it owns, ``sequence`` is the next one, and the view's mark is ``sequence - 1`` (it
catches an older view up first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from alm_ld.analytics.alerts import Alert, alerts_of
from alm_ld.analytics.current_view import (
    PairSeries,
    by_pair,
    known_pairs,
    pair_series,
    view_delta,
)
from alm_ld.analytics.observation_rows import Observation, feed_sequences, read_observations
from alm_ld.analytics.series import newest_per_key
from alm_ld.analytics.timeutil import rfc3339
from alm_ld.config import Settings
from alm_ld.mapping import FeedCount
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS


@dataclass
class FeedDerived:
    """What one feed adds besides its own graph (see the module docstring)."""

    previous: dict[str, str] = field(default_factory=dict)
    """observation key → IRI of the key's current observation before the feed (revisions)."""
    view_added: list[str] = field(default_factory=list)
    """N-Triples lines the view gains (written with the feed, by the store's loader)."""
    view_removed: list[str] = field(default_factory=list)
    """N-Triples lines the view loses, its old mark included (one small update after)."""
    alerts: list[Alert] = field(default_factory=list)
    from_view: int = 0
    """how many held (work, metric) pairs were read as their current observations only"""


_CUMULATIVE = ALM_NS + "cumulative"


def _key(obs: Observation) -> tuple[str, str, str, str, str | None, str]:
    return (obs.work, obs.metric, obs.source, obs.aggregation, obs.start, obs.end)


def _appends(counts: list[FeedCount], series: PairSeries,
             current: dict[str, Observation]) -> bool:
    """Whether a held pair's counts in the feed only append: the pair and the counts are all
    cumulative, and each count is later than its series' current observation. Then the
    current observations are all the checks and the view need (module docstring)."""
    latest: dict[str, str] = {}
    for (source, aggregation), node in series.current.items():
        if aggregation != _CUMULATIVE or node is None or node not in current:
            return False
        latest[source] = current[node].end
    return all(c.aggregation == "cumulative" and (c.source not in latest
                                                  or c.end > latest[c.source])
               for c in counts)


def _stored(store: Store, counts: list[FeedCount], held: set[tuple[str, str]],
            fast: dict[tuple[str, str], PairSeries], derived: FeedDerived
            ) -> tuple[list[Observation], dict[tuple[str, str], int]]:
    """The stored observations the feed's derived data need, and the stored ``alm:asOf`` of
    the pairs read from the view: for a pair whose counts only append, its series' current
    observations; for any other (a backfill, a revision, an interval series), its history."""
    sequences = feed_sequences(store)
    current = {o.iri: o for o in read_observations(
        store, nodes=[n for s in fast.values() for n in s.current.values() if n],
        sequences=sequences)} if fast else {}
    by_pair_counts: dict[tuple[str, str], list[FeedCount]] = {}
    for count in counts:
        by_pair_counts.setdefault((count.work, count.metric), []).append(count)
    fast = {p: s for p, s in fast.items() if _appends(by_pair_counts.get(p, []), s, current)}
    stored = [current[n] for s in fast.values() for n in s.current.values() if n]
    history = held - set(fast)
    if history:
        stored += read_observations(store, pairs=history, sequences=sequences)
    derived.from_view = len(fast)
    return stored, {p: s.as_of for p, s in fast.items()}


def derive_feed(store: Store, feed: str, sequence: int, counts: list[FeedCount],
                settings: Settings, now: datetime | None = None, *,
                from_view: bool = True) -> FeedDerived:
    """Revisions, view delta and alerts of feed ``feed`` (not yet stored) with ``counts``.
    ``from_view=False`` reads every held pair's whole history (what the tests compare the
    view's shortcut with)."""
    pairs = {(c.work, c.metric) for c in counts}
    stored: list[Observation] = []
    derived = FeedDerived()
    stored_as_of: dict[tuple[str, str], int] = {}
    if sequence > 1 and pairs:
        # The pairs the view holds (a new work costs one lookup and nothing more), with their
        # series when the view's shortcut may serve
        series = pair_series(store, pairs) if from_view else {}
        held = set(series) if from_view else known_pairs(store, pairs)
        if held:
            stored, stored_as_of = _stored(store, counts, held, series, derived)
    # Revisions: per key the current observation before this feed (the one rule of current).
    current = {_key(o): o for o in newest_per_key(stored, key=_key,
                                                   rank=lambda o: (o.sequence, o.iri))}
    nodes = {o.iri: o for o in stored}
    for count in counts:
        aggregation = ALM_NS + count.aggregation
        key = (count.work, count.metric, count.source, aggregation, count.start, count.end)
        before = current.get(key)
        revision_of = before.iri if before is not None and before.iri != count.iri else None
        if revision_of:
            derived.previous[count.key] = revision_of
        obs = nodes.get(count.iri)
        if obs is None:
            nodes[count.iri] = Observation(
                count.iri, count.work, count.metric, count.source, aggregation, count.value,
                count.start, count.end, sequence, (sequence,), [feed], revision_of)
        elif feed not in obs.feeds:  # the same count stored before: one node, one more feed
            obs.feeds.append(feed)
            obs.seqs = (*obs.seqs, sequence)
            obs.sequence = sequence
            obs.revision_of = revision_of
    wide = list(nodes.values())
    derived.alerts = alerts_of(wide, feed, settings, rfc3339(now or datetime.now(UTC)))
    derived.view_added, derived.view_removed = view_delta(
        by_pair(wide), sequence, {(o.work, o.metric) for o in stored}, stored_as_of)
    return derived


__all__ = ["FeedDerived", "derive_feed"]
