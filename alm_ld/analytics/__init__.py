"""Analytics over the stored linked data: time series, the change feed, data-quality alerts,
related works and the provider dashboard (docs/analytics.md).

Pipeline layer: reads the store with plain SPARQL strings and writes only its own named graphs
(alerts). The web views in :mod:`alm_ld.web.analytics` glue these functions to HTTP.
"""

from __future__ import annotations

from alm_ld.analytics.alerts import Alert, query_alerts, record_harvest
from alm_ld.analytics.changes import Cursor, read_page
from alm_ld.analytics.hooks import compute_feed_alerts, on_ingested
from alm_ld.analytics.related import Related, related_report, related_works
from alm_ld.analytics.series import SeriesRequest, work_series
from alm_ld.analytics.sources import source_dashboard
from alm_ld.analytics.staleness import keep_stale_alerts, refresh_stale_alerts

__all__ = [
    "Alert", "Cursor", "Related", "SeriesRequest", "compute_feed_alerts", "keep_stale_alerts",
    "on_ingested",
    "query_alerts", "read_page", "record_harvest", "refresh_stale_alerts", "related_report",
    "related_works", "source_dashboard", "work_series",
]
