"""Data-quality alerts, computed when a feed has been written and kept as RDF in the store.

Checks (after Lagotto's alerts and the NISO code of conduct; docs/analytics.md has the details):

``CountDecreased``   a cumulative count lower than the one before it in time (an earlier
                     ``periodEnd`` of the same work, metric and source), or revised downwards.
``ImplausibleJump``  more than ``settings.jump_threshold`` per day for a *discussed*-category
                     metric (tweets, blog posts, …): between two cumulative counts, or within
                     one interval count.
``SourcesDisagree``  two sources' latest cumulative values for the same work and metric differ
                     by more than ``settings.disagree_factor`` (max / max(min, 1)).
``StaleSource``      a source has not updated a work for 1.5 × the ``updateFrequency`` its
                     provider discloses (:mod:`alm_ld.analytics.staleness`).
``HarvestFailed``    a provider's last harvest failed (:func:`harvest_failed_alert`, for
                     harvest runs that report failures).

Every alert names the work, source, metric, both values, the observations and the feeds.
Alerts about one feed live in their own named graph (``almid:alerts/feed/<hash>``), written in
one transaction; stale-source alerts live in ``almid:alerts/stale``, kept current by each
ingest (:mod:`alm_ld.analytics.staleness`).
Alert IRIs are hashes of their content, so recomputing gives the same nodes.

This module is the store side (reading what the rules need, writing and querying the alerts'
RDF); the rules themselves, one pure function per alert type, are
:mod:`alm_ld.analytics.alert_rules` (``Alert``, ``ALERT_TYPES`` are re-exported here).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from rdflib import URIRef

from alm_ld.analytics.alert_rules import (
    ALERT_TYPES,
    Alert,
    Observation,
    disagreement_alerts,
    harvest_failed_alert,
    series_alerts,
)
from alm_ld.analytics.observation_rows import read_observations
from alm_ld.analytics.sparql import iri, literal, select
from alm_ld.analytics.timeutil import rfc3339
from alm_ld.config import Settings
from alm_ld.sparql_text import PROV_NS, RDF_NS, RDFS_NS, XSD_NS
from alm_ld.store.base import Store
from alm_ld.vocab import ALM, ALM_NS, ID_NS

# Looked up in the closed namespace once, so a type or property missing from vocab.ttl fails
# at import instead of writing an undefined IRI into every alert.
_TYPE_IRIS = {name: str(ALM[name]) for name in ALERT_TYPES}
_P = {name: str(ALM[name]) for name in (
    "alertType", "work", "metric", "source", "otherSource", "observation",
    "previousObservation", "provider", "value", "previousValue", "feed", "previousFeed")}
_ALERT_CLASS = str(ALM.Alert)
ALERT_GRAPH_PREFIX = ID_NS + "alerts/"
STALE_GRAPH = ID_NS + "alerts/stale"
XSD = XSD_NS


# ---------------------------------------------------------------------------------------------
# RDF


def _triples(alert: Alert) -> Iterator[str]:
    node = iri(alert.iri)
    yield f"{node} <{RDF_NS}type> <{_ALERT_CLASS}> ."
    yield f"{node} <{_P['alertType']}> <{_TYPE_IRIS[alert.type]}> ."
    for prop, value in (("work", alert.work), ("metric", alert.metric),
                        ("source", alert.source), ("otherSource", alert.other_source),
                        ("observation", alert.observation),
                        ("previousObservation", alert.previous_observation),
                        ("provider", alert.provider)):
        if value:
            yield f"{node} <{_P[prop]}> {iri(value)} ."
    for prop, value in (("value", alert.value), ("previousValue", alert.previous_value)):
        if value is not None:
            yield f"{node} <{_P[prop]}> {literal(int(value), XSD + 'integer')} ."
    for feed in alert.feeds:
        yield f"{node} <{_P['feed']}> {iri(feed)} ."
    for feed in alert.previous_feeds:
        yield f"{node} <{_P['previousFeed']}> {iri(feed)} ."
    yield (f"{node} <{PROV_NS}generatedAtTime> "
           f"{literal(alert.detected, XSD + 'dateTime')} .")
    yield f"{node} <{RDFS_NS}comment> {literal(alert.message)} ."


def alerts_ntriples(alerts: Iterable[Alert]) -> bytes:
    return "".join(line + "\n" for alert in alerts for line in _triples(alert)).encode("utf-8")


def feed_alert_graph(feed: str) -> str:
    return f"{ALERT_GRAPH_PREFIX}feed/{hashlib.sha256(feed.encode()).hexdigest()[:32]}"


def write_alerts(store: Store, graph: str, alerts: list[Alert]) -> None:
    """Replace named graph ``graph`` with ``alerts`` in one transaction (empty: drop it)."""
    exists = store.has_graph(URIRef(graph))
    if alerts:
        # A new graph (the usual case: a feed's first alerts) goes through the store's loader,
        # several times faster than parsing the same triples as one SPARQL INSERT DATA.
        store.add_graph(URIRef(graph), alerts_ntriples(alerts), replace=exists)
    elif exists:
        store.update(f"DROP SILENT GRAPH {iri(graph)}")


# ---------------------------------------------------------------------------------------------
# Reading a feed's series (the rules are alert_rules.series_alerts / disagreement_alerts)


def _observations(store: Store, feed: str) -> list[Observation]:
    """Every stored observation of the (work, metric) pairs that ``feed`` has observations of
    (:func:`alm_ld.analytics.observation_rows.read_observations`), with the revisions read
    from the feed's own graph (only the feed's revisions are checked)."""
    found = read_observations(store, feed)
    if not found:
        return []
    revisions = {r["obs"]: r["rev"] for r in select(store, f"""
SELECT ?obs ?rev WHERE {{ GRAPH {iri(feed)} {{ ?obs prov:wasRevisionOf ?rev }} }}""")}
    for obs in found:
        obs.revision_of = revisions.get(obs.iri)
    return found


_READS: OrderedDict[tuple[int, str], list[Observation]] = OrderedDict()
_READS_LOCK = threading.Lock()


def _keep_read(store: Store, feed: str, observations: list[Observation]) -> None:
    """Keep the last few reads for :func:`feed_observations` (the current-value view, refreshed
    right after the alerts of the same feed, needs exactly this read: it is the largest cost of
    an ingest, so it is made once)."""
    with _READS_LOCK:
        _READS[(id(store), feed)] = observations
        while len(_READS) > 4:
            _READS.popitem(last=False)


def feed_observations(store: Store, feed: str) -> list[Observation]:
    """Every stored observation of the (work, metric) pairs ``feed`` observes: the alerts'
    read of this feed if it was just made (taken once), else a new read."""
    with _READS_LOCK:
        kept = _READS.pop((id(store), feed), None)
    return kept if kept is not None else _observations(store, feed)


def feed_alerts(store: Store, feed: str, settings: Settings,
                now: datetime | None = None) -> list[Alert]:
    """Every series and disagreement alert caused by feed ``feed`` (already in the store)."""
    detected = rfc3339(now or datetime.now(UTC))
    # One read serves both checks: every observation of the (work, metric) pairs in the feed.
    wide = _observations(store, feed)
    _keep_read(store, feed, wide)
    return alerts_of(wide, feed, settings, detected)


def alerts_of(wide: list[Observation], feed: str, settings: Settings,
              detected: str) -> list[Alert]:
    """The series and disagreement alerts caused by ``feed``, from ``wide``: every
    observation of the (work, metric) pairs the feed observes, the feed's own included (with
    ``revision_of`` set on the feed's revisions). Pure: ingest computes it before writing."""
    if not wide:
        return []
    in_feed = {(o.work, o.metric, o.source) for o in wide if feed in o.feeds}
    observations = [o for o in wide if (o.work, o.metric, o.source) in in_feed]
    alerts = series_alerts(observations, feed, settings, detected)
    alerts += disagreement_alerts(wide, feed, settings, detected)
    return alerts


# ---------------------------------------------------------------------------------------------
# Staleness and harvest failures


def record_harvest(store: Store, provider: str, *, failed: int, attempted: int, detail: str = "",
                   feed: str | None = None, now: datetime | None = None) -> Alert | None:
    """Record the outcome of a provider's harvest run: a failed run leaves a ``HarvestFailed``
    alert in the provider's harvest graph; a clean run clears it (only the last run counts)."""
    graph = f"{ALERT_GRAPH_PREFIX}harvest/{hashlib.sha256(provider.encode()).hexdigest()[:32]}"
    alert = None
    if failed:
        alert = harvest_failed_alert(provider, failed=failed, attempted=attempted, detail=detail,
                                     feed=feed, now=now)
    write_alerts(store, graph, [alert] if alert else [])
    return alert


# ---------------------------------------------------------------------------------------------
# Reading


def query_alerts(store: Store, *, work: str | None = None, source: str | None = None,
                 alert_type: str | None = None, limit: int = 1000) -> list[Alert]:
    """Stored alerts, newest first, filtered by work, source and type. ``source`` matches
    either side of a disagreement, and a provider IRI matches the alerts about its feeds."""
    filters = []
    if work:
        filters.append(f"?a alm:work {iri(work)} .")
    if source:
        filters.append(f"{{ ?a alm:source {iri(source)} }} UNION "
                       f"{{ ?a alm:otherSource {iri(source)} }} UNION "
                       f"{{ ?a alm:provider {iri(source)} }} UNION "
                       f"{{ ?a alm:feed ?byFeed . ?byFeed alm:provider {iri(source)} }}")
    if alert_type:
        filters.append(f"?a alm:alertType {iri(ALM_NS + alert_type)} .")
    rows = select(store, f"""
SELECT ?a ?g ?type ?detected ?message ?work ?metric ?source ?other ?value ?prev ?obs ?pobs
       ?provider ?feed ?pfeed WHERE {{
  {{ SELECT DISTINCT ?a ?g WHERE {{
      GRAPH ?g {{ ?a a alm:Alert }} {" ".join(filters)}
  }} }}
  GRAPH ?g {{
    ?a alm:alertType ?type ; prov:generatedAtTime ?detected ; rdfs:comment ?message .
    OPTIONAL {{ ?a alm:work ?work }} OPTIONAL {{ ?a alm:metric ?metric }}
    OPTIONAL {{ ?a alm:source ?source }} OPTIONAL {{ ?a alm:otherSource ?other }}
    OPTIONAL {{ ?a alm:value ?value }} OPTIONAL {{ ?a alm:previousValue ?prev }}
    OPTIONAL {{ ?a alm:observation ?obs }} OPTIONAL {{ ?a alm:previousObservation ?pobs }}
    OPTIONAL {{ ?a alm:provider ?provider }}
    OPTIONAL {{ ?a alm:feed ?feed }} OPTIONAL {{ ?a alm:previousFeed ?pfeed }}
  }}
}}""")
    found: dict[str, Alert] = {}
    for row in rows:
        alert = found.get(row["a"])
        if alert is None:
            alert = found[row["a"]] = Alert(
                row["type"][len(ALM_NS):], row["message"], row["detected"], work=row.get("work"),
                metric=row.get("metric"), source=row.get("source"),
                value=row.get("value"), previous_value=row.get("prev"),
                other_source=row.get("other"), observation=row.get("obs"),
                previous_observation=row.get("pobs"), provider=row.get("provider"),
                graph=row["g"], iri=row["a"])
        if row.get("feed") and row["feed"] not in alert.feeds:
            alert.feeds.append(row["feed"])
        if row.get("pfeed") and row["pfeed"] not in alert.previous_feeds:
            alert.previous_feeds.append(row["pfeed"])
    for alert in found.values():  # a property's values come in no order (Virtuoso's differs
        alert.feeds.sort()         # from Oxigraph's): the same alert reads the same anywhere
        alert.previous_feeds.sort()
    alerts = sorted(found.values(), key=lambda a: (a.detected, a.iri), reverse=True)
    return alerts[:limit]
