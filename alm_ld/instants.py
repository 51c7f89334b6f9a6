"""The one way alm-ld writes an instant: RFC 3339 in UTC with a ``Z``.

Sub-second digits are kept when the moment has any (microseconds, Python's resolution) and left
out when it has none, so the text never says less than the moment: the change feed's ``since``
cut between two ingests in the same second must stay between them. Callers that want a coarser
stamp (harvested feeds use whole seconds) round the moment, not the text
(:func:`alm_ld.harvest.base.feed_time`).
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """``2026-03-01T12:00:00Z`` / ``2026-03-01T12:00:00.250000Z``; a naive moment is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
