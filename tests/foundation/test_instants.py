"""One way to write an instant: the analytics' ``since`` cut keeps sub-second digits, harvested
feeds are whole seconds, and neither depends on the machine's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alm_ld.analytics import timeutil
from alm_ld.harvest.base import feed_time
from alm_ld.instants import rfc3339

MOMENT = datetime(2026, 3, 1, 12, 0, 5, 250000, tzinfo=UTC)


def test_sub_second_digits_are_kept_and_whole_seconds_stay_short() -> None:
    assert rfc3339(MOMENT) == "2026-03-01T12:00:05.250000Z"
    assert rfc3339(MOMENT.replace(microsecond=0)) == "2026-03-01T12:00:05Z"


def test_offsets_become_utc_and_naive_means_utc() -> None:
    plus_two = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert rfc3339(plus_two) == "2026-03-01T12:00:05.250000Z"
    assert rfc3339(MOMENT.replace(tzinfo=None)) == "2026-03-01T12:00:05.250000Z"


def test_harvested_feeds_use_whole_seconds_of_the_same_function() -> None:
    assert feed_time(MOMENT) == "2026-03-01T12:00:05Z"
    assert timeutil.rfc3339 is rfc3339  # analytics has no second formatter
