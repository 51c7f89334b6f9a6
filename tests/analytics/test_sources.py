"""GET /sources: the provider dashboard over real HTTP."""

from __future__ import annotations

from tests.analytics.feeds import ALTMETRIC, count, event, feed

WORK = "https://doi.org/10.5555/sources.1"


def test_dashboard_counts_disclosure_and_alerts(app_client, store, ingest):
    ingest(feed([count(WORK, 30, "2026-01-31")], disclosure={"updateFrequency": "P7D"},
                generated="2026-02-01T00:00:00Z"),
           feed([count(WORK, 20, "2026-02-28"),
                 count(WORK, 4, "2026-02-28", source="plos", metric="views")],
                disclosure={"updateFrequency": "P1D", "limitations": "Crossref members only"},
                generated="2026-03-01T00:00:00Z"),
           feed([event("https://en.wikipedia.org/wiki/X", "references", WORK)],
                provider=ALTMETRIC))
    live = app_client(store=store)
    response = live.get("/sources")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    rows = {row["id"]: row for row in response.get_json()["sources"]}
    crossref = rows["https://ror.org/02twcfp32"]
    assert crossref["name"] == "Crossref" and crossref["feeds"] == 2
    assert (crossref["observationCount"], crossref["eventCount"]) == (3, 0)
    assert crossref["lastGenerated"] == "2026-03-01T00:00:00Z"
    assert crossref["lastIngested"].endswith("Z")
    # the disclosure of the latest feed, not a mix
    assert crossref["disclosure"] == {"limitations": "Crossref members only",
                                      "updateFrequency": "P1D"}
    assert {s["source"]: (s["observationCount"], s["openAlerts"])
            for s in crossref["sources"]} == {"crossref": (2, 1), "plos": (1, 0)}
    assert crossref["openAlerts"] == 1  # the decrease 30 → 20
    assert "failureRate" not in crossref  # no harvest run recorded
    assert crossref["alertsUrl"].startswith(f"{live.url}/alerts?source=")
    assert len(live.get(crossref["alertsUrl"]).get_json()["alerts"]) == 1
    altmetric = rows["https://www.altmetric.com/"]
    assert altmetric["eventCount"] == 1 and altmetric["disclosure"] == {}


def test_sources_html_view_is_the_pages_dashboard(app_client, store, ingest):
    ingest(feed([count(WORK, 1, "2026-01-01")]))
    live = app_client(store=store)
    response = live.get("/sources", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Crossref" in response.text
