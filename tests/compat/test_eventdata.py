"""GET /v1/events (Crossref Event Data Query API shape) over real HTTP, on recorded Event Data.

The events are harvested by alm-ld's own crossref-events harvester from the recorded Event Data
pages (tests/fixtures/providers/crossref_eventdata, served by the replay server: the stitched
window of pages 1, 7 and 15, 55 events), ingested into a real store and served back: each one
must carry the recorded event's fields and values, and Event Data clients (including alm-ld's
harvester itself) must read them as they read Event Data.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.harvest.http import FakeClock
from alm_ld.harvest.providers.crossref_events import EventWindow
from alm_ld.harvest.run import harvest_window
from alm_ld.identifiers import work_iri
from alm_ld.pipeline import ingest_feed

from .conftest import replay_settings

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "providers" / "crossref_eventdata"
PAGES = ("events_first_page_cursor.json", "events_middle_page.json",
         "events_last_page_cursor_not_null.json")
WINDOW = EventWindow(date(2023, 1, 1), date(2023, 1, 2), source="crossref", scholix=True,
                     rows=25)
# Event Data fields alm-ld keeps and serves with the recorded value.
SAME_VALUE = ("id", "subj_id", "relation_type_id", "source_id", "occurred_at", "license",
              "evidence_record", "terms", "action")


def recorded_events() -> dict[str, dict[str, Any]]:
    events = {}
    for name in PAGES:
        body = json.loads((RECORDED / name).read_text(encoding="utf-8"))
        for event in body["message"]["events"]:
            events[event["id"]] = event
    return events


@pytest.fixture
def harvested(replay) -> dict[str, Any]:
    """The stitched window, harvested from the replay server by alm-ld's harvester."""
    replay.state.variants.add("stitched")
    feed, report = harvest_window("crossref-events", WINDOW, replay_settings(replay),
                                  clock=FakeClock(), rng=lambda: 0.0)
    assert report.ok and len(feed["items"]) == 55
    return feed


@pytest.fixture
def served(live_server, store, settings: Settings, harvested):
    ingest_feed(store, harvested, settings=settings)
    return live_server(store=store)


def get(server, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}/v1/events", params=params, timeout=10)


def page_through(server, **params: Any) -> list[dict[str, Any]]:
    events, cursor, pages = [], None, 0
    while True:
        body = get(server, **params, **({"cursor": cursor} if cursor else {})).json()
        events += body["message"]["events"]
        pages += 1
        cursor = body["message"]["next-cursor"]
        if cursor is None:
            return events
        assert pages < 100


def test_served_events_have_the_recorded_fields_and_values(served) -> None:
    response = get(served, source="crossref", rows=100)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok" and body["message-type"] == "event-list"
    message = body["message"]
    assert message["total-results"] == 55 and message["next-cursor"] is None
    assert message["items-per-page"] == 100
    recorded = recorded_events()
    assert {e["id"] for e in message["events"]} == set(recorded)
    ingested = datetime.now(UTC).date().isoformat()
    for event in message["events"]:
        original = recorded[event["id"]]
        assert {k: event[k] for k in SAME_VALUE} == {k: original[k] for k in SAME_VALUE}
        # DOIs come back in their canonical lower-case form (DOIs are case-insensitive)
        assert event["obj_id"] == work_iri(original["obj_id"])
        assert event["obj_id"].lower() == original["obj_id"].lower()
        assert event["subj"]["pid"] == event["subj_id"]
        assert event["obj"]["pid"] == event["obj_id"]
        # timestamp: when the event entered alm-ld (Event Data: when it entered Event Data)
        assert event["timestamp"].startswith(ingested) and event["timestamp"].endswith("Z")
        # every recorded field is served, except the agent's source_token
        assert set(original) - set(event) == {"source_token"}
        assert set(event) <= set(original)


def test_upper_case_doi_found_by_its_registrant_spelling(served) -> None:
    upper = "10.2305/IUCN.UK.2010-3.RLTS.T39742A10261941.en"
    events = get(served, **{"obj-id": upper}).json()["message"]["events"]
    assert [e["id"] for e in events] == ["c1a99114-39f5-4ce0-8d2f-7e12ce7317b5"]
    recorded = recorded_events().values()
    by_prefix = get(served, **{"obj-id.prefix": "10.5281"}).json()["message"]
    assert by_prefix["total-results"] == sum(
        e["obj_id"].lower().startswith("https://doi.org/10.5281/") for e in recorded) > 0
    assert sorted(e["id"] for e in page_through(served, rows=3, **{"obj-id.prefix": "10.5281"})
                  ) == sorted(e["id"] for e in recorded
                              if e["obj_id"].lower().startswith("https://doi.org/10.5281/"))
    by_subject = get(served, **{"subj-id.prefix": "10.5194", "rows": 0}).json()["message"]
    assert by_subject["total-results"] == sum(
        e["subj_id"].startswith("https://doi.org/10.5194/") for e in recorded) > 0
    assert get(served, source="wikipedia").json()["message"]["total-results"] == 0


def test_paging_with_cursor_reads_every_event_once_in_a_stable_order(
        served, harvested, settings: Settings) -> None:
    # the same events sent again in a later feed are not new: listed once, at the first feed
    again = {**harvested, "id": "urn:uuid:00000000-0000-4000-8000-0000000000aa",
             "items": harvested["items"][:10]}
    ingest_feed(served.store, again, settings=settings)
    first = get(served, rows=20).json()["message"]
    assert len(first["events"]) == 20 and first["next-cursor"]
    paged = page_through(served, rows=20)
    ids = [e["id"] for e in paged]
    assert len(ids) == 55 == len(set(ids))
    assert ids[:20] == [e["id"] for e in first["events"]]
    assert ids == [e["id"] for e in get(served, rows=1000).json()["message"]["events"]]
    count_only = get(served, rows=0).json()["message"]
    assert count_only == {"next-cursor": None, "total-results": 55, "items-per-page": 0,
                          "events": []}


def test_occurred_and_collected_date_filters(served) -> None:
    recorded = recorded_events().values()
    expected = sorted(e["id"] for e in recorded if e["occurred_at"][:10] == "2022-12-31")
    assert 0 < len(expected) < 55
    window = {"from-occurred-date": "2022-12-31", "until-occurred-date": "2022-12-31"}
    assert sorted(e["id"] for e in page_through(served, rows=7, **window)) == expected
    later = [e for e in recorded if e["occurred_at"][:10] >= "2023-01-01"]
    assert get(served, **{"from-occurred-date": "2023-01-01"}).json()["message"][
        "total-results"] == len(later)
    today = datetime.now(UTC).date()
    tomorrow, yesterday = (today + timedelta(days=1)).isoformat(), (
        today - timedelta(days=1)).isoformat()
    assert get(served, **{"from-collected-date": today.isoformat()}).json()["message"][
        "total-results"] == 55
    assert get(served, **{"from-collected-date": tomorrow}).json()["message"][
        "total-results"] == 0
    assert get(served, **{"until-collected-date": yesterday}).json()["message"][
        "total-results"] == 0


def test_alm_ld_harvester_reads_the_served_events_back_unchanged(served, harvested) -> None:
    """An Event Data client pointed at alm-ld (here alm-ld's own harvester, which pages with a
    rows=0 probe, collected-date windows, scholix and next-cursor) gets the same events."""
    settings = Settings.from_env({"ALM_LD_CROSSREF_EVENTS_API": served.url + "/v1",
                                  "ALM_LD_HTTP_RETRIES": "1"})
    today = datetime.now(UTC).date()
    again, report = harvest_window(
        "crossref-events", EventWindow(today, today, source="crossref", scholix=True, rows=10),
        settings, clock=FakeClock(), rng=lambda: 0.0)
    assert report.ok and not report.failed
    assert sorted(again["items"], key=lambda e: e["id"]) == sorted(
        harvested["items"], key=lambda e: e["id"])


BAD = [
    ({"from-updated-date": "2023-01-01"}, "Unknown parameter(s) from-updated-date"),
    ({"rows": "many"}, "rows='many' is not a whole number"),
    ({"rows": "10001"}, "rows=10001 must be between 0 and 10000"),
    ({"cursor": "5d91bf35-341c-4551-98a1-f45033b5453b"}, "is not a cursor of this service"),
    ({"from-occurred-date": "2023-13-01"}, "from-occurred-date='2023-13-01'"),
    ({"from-collected-date": "2023-02-01", "until-collected-date": "2023-01-01"},
     "from-collected-date=2023-02-01 is after until-collected-date=2023-01-01"),
    ({"obj-id": "not a doi"}, "obj-id='not a doi'"),
    ({"obj-id.prefix": "11.5555"}, "is not a DOI prefix"),
    ({"source": "a b"}, "is not a source id"),
    ({"scholix": "maybe"}, "scholix='maybe' must be true or false"),

]


def test_bad_parameters_are_problems(live_server) -> None:
    """One server (an empty store: parameters are checked before any data is read)."""
    server = live_server()
    for params, needle in BAD:
        response = get(server, **params)
        assert response.status_code == 400, params
        assert response.headers["Content-Type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == 400 and needle in problem["detail"], problem["detail"]

