"""Ingest's shortcut through the current-value view derives exactly what the history read does.

For a held (work, metric) pair whose counts in a new feed only append (all cumulative, each
later than its series' current observation), feed_derived reads the series' current
observations instead of the pair's whole history. Over random feeds that append, backfill,
revise, re-send and mix in interval series, both reads must give the same revisions, the same
view lines and the same alerts — and the view ingest leaves behind must hold the series rule.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from alm_ld.analytics.feed_derived import derive_feed
from alm_ld.config import Settings
from alm_ld.mapping import feed_counts, feed_iri
from alm_ld.pipeline import checked_feed, ingest_feed, max_sequence
from tests.analytics.feeds import count, feed
from tests.analytics.test_current_view import by_rule, in_view

WORKS = [f"https://doi.org/10.5555/derived.{n}" for n in range(5)]
SOURCES = ["crossref", "openalex", "europepmc"]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _month(n: int) -> str:
    return f"{2024 + n // 12}-{n % 12 + 1:02d}-28"


class History:
    """Random feeds over a few works: mostly appends, some backfills, revisions, re-sends."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.latest: dict[tuple[str, str, str], tuple[int, int]] = {}  # series → (month, value)
        self.sent: list[dict[str, Any]] = []

    def item(self) -> dict[str, Any]:
        rng = self.rng
        work, source = rng.choice(WORKS), rng.choice(SOURCES)
        if rng.random() < 0.15:  # an interval count (a pair the shortcut never serves)
            month = rng.randint(0, 20)
            return count(work, rng.randint(0, 900), _month(month), metric="views",
                         aggregation="interval", start=_month(month)[:8] + "01", source=source)
        if self.sent and rng.random() < 0.1:  # the same count again
            return dict(rng.choice(self.sent))
        metric = rng.choice(["citations", "tweets"])
        month, value = self.latest.get((work, metric, source), (rng.randint(0, 3), 10))
        roll = rng.random()
        if roll < 0.65:  # the next month: an append
            month, value = month + rng.randint(1, 2), value + rng.randint(-5, 2000)
        elif roll < 0.85:  # a backfill of an earlier month
            month, value = max(0, month - rng.randint(1, 3)), rng.randint(0, 50)
        else:  # a revision of the latest month
            value = max(0, value + rng.randint(-8, 8))
        key = (work, metric, source)
        if month >= self.latest.get(key, (-1, 0))[0]:
            self.latest[key] = (month, value)
        made = count(work, max(0, value), _month(month), metric=metric, source=source)
        self.sent.append(made)
        return made

    def feed(self) -> dict[str, Any]:
        items: dict[tuple[Any, ...], dict[str, Any]] = {}
        for _ in range(self.rng.randint(1, 7)):
            made = self.item()
            items[(made["work"], made["metric"], made["source"], made["periodEnd"],
                   made.get("periodStart"))] = made  # one count per key in a feed
        return feed(list(items.values()))


def _alerts(derived: Any) -> list[tuple[Any, ...]]:
    return sorted((a.iri, a.type, a.message, a.value, a.previous_value, a.observation,
                   a.previous_observation, tuple(sorted(a.feeds)),
                   tuple(sorted(a.previous_feeds))) for a in derived.alerts)


@pytest.mark.parametrize("seed", range(6))
def test_the_view_shortcut_derives_what_the_history_read_does(store, seed) -> None:
    settings = Settings(store="oxigraph:")
    history = History(seed)
    from_view = fell_back = 0
    for _ in range(14):
        doc = checked_feed(history.feed(), settings=settings)
        feed_id, sequence, counts = feed_iri(doc), max_sequence(store) + 1, feed_counts(doc)
        short = derive_feed(store, feed_id, sequence, counts, settings, NOW)
        whole = derive_feed(store, feed_id, sequence, counts, settings, NOW, from_view=False)
        assert short.previous == whole.previous
        assert sorted(short.view_added) == sorted(whole.view_added)
        assert sorted(short.view_removed) == sorted(whole.view_removed)
        assert _alerts(short) == _alerts(whole)
        held = len({(c.work, c.metric) for c in counts}) if sequence > 1 else 0
        from_view += short.from_view
        fell_back += short.from_view < held
        ingest_feed(store, doc, settings=settings)
    assert in_view(store) == by_rule(store)
    assert from_view >= 5 and fell_back >= 2  # both reads were exercised
