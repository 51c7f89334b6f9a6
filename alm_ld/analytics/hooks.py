"""What analytics does after every committed ingest: alerts, then wake the change streams.

:func:`on_ingested` is the hook the pipeline calls once a feed's graph is durable. It never
makes the ingest fail: the feed is already stored, so a failing check is logged and skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from alm_ld.analytics.alerts import (
    feed_alert_graph,
    feed_alerts,
    refresh_stale_alerts,
    write_alerts,
)
from alm_ld.analytics.notify import NOTIFIER
from alm_ld.config import Settings

log = logging.getLogger(__name__)


def compute_feed_alerts(store: Any, feed: str, settings: Settings,
                        now: datetime | None = None) -> int:
    """Write the alerts caused by ``feed`` and refresh stale-source alerts; return how many
    feed alerts there are."""
    alerts = feed_alerts(store, feed, settings, now)
    write_alerts(store, feed_alert_graph(feed), alerts)
    refresh_stale_alerts(store, now)
    return len(alerts)


def on_ingested(store: Any, result: Any, settings: Settings) -> None:
    """Pipeline hook: ``result`` is the ``IngestResult`` (``feed_id``, ``status``)."""
    if getattr(result, "status", "created") == "unchanged":
        return
    try:
        compute_feed_alerts(store, str(result.feed_id), settings)
    except Exception:  # the feed is committed; a failing check must not turn it into an error
        log.exception("alerts for feed %s could not be computed", result.feed_id)
    finally:
        NOTIFIER.notify()
