"""What analytics does after every committed ingest: alerts, then wake the change streams.

:func:`on_ingested` is the hook the pipeline calls once a feed's graph is durable. It never
makes the ingest fail: the feed is already stored, so a failing check is logged and skipped.

Derived data can be lost: the feed graph is committed first and its alerts after it, so a
process stopped in between (SIGINT during the alerts of a large feed, a crash, a lost store
connection) leaves the feed without alerts. The alert graph of a feed therefore carries
``<graph> alm:alertsComputedFor <feed>``, written in the same transaction as the alerts (also when
there are none), and a re-send of the feed — answered ``unchanged`` — recomputes the alerts when
that mark is missing (:func:`ensure_feed_alerts`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rdflib import URIRef

from alm_ld.analytics.alerts import (
    Alert,
    alerts_ntriples,
    feed_alert_graph,
    feed_alerts,
)
from alm_ld.analytics.notify import NOTIFIER
from alm_ld.analytics.staleness import keep_stale_alerts
from alm_ld.config import Settings
from alm_ld.sparql_text import iri
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS

log = logging.getLogger(__name__)
_COMPUTED_FOR = ALM_NS + "alertsComputedFor"


def feed_alert_data(feed: str, alerts: list[Alert]) -> tuple[str, bytes]:
    """(graph name, N-Triples) of the alert graph of ``feed``: its alerts plus the mark that
    they were computed (so a feed stored with this graph never needs its alerts repaired)."""
    graph = feed_alert_graph(feed)
    mark = f"{iri(graph)} {iri(_COMPUTED_FOR)} {iri(feed)} .\n".encode()
    return graph, alerts_ntriples(alerts) + mark


def compute_feed_alerts(store: Store, feed: str, settings: Settings,
                        now: datetime | None = None) -> int:
    """Write the alerts caused by ``feed`` with the mark that they were computed (one
    transaction), then keep the stale-source alerts current; return how many feed alerts there
    are."""
    alerts = feed_alerts(store, feed, settings, now)
    graph, data = feed_alert_data(feed, alerts)
    store.add_graph(URIRef(graph), data, replace=store.has_graph(URIRef(graph)))
    keep_stale_alerts(store, feed, now)
    return len(alerts)


def alerts_computed(store: Store, feed: str) -> bool:
    """Whether the alerts of ``feed`` were computed and stored (the mark is present)."""
    graph = iri(feed_alert_graph(feed))
    result = store.query(f"ASK {{ GRAPH {graph} {{ {graph} {iri(_COMPUTED_FOR)} {iri(feed)} }} }}")
    return bool(result.boolean)


def ensure_feed_alerts(store: Store, feed: str, settings: Settings) -> bool:
    """Compute the alerts of a stored ``feed`` if they are missing; True if it did."""
    if alerts_computed(store, feed):
        return False
    log.warning("alerts of feed %s were missing (interrupted ingest); recomputing", feed)
    compute_feed_alerts(store, feed, settings)
    return True


def on_ingested(store: Store, result: Any, settings: Settings, *, written: bool = False) -> None:
    """Pipeline hook: ``result`` is the ``IngestResult`` (``feed_id``, ``status``);
    ``written``: the feed's alerts were written with it (only stale-source alerts remain)."""
    feed = str(result.feed_id)
    if written:
        try:
            keep_stale_alerts(store, feed)
        except Exception:  # derived data: the next ingest catches it up
            log.exception("stale-source alerts could not be refreshed after feed %s", feed)
        finally:
            NOTIFIER.notify()
        return
    if getattr(result, "status", "created") == "unchanged":
        try:
            if ensure_feed_alerts(store, feed, settings):
                NOTIFIER.notify()
        except Exception:  # the feed is stored; the next re-send tries again
            log.exception("missing alerts of feed %s could not be recomputed", feed)
        return
    try:
        compute_feed_alerts(store, feed, settings)
    except Exception:  # the feed is committed; a failing check must not turn it into an error
        log.exception("alerts for feed %s could not be computed", feed)
    finally:
        NOTIFIER.notify()
