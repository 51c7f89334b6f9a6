"""``GET /works/{id}/metrics`` with ``fill=zero`` (every period, reported vs filled kept apart)
and ``as_of`` (as the service knew it then, from revisions), over real HTTP."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime

import pytest
import requests

from alm_ld.config import Settings
from alm_ld.jsonld import expand
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.analytics.feeds import count
from tests.sets.conftest import feed

WORK = "https://doi.org/10.5555/fill.1"
OBS_STATUS = "http://purl.org/linked-data/sdmx/2009/attribute#obsStatus"
CODE = "http://purl.org/linked-data/sdmx/2009/code#obsStatus-"


@pytest.fixture(scope="module")
def history():
    """Feed A: citations (crossref, cumulative) 10 on 2026-01-15 and 12 on 2026-03-10; views
    (plos, interval) 3 in January and an explicit 0 in March. Feed B, ingested later, revises
    the March citations to 15. ``between`` is an instant after A's ingest and before B's."""
    store = open_store("oxigraph:")
    config = Settings(store="oxigraph:")
    ingest_feed(store, feed([
        count(WORK, 10, "2026-01-15"), count(WORK, 12, "2026-03-10"),
        count(WORK, 3, "2026-01-31", metric="views", source="plos", aggregation="interval",
              start="2026-01-01"),
        count(WORK, 0, "2026-03-31", metric="views", source="plos", aggregation="interval",
              start="2026-03-01")]), settings=config)
    time.sleep(0.02)
    between = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(0.02)
    ingest_feed(store, feed([count(WORK, 15, "2026-03-10")]), settings=config)
    return store, between


@pytest.fixture
def live(live_server, history):
    return live_server(Settings(store="oxigraph:"), history[0])


def _get(live, **params: str) -> requests.Response:
    return requests.get(f"{live.url}/works/10.5555/fill.1/metrics", params=params, timeout=10)


def _slice(doc, metric):
    [found] = [s for s in doc["slice"] if s["metric"] == metric]
    return found


def _points(one) -> list[tuple]:
    return [(p["period"], p["value"], p.get("obsStatus"), p.get("increment"))
            for p in one["observation"]]


def test_fill_zero_gives_every_month_with_reported_and_filled_apart(live) -> None:
    response = _get(live, granularity="month", fill="zero", increments="true",
                    **{"from": "2026-01-01", "to": "2026-04-30"})
    assert response.status_code == 200, response.text
    doc = response.json()
    # cumulative: a filled month keeps the count where it stood (zero activity, increment 0)
    assert _points(_slice(doc, "citations")) == [
        ("2026-01", 10, "A", None), ("2026-02", 10, "L", 0), ("2026-03", 15, "A", 5),
        ("2026-04", 15, "L", 0)]
    # interval: the reported zero of March is "A", the unreported February and April are "L"
    assert _points(_slice(doc, "views")) == [
        ("2026-01", 3, "A", 3), ("2026-02", 0, "L", 0), ("2026-03", 0, "A", 0),
        ("2026-04", 0, "L", 0)]
    march = _slice(doc, "views")["observation"][2]
    february = _slice(doc, "views")["observation"][1]
    assert march["derivedFrom"] and march["feed"]          # a reported zero has provenance
    assert february["derivedFrom"] == [] and february["feed"] == []  # a filled one has none


def test_without_fill_only_reported_periods_and_no_status(live) -> None:
    doc = _get(live, granularity="month").json()
    assert [(p["period"], p["value"]) for p in _slice(doc, "views")["observation"]] == [
        ("2026-01", 3), ("2026-03", 0)]
    assert all("obsStatus" not in p for s in doc["slice"] for p in s["observation"])


def test_fill_zero_by_day_without_from_to_spans_the_reported_range(live) -> None:
    doc = _get(live, fill="zero", metric="citations").json()
    points = _slice(doc, "citations")["observation"]
    assert points[0]["period"] == "2026-01-15" and points[-1]["period"] == "2026-03-10"
    assert len(points) == 17 + 28 + 10  # 15–31 Jan, all of Feb, 1–10 Mar
    assert [p["period"] for p in points if p["obsStatus"] == "A"] == ["2026-01-15",
                                                                      "2026-03-10"]


def test_fill_status_survives_json_ld_expansion(live) -> None:
    doc = _get(live, granularity="month", fill="zero", metric="views",
               **{"from": "2026-01-01", "to": "2026-02-28"}).json()
    text = repr(expand(doc))
    assert text.count(OBS_STATUS) == 2
    assert CODE + "A" in text and CODE + "L" in text


def test_fill_zero_csv_has_a_reported_column(live) -> None:
    response = _get(live, granularity="month", fill="zero", metric="views", format="csv",
                    **{"from": "2026-01-01", "to": "2026-03-31"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["period"], r["value"], r["reported"]) for r in rows] == [
        ("2026-01", "3", "true"), ("2026-02", "0", "false"), ("2026-03", "0", "true")]


def test_as_of_shows_the_value_before_a_later_revision(live, history) -> None:
    between = history[1]
    doc = _get(live, metric="citations", as_of=between).json()
    crossref = _slice(doc, "citations")
    assert crossref["current"] == 12
    assert [(p["period"], p["value"]) for p in crossref["observation"]] == [
        ("2026-01-15", 10), ("2026-03-10", 12)]
    assert datetime.fromisoformat(doc["asOf"]) == datetime.fromisoformat(between)
    now = _get(live, metric="citations").json()
    assert _slice(now, "citations")["current"] == 15


def test_as_of_a_date_means_the_end_of_that_day(live) -> None:
    today = datetime.now(UTC).date().isoformat()
    assert _slice(_get(live, metric="citations", as_of=today).json(),
                  "citations")["current"] == 15
    assert _get(live, as_of="2020-01-01").json()["slice"] == []


@pytest.mark.parametrize(("params", "names"), [
    ({"fill": "ones"}, "fill=zero"),
    ({"as_of": "yesterday"}, "as_of"),
    ({"as_of": "2026-01-01T00:00:00"}, "time zone"),
    ({"fill": "zero", "granularity": "day", "from": "1900-01-01", "to": "2026-01-01"},
     "periods"),
])
def test_bad_fill_and_as_of_are_400_problems(live, params, names) -> None:
    response = _get(live, **params)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert names in response.json()["detail"]
