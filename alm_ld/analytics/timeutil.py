"""Parsing the dates and durations that reach analytics from requests and disclosures.

Kept small and strict: a bad ``from``/``since`` value is a :class:`~alm_ld.errors.UsageError`
naming the value and the accepted forms, never a silent misread.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from alm_ld.errors import UsageError
from alm_ld.instants import rfc3339  # noqa: F401 - re-exported for analytics modules

GRANULARITIES = ("day", "month", "year")


def parse_datetime(value: str, name: str) -> datetime:
    """An RFC 3339 date-time (``Z`` or offset) or a date (read as midnight UTC)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{name}={value!r} is not a date-time; give e.g. 2026-11-24T10:00:00Z or 2026-11-24.")
    if moment.tzinfo is None:
        raise UsageError(f"{name}={value!r} has no time zone; add Z or an offset like +01:00.")
    return moment.astimezone(UTC)


def parse_date(value: str, name: str) -> date:
    """A calendar date (``2026-11-24``); a date-time is cut to its UTC date."""
    if len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    return parse_datetime(value, name).date()


def day_of(lexical: str) -> date:
    """The calendar date of a stored ``xsd:date`` / ``xsd:dateTime`` lexical form."""
    return date.fromisoformat(lexical[:10])


def moment_of(lexical: str) -> datetime:
    """A stored ``xsd:date`` / ``xsd:dateTime`` as an aware datetime (dates: midnight UTC)."""
    if len(lexical) == 10:
        return datetime.combine(date.fromisoformat(lexical), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_label(lexical: str, granularity: str) -> str:
    """The period a ``periodEnd`` falls in: ``2026-11-24`` / ``2026-11`` / ``2026``."""
    return lexical[:{"day": 10, "month": 7, "year": 4}[granularity]]


_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$")
_WORDS = {
    "hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=31), "quarterly": timedelta(days=92), "yearly": timedelta(days=366),
    "annually": timedelta(days=366),
}


def parse_frequency(text: str | None) -> timedelta | None:
    """A NISO ``updateFrequency``: an ISO 8601 duration (``P1D``, ``PT6H``) or a word such as
    ``daily``/``weekly``/``monthly`` anywhere in the text; ``None`` when it says neither."""
    if not text:
        return None
    match = _DURATION.match(text.strip().upper())
    if match and any(match.groupdict().values()):
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        span = timedelta(days=parts["y"] * 365 + parts["mo"] * 30 + parts["w"] * 7 + parts["d"],
                         hours=parts["h"], minutes=parts["mi"], seconds=parts["s"])
        return span or None
    lowered = text.lower()
    for word, span in _WORDS.items():
        if word in lowered:
            return span
    return None
