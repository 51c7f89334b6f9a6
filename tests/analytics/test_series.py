"""GET /works/<id>/metrics over real HTTP: Data Cube JSON-LD, CSV, buckets and increments."""

from __future__ import annotations

import csv
import io

from alm_ld.jsonld import expand
from tests.analytics.feeds import count, feed

WORK = "https://doi.org/10.5555/series.1"
QB = "http://purl.org/linked-data/cube#"


def _seed(ingest):
    ingest(
        feed([count(WORK, 10, "2026-01-15"), count(WORK, 14, "2026-01-31"),
              count(WORK, 20, "2026-02-28"), count(WORK, 5, "2026-01-31", source="opencitations"),
              count(WORK, 3, "2026-01-10", metric="views", aggregation="interval",
                    start="2026-01-01", source="plos"),
              count(WORK, 4, "2026-01-20", metric="views", aggregation="interval",
                    start="2026-01-11", source="plos"),
              count(WORK, 6, "2026-02-10", metric="views", aggregation="interval",
                    start="2026-02-01", source="plos")]),
    )


def _slice(doc, metric, source):
    [found] = [s for s in doc["slice"] if s["metric"] == metric and s["source"] == source]
    return found


def test_monthly_series_with_increments(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    response = live.get("/works/10.5555/series.1/metrics",
                        params={"granularity": "month", "increments": "true"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    doc = response.get_json()
    assert doc["type"] == "DataSet" and doc["work"] == WORK
    crossref = _slice(doc, "citations", "crossref")
    assert crossref["current"] == 20
    assert [(p["period"], p["value"], p.get("increment")) for p in crossref["observation"]] == [
        ("2026-01", 14, None), ("2026-02", 20, 6)]
    views = _slice(doc, "views", "plos")
    assert views["aggregation"] == "interval"
    assert views["current"] == 13
    assert [(p["period"], p["value"], p["increment"]) for p in views["observation"]] == [
        ("2026-01", 7, 7), ("2026-02", 6, 6)]
    # provenance of every point: observations, feed, evidence
    point = crossref["observation"][0]
    assert len(point["derivedFrom"]) == 2 and point["feed"]
    assert point["evidence"] == "https://api.example.org/crossref/series.1"


def test_sources_shown_side_by_side_never_summed(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    doc = live.get(f"/works/{WORK}/metrics", params={"metric": "citations"}).get_json()
    assert {s["source"] for s in doc["slice"]} == {"crossref", "opencitations"}
    [row] = doc["comparison"]
    assert row["metric"] == "citations"
    assert {v["source"]: v["value"] for v in row["values"]} == {"crossref": 20,
                                                                "opencitations": 5}
    assert row["ratio"] == 4.0


def test_daily_filter_window(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    doc = live.get(f"/works/{WORK}/metrics", params={
        "source": "crossref", "from": "2026-01-20", "to": "2026-02-28"}).get_json()
    [only] = doc["slice"]
    assert [(p["period"], p["value"]) for p in only["observation"]] == [
        ("2026-01-31", 14), ("2026-02-28", 20)]
    assert "increment" not in only["observation"][0]


def test_csv_by_accept_and_format(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    url = f"{live.url}/works/{WORK}/metrics"
    by_accept = live.get(url, params={"granularity": "year", "increments": "1"},
                         headers={"Accept": "text/csv"})
    by_format = live.get(url, params={"granularity": "year", "increments": "1",
                                      "format": "csv"})
    assert by_accept.headers["Content-Type"].startswith("text/csv")
    assert by_accept.text == by_format.text
    rows = list(csv.DictReader(io.StringIO(by_accept.text)))
    table = {(r["metric"], r["source"], r["period"]): (r["value"], r["increment"]) for r in rows}
    assert table == {("citations", "crossref", "2026"): ("20", ""),
                     ("citations", "opencitations", "2026"): ("5", ""),
                     ("views", "plos", "2026"): ("13", "13")}
    assert all(r["feeds"] and r["observations"] for r in rows)


def test_revision_replaces_value_in_series(app_client, store, ingest):
    ingest(feed([count(WORK, 10, "2026-03-01")]))
    ingest(feed([count(WORK, 12, "2026-03-01")]))
    live = app_client(store=store)
    doc = live.get(f"/works/{WORK}/metrics").get_json()
    [only] = doc["slice"]
    assert only["current"] == 12
    assert [p["value"] for p in only["observation"]] == [12]


def test_dataset_is_data_cube_json_ld(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    doc = live.get(f"/works/{WORK}/metrics").get_json()
    expanded = expand(doc)
    [dataset] = expanded
    assert dataset["@type"] == [QB + "DataSet"]
    slices = dataset[QB + "slice"]
    observations = [o for s in slices for o in s[QB + "observation"]]
    assert observations and all(o["@type"] == [QB + "Observation"] for o in observations)
    values = {o["https://w3id.org/alm-ld/vocab#value"][0]["@value"] for o in observations}
    assert 20 in values or "20" in values


def test_errors_are_problem_documents(app_client, store, ingest):
    _seed(ingest)
    live = app_client(store=store)
    base = f"{live.url}/works/{WORK}/metrics"
    for params, status in (({"granularity": "week"}, 400), ({"from": "yesterday"}, 400),
                           ({"from": "2026-03-01", "to": "2026-01-01"}, 400),
                           ({"increments": "maybe"}, 400), ({"format": "xml"}, 406)):
        response = live.get(base, params=params)
        assert response.status_code == status, params
        assert response.headers["Content-Type"] == "application/problem+json"
    unknown = live.get("/works/10.5555/nobody/metrics")
    assert unknown.status_code == 404
    bad = live.get("/works/not-an-id/metrics")
    assert bad.status_code == 400
