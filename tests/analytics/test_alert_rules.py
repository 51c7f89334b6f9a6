"""The pure alert rules (alm_ld.analytics.alert_rules) on hand-made observations: no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alm_ld.analytics.alert_rules import (
    Observation,
    decrease_alerts,
    disagreement_alerts,
    jump_alerts,
    series_alerts,
    stale_source_alerts,
)
from alm_ld.config import Settings
from alm_ld.vocab import ALM_NS, METRICS_NS, SOURCES_NS

WORK = "https://doi.org/10.5555/rules.1"
FEED_1, FEED_2 = "https://example.org/feed/1", "https://example.org/feed/2"
CUM, SUM = ALM_NS + "cumulative", ALM_NS + "sum"
DETECTED = "2026-03-01T00:00:00Z"
SETTINGS = Settings(store="memory:")


def obs(value: int, end: str, *, feed: str = FEED_2, seq: int = 2, metric: str = "citations",
        source: str = "crossref", agg: str = CUM, start: str | None = None,
        revision_of: str | None = None, name: str = "") -> Observation:
    return Observation(f"https://example.org/obs/{name or end + source}", WORK,
                       METRICS_NS + metric, SOURCES_NS + source, agg, value, start, end, seq,
                       seqs=(seq,), feeds=[feed], revision_of=revision_of)


def test_a_fall_between_two_counts_is_a_decrease_and_never_a_jump():
    points = [obs(30, "2026-01-31", feed=FEED_1, seq=1, metric="tweets", source="twitter"),
              obs(25, "2026-02-28", metric="tweets", source="twitter")]
    [alert] = decrease_alerts(points, FEED_2, DETECTED)
    assert (alert.type, alert.value, alert.previous_value) == ("CountDecreased", 25, 30)
    assert alert.feeds == [FEED_2] and alert.previous_feeds == [FEED_1]
    assert jump_alerts(points, FEED_2, SETTINGS, DETECTED) == []


def test_steps_the_feed_did_not_bring_are_not_checked():
    points = [obs(30, "2026-01-31", feed=FEED_1, seq=1), obs(25, "2026-02-28", feed=FEED_1)]
    assert decrease_alerts(points, FEED_2, DETECTED) == []


def test_a_downward_revision_by_the_feed_is_a_decrease():
    old = obs(50, "2026-01-01", feed=FEED_1, seq=1, name="old")
    new = obs(40, "2026-01-01", revision_of=old.iri, name="new")
    alerts = decrease_alerts([old, new], FEED_2, DETECTED)
    assert [(a.value, a.previous_value) for a in alerts] == [(40, 50)]
    assert "revised down" in alerts[0].message


def test_jumps_only_for_discussed_metrics_and_above_the_threshold():
    rise = [obs(0, "2026-01-01", feed=FEED_1, seq=1, metric="tweets", source="twitter"),
            obs(600, "2026-01-02", metric="tweets", source="twitter")]
    [alert] = jump_alerts(rise, FEED_2, SETTINGS, DETECTED)
    assert alert.type == "ImplausibleJump" and alert.value == 600
    assert jump_alerts(rise, FEED_2, Settings(store="memory:", jump_threshold=700),
                       DETECTED) == []
    citations = [obs(0, "2026-01-01", feed=FEED_1, seq=1), obs(600, "2026-01-02")]
    assert jump_alerts(citations, FEED_2, SETTINGS, DETECTED) == []


def test_an_interval_count_is_judged_per_day_of_its_period():
    week = obs(4200, "2026-01-07", start="2026-01-01", agg=SUM, metric="tweets",
               source="twitter")
    [alert] = jump_alerts([week], FEED_2, SETTINGS, DETECTED)
    assert "600 per day" in alert.message  # 4200 over 7 days
    month = obs(4200, "2026-01-31", start="2026-01-01", agg=SUM, metric="tweets",
                source="twitter")
    assert jump_alerts([month], FEED_2, SETTINGS, DETECTED) == []
    assert series_alerts([week, month], FEED_2, SETTINGS, DETECTED) == [alert]


def test_sources_disagree_once_per_pair_beyond_the_factor():
    mine = obs(100, "2026-02-01", source="crossref")
    other = obs(30, "2026-02-01", source="datacite", feed=FEED_1, seq=1)
    [alert] = disagreement_alerts([mine, other], FEED_2, SETTINGS, DETECTED)
    assert (alert.source, alert.other_source) == (SOURCES_NS + "crossref",
                                                  SOURCES_NS + "datacite")
    close = obs(60, "2026-02-01", source="datacite", feed=FEED_1, seq=1)
    assert disagreement_alerts([mine, close], FEED_2, SETTINGS, DETECTED) == []


def test_stale_when_older_than_one_and_a_half_spans():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    provider = "https://example.org/provider/p"
    rows = [{"work": WORK, "source": SOURCES_NS + "crossref", "provider": provider,
             "last": f"2026-02-{day:02d}T00:00:00Z {FEED_1}"} for day in (10, 25)]
    alerts = stale_source_alerts(rows, {provider: timedelta(days=7)}, {provider: "P7D"}, now)
    assert [a.message.split(" since ")[1][:10] for a in alerts] == ["2026-02-10"]
    assert alerts[0].feeds == [FEED_1] and "expected every P7D" in alerts[0].message
