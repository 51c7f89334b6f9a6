"""Everything derived from one new feed, computed BEFORE it is written (issue 15): the
revisions its counts make (``prov:wasRevisionOf``), its change to the current-value view and
its data-quality alerts — so that ingest writes feed, view and alerts together and a stored
feed never waits for its derived data (nothing is left for readers to catch up).

Why this is fast: the three used to read the store three times after the write (the current
observation per key for revisions, every observation of the feed's (work, metric) pairs for the
alerts, the same again for the view) and the view was folded in with a SPARQL update that the
store had to parse. Now the view tells which of the feed's pairs the store holds already, with
each pair's state (one lookup per pair node, :func:`~alm_ld.analytics.current_view.held_pairs`;
a brand-new work costs no read at all). The state lists the few stored observations the rules
read (:mod:`alm_ld.analytics.pair_state`): a feed that brings new periods or revises the
latest one needs nothing else, so its cost no longer grows with the pair's history. Only a
pair the state is not enough for (a backfill of an older cumulative period, a node written
before states) has its stored history read. The feed's own counts come from the feed in
memory. Revisions, view lines and alerts are then plain Python over the same list.

The caller (alm_ld.pipeline) guarantees what this relies on: ``sequence`` is the next one and
no other writer can publish before it (it holds the ingest lock of a store it owns, or the
claim on ``sequence`` of a shared one), and the view's mark is ``sequence - 1`` (an owned
store's view is caught up first; a shared store's writer publishes on condition that the mark
is still there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from alm_ld.analytics.alerts import Alert, alerts_of
from alm_ld.analytics.current_view import by_pair, held_pairs, view_delta
from alm_ld.analytics.observation_rows import (
    Observation,
    feeds_of,
    read_observations,
    stored_nodes,
)
from alm_ld.analytics.pair_state import observations_if_enough, sequences_of
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


def _stored(store: Store, counts: list[FeedCount], sequence: int
            ) -> tuple[list[Observation], dict[tuple[str, str], int]]:
    """(the stored observations the feed's rules read, the pairs held before with their
    ``alm:asOf``): per held pair what its state holds when that is enough
    (:func:`~alm_ld.analytics.pair_state.observations_if_enough`), else its whole history."""
    by_pair: dict[tuple[str, str], list[FeedCount]] = {}
    for count in counts:
        by_pair.setdefault((count.work, count.metric), []).append(count)
    if sequence <= 1 or not by_pair:
        return [], {}
    held = held_pairs(store, by_pair)
    if not held:
        return [], {}
    # Only the feeds the states name: reading every feed's sequence grew with the store.
    feeds = feeds_of(store, {seq for _, state in held.values()
                             for seq in sequences_of(state)})
    stored: list[Observation] = []
    whole: set[tuple[str, str]] = set()
    checks: dict[tuple[str, str], tuple[list[Observation], set[str]]] = {}
    for pair, (_, state) in held.items():
        enough = observations_if_enough(by_pair[pair], state, *pair, feeds)
        if enough is None:
            whole.add(pair)
        elif enough[1]:
            checks[pair] = enough
        else:
            stored += enough[0]
    if checks:  # a revision whose node is stored: a return to an earlier value
        known = stored_nodes(store, {i for _, iris in checks.values() for i in iris})
        for pair, (observations, iris) in checks.items():
            if iris & known:
                whole.add(pair)
            else:
                stored += observations
    if whole:
        stored += read_observations(store, pairs=whole)
    return stored, {pair: as_of for pair, (as_of, _) in held.items()}


def derive_feed(store: Store, feed: str, sequence: int, counts: list[FeedCount],
                settings: Settings, now: datetime | None = None) -> FeedDerived:
    """Revisions, view delta and alerts of feed ``feed`` (not yet stored) with ``counts``."""
    stored, held = _stored(store, counts, sequence)
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
        by_pair(wide), sequence, held)
    return derived


__all__ = ["FeedDerived", "derive_feed"]
