"""The alert rules, pure: one function per alert type, each given the observations (or rows)
already read and returning :class:`Alert` values; no store access, so each rule can be tested
on hand-made values. Reading the store and writing the alerts' RDF is
:mod:`alm_ld.analytics.alerts`; what each check means is that module's docstring and
docs/analytics.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alm_ld.analytics.observation_rows import Observation
from alm_ld.analytics.series import newest_per_key
from alm_ld.analytics.sparql import short
from alm_ld.analytics.timeutil import day_of, moment_of, rfc3339
from alm_ld.config import Settings
from alm_ld.vocab import CUMULATIVE, ID_NS, METRICS_NS, SOURCES_NS, category_of

ALERT_TYPES = ("CountDecreased", "ImplausibleJump", "SourcesDisagree", "StaleSource",
               "HarvestFailed")
STALE_FACTOR = 1.5
JUMP_CATEGORIES = ("discussed",)


@dataclass
class Alert:
    type: str
    message: str
    detected: str
    work: str | None = None
    metric: str | None = None
    source: str | None = None
    value: int | None = None
    previous_value: int | None = None
    other_source: str | None = None
    observation: str | None = None
    previous_observation: str | None = None
    feeds: list[str] = field(default_factory=list)
    previous_feeds: list[str] = field(default_factory=list)
    provider: str | None = None
    graph: str | None = None
    iri: str = ""

    def __post_init__(self) -> None:
        if not self.iri:
            parts = (self.type, self.work, self.metric, self.source, self.other_source,
                     self.observation, self.previous_observation, self.provider,
                     " ".join(sorted(self.feeds)))
            digest = hashlib.sha256("|".join(p or "" for p in parts).encode()).hexdigest()
            self.iri = f"{ID_NS}alert/{digest[:32]}"

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.iri, "type": "Alert", "alertType": self.type}
        for key, value in (
            ("work", self.work), ("metric", short(self.metric, METRICS_NS)),
            ("source", short(self.source, SOURCES_NS)), ("value", self.value),
            ("previousValue", self.previous_value),
            ("otherSource", short(self.other_source, SOURCES_NS)),
            ("provider", self.provider),
        ):
            if value is not None:
                doc[key] = value
        observations = [o for o in (self.observation, self.previous_observation) if o]
        if observations:
            doc["observations"] = observations
        doc["feed"] = self.feeds
        if self.previous_feeds:
            doc["previousFeed"] = self.previous_feeds
        doc["detected"] = self.detected
        doc["message"] = self.message
        return doc


def _current(observations: Iterable[Observation]) -> list[Observation]:
    """Per key (period) the revision in the latest feed (the one rule of "current",
    :func:`alm_ld.analytics.series.newest_per_key`), ordered by periodEnd."""
    best = newest_per_key(observations, key=lambda o: (o.start, o.end),
                          rank=lambda o: (o.sequence, o.iri))
    return sorted(best, key=lambda o: (o.end, o.sequence))


def _days_between(earlier: str, later: str) -> float:
    if len(earlier) == 10 and len(later) == 10:
        return max(1.0, float((day_of(later) - day_of(earlier)).days))
    return max(1.0, (moment_of(later) - moment_of(earlier)).total_seconds() / 86400)


def _interval_days(start: str | None, end: str) -> float:
    if not start:
        return 1.0
    if len(start) == 10 and len(end) == 10:
        return float((day_of(end) - day_of(start)).days + 1)
    return max(1.0, (moment_of(end) - moment_of(start)).total_seconds() / 86400)


def _is_jump_metric(metric: str) -> bool:
    return category_of(metric) in JUMP_CATEGORIES


def _label(obs: Observation) -> str:
    return (f"{short(obs.metric, METRICS_NS)} of {obs.work} from "
            f"{short(obs.source, SOURCES_NS)}")


def _cumulative_steps(observations: list[Observation], feed: str
                      ) -> Iterator[tuple[str, list[Observation], Observation, Observation]]:
    """(metric, series, before, after) for each step between consecutive current cumulative
    counts of a (work, metric, source) series where ``feed`` brought one side."""
    series: dict[tuple[str, str, str, str], list[Observation]] = {}
    for obs in observations:
        series.setdefault((obs.work, obs.metric, obs.source, obs.aggregation), []).append(obs)
    for (_, metric, _, aggregation), members in sorted(series.items()):
        if aggregation != CUMULATIVE:
            continue
        points = _current(members)
        for before, after in zip(points, points[1:], strict=False):
            if feed in before.feeds or feed in after.feeds:
                yield metric, members, before, after


def _step_fields(metric: str, before: Observation, after: Observation,
                 detected: str) -> dict[str, Any]:
    return dict(work=after.work, metric=metric, source=after.source, value=after.value,
                previous_value=before.value, observation=after.iri,
                previous_observation=before.iri, feeds=after.feeds,
                previous_feeds=before.feeds, detected=detected)


def decrease_alerts(observations: list[Observation], feed: str,
                    detected: str) -> list[Alert]:
    """``CountDecreased``: a cumulative count lower than the one before it in time, or one
    revised down by ``feed`` (``prov:wasRevisionOf``)."""
    alerts: list[Alert] = []
    for metric, _, before, after in _cumulative_steps(observations, feed):
        if after.value < before.value:
            alerts.append(Alert("CountDecreased", (
                f"{_label(after)} fell from {before.value} ({before.end}) to "
                f"{after.value} ({after.end})."), **_step_fields(metric, before, after, detected)))
    by_iri = {o.iri: o for o in observations}
    for obs in sorted(observations, key=lambda o: (o.work, o.metric, o.source)):
        if obs.aggregation != CUMULATIVE:
            continue
        previous = by_iri.get(obs.revision_of or "")
        if feed in obs.feeds and previous and obs.value < previous.value:
            alerts.append(Alert(
                "CountDecreased",
                f"{_label(obs)} for {obs.end} was revised down from {previous.value} "
                f"to {obs.value}.",
                work=obs.work, metric=obs.metric, source=obs.source, value=obs.value,
                previous_value=previous.value, observation=obs.iri,
                previous_observation=previous.iri, feeds=obs.feeds,
                previous_feeds=previous.feeds, detected=detected))
    return alerts


def jump_alerts(observations: list[Observation], feed: str, settings: Settings,
                detected: str) -> list[Alert]:
    """``ImplausibleJump``: for a *discussed*-category metric, more than
    ``settings.jump_threshold`` per day between two cumulative counts or within one interval
    count that ``feed`` brought."""
    threshold = settings.jump_threshold
    alerts: list[Alert] = []
    for metric, _, before, after in _cumulative_steps(observations, feed):
        if not _is_jump_metric(metric) or after.value < before.value:
            continue  # a fall is a decrease, never a jump
        rate = (after.value - before.value) / _days_between(before.end, after.end)
        if rate > threshold:
            alerts.append(Alert("ImplausibleJump", (
                f"{_label(after)} rose from {before.value} to {after.value}: "
                f"{rate:.0f} per day, above {threshold}."),
                **_step_fields(metric, before, after, detected)))
    for obs in sorted(observations, key=lambda o: (o.work, o.metric, o.source, o.aggregation)):
        if obs.aggregation == CUMULATIVE or feed not in obs.feeds \
                or not _is_jump_metric(obs.metric):
            continue  # only the feed's own periods (a pair state's rest is in no feed)
        rate = obs.value / _interval_days(obs.start, obs.end)
        if rate > threshold:
            alerts.append(Alert(
                "ImplausibleJump",
                f"{_label(obs)}: {obs.value} in {obs.start or ''}..{obs.end}, "
                f"{rate:.0f} per day, above {threshold}.",
                work=obs.work, metric=obs.metric, source=obs.source, value=obs.value,
                observation=obs.iri, feeds=obs.feeds, detected=detected))
    return alerts


def series_alerts(observations: list[Observation], feed: str, settings: Settings,
                  detected: str) -> list[Alert]:
    """Decrease and jump checks over one feed's series."""
    return (decrease_alerts(observations, feed, detected)
            + jump_alerts(observations, feed, settings, detected))


def disagreement_alerts(observations: list[Observation], feed: str, settings: Settings,
                        detected: str) -> list[Alert]:
    """Sources whose latest cumulative values for one work and metric differ too much; only
    pairs where the feed brought one side's latest value (so each is reported once)."""
    latest: dict[tuple[str, str], dict[str, Observation]] = {}
    for obs in observations:
        if obs.aggregation != CUMULATIVE:
            continue
        per_source = latest.setdefault((obs.work, obs.metric), {})
        seen = per_source.get(obs.source)
        if seen is None or (obs.end, obs.sequence) > (seen.end, seen.sequence):
            per_source[obs.source] = obs
    alerts = []
    for (work, metric), per_source in sorted(latest.items()):
        for source, mine in sorted(per_source.items()):
            if feed not in mine.feeds:
                continue
            for other_source, other in sorted(per_source.items()):
                if other_source == source or (feed in other.feeds and other_source < source):
                    continue
                low, high = sorted((mine.value, other.value))
                if high / max(low, 1) <= settings.disagree_factor:
                    continue
                alerts.append(Alert(
                    "SourcesDisagree",
                    f"{short(metric, METRICS_NS)} of {work}: {short(source, SOURCES_NS)} says "
                    f"{mine.value}, {short(other_source, SOURCES_NS)} says {other.value} "
                    f"(more than {settings.disagree_factor}× apart).",
                    work=work, metric=metric, source=source, value=mine.value,
                    other_source=other_source, previous_value=other.value,
                    observation=mine.iri, previous_observation=other.iri, feeds=mine.feeds,
                    previous_feeds=other.feeds, detected=detected))
    return alerts


def stale_source_alerts(last_updates: Iterable[Mapping[str, str]],
                        spans: Mapping[str, timedelta], frequencies: Mapping[str, str],
                        now: datetime) -> list[Alert]:
    """``StaleSource``: (work, source) pairs whose last update is older than ``STALE_FACTOR``
    × their provider's span. ``last_updates`` rows have ``work``, ``source``, ``provider`` and
    ``last`` ("<ingestedAt> <feed IRI>" of the pair's newest feed: its highest sequence);
    ``frequencies`` is the disclosed text per provider (for the message)."""
    detected = rfc3339(now)
    alerts = []
    for row in last_updates:
        at, _, last_feed = row["last"].partition(" ")
        if now - moment_of(at) > spans[row["provider"]] * STALE_FACTOR:
            alerts.append(Alert(
                "StaleSource",
                f"{short(row['source'], SOURCES_NS)} has not updated {row['work']} since "
                f"{at} (expected every {frequencies[row['provider']]}).",
                work=row["work"], source=row["source"], provider=row["provider"],
                feeds=[last_feed], detected=detected))
    return sorted(alerts, key=lambda a: a.iri)


def harvest_failed_alert(provider: str, *, failed: int, attempted: int, detail: str,
                         feed: str | None = None, now: datetime | None = None) -> Alert:
    """An alert for a harvest run of ``provider`` in which works failed."""
    return Alert("HarvestFailed",
                 f"The last harvest of {provider} failed for {failed} of {attempted} works: "
                 f"{detail}", provider=provider, value=failed, previous_value=attempted,
                 feeds=[feed] if feed else [], detected=rfc3339(now or datetime.now(UTC)))


__all__ = ["ALERT_TYPES", "JUMP_CATEGORIES", "STALE_FACTOR", "Alert", "Observation",
           "decrease_alerts", "disagreement_alerts", "harvest_failed_alert", "jump_alerts",
           "series_alerts", "stale_source_alerts"]
