"""Data-quality alerts: computed at ingest, served by GET /alerts, visible to SPARQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from alm_ld.analytics import record_harvest, refresh_stale_alerts
from alm_ld.analytics.sparql import select
from tests.analytics.feeds import ALTMETRIC, count, feed

WORK = "https://doi.org/10.5555/alerts.1"
OTHER = "https://doi.org/10.5555/alerts.2"


def _alerts(live, **params):
    response = live.get("/alerts", params=params)
    assert response.status_code == 200, response.text
    return response.get_json()["alerts"]


def test_decrease_alerts_with_both_values_and_feeds(app_client, store, ingest):
    first = feed([count(WORK, 30, "2026-01-31")])
    second = feed([count(WORK, 25, "2026-02-28")])
    ingest(first, second)
    live = app_client(store=store)
    [alert] = _alerts(live, type="CountDecreased")
    assert alert["work"] == WORK and alert["metric"] == "citations"
    assert alert["source"] == "crossref"
    assert (alert["value"], alert["previousValue"]) == (25, 30)
    assert alert["feed"] == [second["id"]] and alert["previousFeed"] == [first["id"]]
    assert len(alert["observations"]) == 2
    assert "fell from 30" in alert["message"]


def test_decrease_found_within_one_feed_and_by_revision(store, ingest):
    ingest(feed([count(WORK, 9, "2026-01-01"), count(WORK, 7, "2026-01-02")]))
    ingest(feed([count(OTHER, 50, "2026-01-01")]))
    ingest(feed([count(OTHER, 40, "2026-01-01")]))  # same key, revised downwards
    rows = select(store, """SELECT ?work ?v ?p WHERE {
        ?a a alm:Alert ; alm:alertType alm:CountDecreased ; alm:work ?work ;
           alm:value ?v ; alm:previousValue ?p } ORDER BY ?work""")
    assert [(r["work"], r["v"], r["p"]) for r in rows] == [(WORK, 7, 9), (OTHER, 40, 50)]


def test_no_alert_for_a_growing_series(app_client, store, ingest):
    ingest(feed([count(WORK, 1, "2026-01-01")]), feed([count(WORK, 2, "2026-01-02")]))
    live = app_client(store=store)
    assert _alerts(live) == []


def test_implausible_jump_for_discussion_metrics_only(app_client, store, ingest):
    tweets = dict(metric="tweets", source="twitter")
    ingest(feed([count(WORK, 100, "2026-01-01", **tweets),
                 count(WORK, 1300, "2026-01-03", **tweets),      # +600/day > 500
                 count(WORK, 1400, "2026-01-05", **tweets),      # +50/day
                 count(WORK, 100, "2026-01-01", metric="views"),
                 count(WORK, 90000, "2026-01-02", metric="views"),  # viewed: not checked
                 count(OTHER, 3000, "2026-01-05", metric="tweets", source="twitter",
                       aggregation="interval", start="2026-01-01")],  # 600/day
                provider=ALTMETRIC))
    live = app_client(store=store)
    jumps = _alerts(live, type="ImplausibleJump")
    assert sorted((a["work"], a["value"], a.get("previousValue")) for a in jumps) == [
        (WORK, 1300, 100), (OTHER, 3000, None)]


def test_jump_threshold_is_a_setting(store, oxigraph_settings):
    from alm_ld.pipeline import ingest_feed

    tweets = dict(metric="tweets", source="twitter")
    ingest_feed(store, feed([count(WORK, 0, "2026-01-01", **tweets),
                             count(WORK, 600, "2026-01-02", **tweets)]),
                settings=oxigraph_settings.with_(jump_threshold=700))
    assert select(store, "SELECT ?a WHERE { ?a a alm:Alert }") == []
    ingest_feed(store, feed([count(WORK, 1400, "2026-01-03", **tweets)]),
                settings=oxigraph_settings.with_(jump_threshold=700))
    [row] = select(store, "SELECT ?v WHERE { ?a alm:alertType alm:ImplausibleJump ; alm:value ?v }")
    assert row["v"] == 1400


def test_sources_disagreeing_beyond_factor(app_client, store, ingest):
    ingest(feed([count(WORK, 10, "2026-01-31"), count(OTHER, 10, "2026-01-31")]))
    ingest(feed([count(WORK, 25, "2026-01-31", source="opencitations"),
                 count(OTHER, 15, "2026-01-31", source="opencitations")]))
    live = app_client(store=store)
    [alert] = _alerts(live, type="SourcesDisagree")
    assert alert["work"] == WORK
    assert {alert["source"], alert["otherSource"]} == {"crossref", "opencitations"}
    assert (alert["value"], alert["previousValue"]) == (25, 10)
    assert alert["feed"] and alert["previousFeed"]
    # filters: by work and by either source
    assert _alerts(live, work="10.5555/alerts.2") == []
    assert len(_alerts(live, source="crossref")) == 1
    assert len(_alerts(live, source="opencitations", type="SourcesDisagree")) == 1


def test_stale_source_by_disclosed_update_frequency(app_client, store, ingest):
    ingest(feed([count(WORK, 1, "2026-01-01")], disclosure={"updateFrequency": "P1D"}))
    ingest(feed([count(OTHER, 1, "2026-01-01")], provider=ALTMETRIC))  # discloses nothing
    live = app_client(store=store)
    assert _alerts(live, type="StaleSource") == []
    refresh_stale_alerts(store, now=datetime.now(UTC) + timedelta(days=2))
    [alert] = _alerts(live, type="StaleSource")
    assert alert["work"] == WORK and alert["source"] == "crossref"
    assert "expected every P1D" in alert["message"]
    # a new update from the source clears it (in real time: a source updating every second
    # is stale 1.5 s after its feed; the alerts are as of their last refresh)
    every_second = {"updateFrequency": "PT1S"}
    ingest(feed([count(WORK, 2, "2026-01-02")], disclosure=every_second))
    time.sleep(1.6)
    refresh_stale_alerts(store)
    [alert] = _alerts(live, type="StaleSource")
    assert alert["work"] == WORK and "expected every PT1S" in alert["message"]
    ingest(feed([count(WORK, 3, "2026-01-03")], disclosure=every_second))
    assert _alerts(live, type="StaleSource") == []


def test_failed_harvest_recorded_and_cleared(app_client, store, ingest):
    ingest(feed([count(WORK, 1, "2026-01-01")]))
    provider = "https://ror.org/02twcfp32"
    record_harvest(store, provider, failed=2, attempted=8, detail="HTTP 503 from Crossref")
    live = app_client(store=store)
    [alert] = _alerts(live, type="HarvestFailed")
    assert alert["provider"] == provider and "2 of 8" in alert["message"]
    [source] = live.get("/sources").get_json()["sources"]
    assert source["failureRate"] == 0.25
    record_harvest(store, provider, failed=0, attempted=8)
    assert _alerts(live, type="HarvestFailed") == []


def test_bad_alert_filters_are_problems(app_client, store):
    live = app_client(store=store)
    for params in ({"type": "Nonsense"}, {"work": "nope"}, {"limit": "0"}):
        response = live.get("/alerts", params=params)
        assert response.status_code == 400, params
        assert response.headers["Content-Type"] == "application/problem+json"
