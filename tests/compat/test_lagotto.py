"""GET|POST /api/works (Lagotto works shape) over real HTTP: generated feeds with known answers,
the recorded Lagotto response's field names, and the shipped demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from alm_ld.resources import demo_dir

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "lagotto"
W = "https://doi.org/10.5555/lagotto.1"
OTHER = "https://doi.org/10.5555/lagotto.2"
CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
CROSSREF = {"id": "https://ror.org/02twcfp32", "name": "Crossref"}
EPMC = {"id": "https://europepmc.org", "name": "Europe PMC"}
PLOS = {"id": "https://plos.org", "name": "PLOS"}


def feed(n: int, provider: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "Feed", "id": f"urn:uuid:00000000-0000-4000-9000-{n:012d}",
            "provider": provider, "generated": "2027-01-02T00:00:00Z", "items": items}


def count(work: str, metric: str, source: str, value: int, end: str, *,
          start: str | None = None) -> dict[str, Any]:
    item = {"type": "Count", "work": work, "metric": metric, "source": source, "value": value,
            "aggregation": "interval" if start else "cumulative", "periodEnd": end,
            "evidence": f"https://api.example.org/{source}/{work.rsplit('/', 1)[-1]}"}
    if start:
        item["periodStart"] = start
    return item


FEEDS = [
    feed(1, CROSSREF, [
        {"type": "Work", "work": W, "title": "A work with known numbers", "issued": "2025-11-03"},
        count(W, "citations", "crossref", 5, "2026-01-15"),
        count(W, "citations", "crossref", 8, "2026-02-10"),
        count(W, "citations", "crossref", 9, "2026-02-20"),
        count(W, "citations", "crossref", 12, "2027-01-01"),
        count(OTHER, "citations", "crossref", 1, "2026-05-01"),
    ]),
    feed(2, EPMC, [count(W, "citations", "europepmc", 7, "2026-12-31")]),
    feed(3, PLOS, [
        count(W, "views", "plos", 100, "2026-01-31", start="2026-01-01"),
        count(W, "views", "plos", 40, "2026-02-28", start="2026-02-01"),
        count(W, "views", "plos", 3, "2026-03-05", start="2026-03-05"),
    ]),
]


@pytest.fixture
def served(live_server, store, ingest):
    ingest(*FEEDS)
    return live_server(store=store)


def lagotto(server, ids: str, **kw: Any) -> requests.Response:
    return requests.get(f"{server.url}/api/works", params={"ids": ids}, timeout=10, **kw)


def test_known_answers_in_lagotto_shape(served) -> None:
    response = lagotto(served, "10.5555/LAGOTTO.1,10.5555/unknown.9")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["total"], body["total_pages"], body["page"], body["error"]) == (1, 1, 1, None)
    assert body["missing"] == [{"id": "10.5555/unknown.9", "status": 404,
                                "detail": "No work https://doi.org/10.5555/unknown.9 is known "
                                          "to this service."}]
    [work] = body["data"]
    assert work["id"] == "doi/10.5555/lagotto.1" and work["doi"] == "10.5555/lagotto.1"
    assert work["title"] == "A work with known numbers"
    assert work["issued"] == {"date-parts": [[2025, 11, 3]]}
    # highest value among sources per group, never a sum of overlapping sources
    assert (work["cited"], work["viewed"], work["saved"], work["discussed"]) == (12, 143, 0, 0)
    sources = {s["name"]: s for s in work["sources"]}
    assert set(sources) == {"crossref", "europe_pmc", "plos"}  # crosswalk names
    crossref = sources["crossref"]
    assert crossref["group_name"] == "cited" and crossref["metrics"]["total"] == 12
    assert crossref["by_month"] == [{"year": 2026, "month": 1, "total": 5},
                                    {"year": 2026, "month": 2, "total": 4},
                                    {"year": 2027, "month": 1, "total": 3}]
    assert crossref["by_year"] == [{"year": 2026, "total": 9}, {"year": 2027, "total": 3}]
    assert crossref["by_day"][1] == {"year": 2026, "month": 2, "day": 10, "total": 3}
    assert crossref["update_date"] == "2027-01-01"
    plos = sources["plos"]
    assert plos["group_name"] == "viewed" and plos["metrics"]["total"] == 143
    assert plos["by_month"] == [{"year": 2026, "month": 1, "total": 100},
                                {"year": 2026, "month": 2, "total": 40},
                                {"year": 2026, "month": 3, "total": 3}]
    assert plos["by_year"] == [{"year": 2026, "total": 143}]
    # monthly counts are not days: by_day keeps only the one-day count
    assert plos["by_day"] == [{"year": 2026, "month": 3, "day": 5, "total": 3}]


def test_same_numbers_as_the_native_api(served) -> None:
    native = requests.get(f"{served.url}/works/10.5555/lagotto.1/metrics", timeout=10).json()
    current = {(s["metric"], s["source"]): s["current"] for s in native["slice"]}
    body = lagotto(served, W).json()
    served_totals = {(s["metric"], s["source"]): s["metrics"]["total"]
                     for s in body["data"][0]["sources"]}
    assert served_totals == current


def test_field_names_match_the_recorded_lagotto_response(served) -> None:
    recorded = json.loads((RECORDED / "v5_articles_detail_single.json").read_text("utf-8"))
    body = lagotto(served, W).json()
    assert set(recorded) <= set(body)
    work, recorded_work = body["data"][0], recorded["data"][0]
    # pmid, pmcid and publisher_id are not known to alm-ld for this work
    assert set(recorded_work) - set(work) == {"pmid", "pmcid", "publisher_id"}
    for source in work["sources"]:
        assert set(recorded_work["sources"][0]) <= set(source)
        assert set(source["metrics"]) == set(recorded_work["sources"][0]["metrics"])


def test_post_form_and_json_answer_like_get(served) -> None:
    url = f"{served.url}/api/works"
    expected = lagotto(served, f"{W},{OTHER}").json()
    assert [w["id"] for w in expected["data"]] == ["doi/10.5555/lagotto.1",
                                                   "doi/10.5555/lagotto.2"]
    by_form = requests.post(url, data={"ids": f"{W},{OTHER}"}, timeout=10)
    by_json = requests.post(url, json={"ids": [W, OTHER]}, timeout=10)
    assert by_form.status_code == by_json.status_code == 200
    assert by_form.json() == expected == by_json.json()


def test_bad_requests_are_problems(served) -> None:
    url = f"{served.url}/api/works"
    cases = [requests.get(url, params={"ids": ",".join(f"10.5555/{i}" for i in range(1001))},
                          timeout=10),
             requests.post(url, json={"works": [W]}, timeout=10),
             requests.get(url, params={"ids": " , "}, timeout=10),
             requests.post(url, data={}, timeout=10)]
    for response in cases:
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["status"] == 400
    ok = requests.post(url, data={"ids": ",".join(f"10.5555/{i}" for i in range(1000))},
                       timeout=30)
    assert ok.status_code == 200 and ok.json()["total"] == 0 and len(ok.json()["missing"]) == 1000


DEMO = sorted(demo_dir().glob("*.json"))


@pytest.mark.skipif(not DEMO, reason="demo feeds not built")
def test_demo_work(live_server, store, ingest) -> None:
    ingest(*(json.loads(path.read_text(encoding="utf-8")) for path in DEMO))
    server = live_server(store=store)
    body = lagotto(server, "10.7717/peerj.4375").json()
    [work] = body["data"]
    assert work["cited"] == 962  # OpenAlex cited_by_count, as /works/{id}/metrics
    [openalex] = [s for s in work["sources"] if s["name"] == "openalex"]
    assert openalex["by_day"] == []  # yearly counts_by_year: no per-day numbers
    assert sum(y["total"] for y in openalex["by_year"]) > 0


def test_without_ids_every_work_page_by_page(served) -> None:
    url = f"{served.url}/api/works"
    first = requests.get(url, params={"per_page": 1}, timeout=10).json()
    second = requests.get(url, params={"per_page": 1, "page": 2}, timeout=10).json()
    beyond = requests.get(url, params={"per_page": 1, "page": 3}, timeout=10).json()
    assert (first["total"], first["total_pages"], first["page"]) == (2, 2, 1)
    assert sorted(w["id"] for w in first["data"] + second["data"]) == [
        "doi/10.5555/lagotto.1", "doi/10.5555/lagotto.2"]
    assert beyond["data"] == [] and beyond["page"] == 3
    assert first["data"][0] == lagotto(served, "doi:" + first["data"][0]["doi"]).json()["data"][0]
    for params in ({"per_page": 51}, {"page": 0}, {"page": "x"}, {"page": 10001}):
        assert requests.get(url, params=params, timeout=10).status_code == 400
