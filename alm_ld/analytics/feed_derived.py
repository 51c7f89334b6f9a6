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

The caller (alm_ld.pipeline) guarantees what this relies on: it holds the ingest lock of a
store it owns, ``sequence`` is the next one, and the view's mark is ``sequence - 1`` (it
catches an older view up first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from alm_ld.analytics.alerts import Alert, alerts_of
from alm_ld.analytics.current_view import by_pair, known_pairs, view_delta
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


def _key(obs: Observation) -> tuple[str, str, str, str, str | None, str]:
    return (obs.work, obs.metric, obs.source, obs.aggregation, obs.start, obs.end)


def derive_feed(store: Store, feed: str, sequence: int, counts: list[FeedCount],
                settings: Settings, now: datetime | None = None) -> FeedDerived:
    """Revisions, view delta and alerts of feed ``feed`` (not yet stored) with ``counts``."""
    pairs = {(c.work, c.metric) for c in counts}
    stored: list[Observation] = []
    if sequence > 1 and pairs:
        held = known_pairs(store, pairs)
        if held:
            stored = read_observations(store, pairs=held, sequences=feed_sequences(store))
    # Revisions: per key the current observation before this feed (the one rule of current).
    current = {_key(o): o for o in newest_per_key(stored, key=_key,
                                                   rank=lambda o: (o.sequence, o.iri))}
    derived = FeedDerived()
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
        by_pair(wide), sequence, {(o.work, o.metric) for o in stored})
    return derived


__all__ = ["FeedDerived", "derive_feed"]
