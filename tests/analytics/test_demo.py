"""Every analytics endpoint on the shipped demo feeds (alm_ld/data/demo), in-process."""

from __future__ import annotations

import json

import pytest

from alm_ld.resources import demo_dir

DEMO = sorted(demo_dir().glob("*.json"))
pytestmark = pytest.mark.skipif(not DEMO, reason="demo feeds not built")


@pytest.fixture
def demo(app_client, store, ingest):
    ingest(*(json.loads(path.read_text(encoding="utf-8")) for path in DEMO))
    return app_client(store=store)


def test_demo_endpoints(demo):
    sources = demo.get("/sources").get_json()["sources"]
    assert len(sources) == len(DEMO)
    assert all(s["disclosure"] and s["lastIngested"] for s in sources)
    changes = demo.get("/changes", params={"since": "2000-01-01"}).get_json()
    assert len(changes["orderedItems"]) == 100
    assert demo.get(changes["next"]).get_json()["orderedItems"]
    work = "10.7717/peerj.4375"
    metrics = demo.get(f"/works/{work}/metrics", params={"granularity": "year"}).get_json()
    by_aggregation = {s["aggregation"]: s for s in metrics["slice"]}
    assert by_aggregation["cumulative"]["current"] == 962  # OpenAlex cited_by_count
    assert len(by_aggregation["interval"]["observation"]) >= 5  # counts_by_year
    related = demo.get("/works/10.1371/journal.pone.0008776/related")
    assert related.status_code == 200 and related.get_json()["subjectCount"] > 0
    assert demo.get("/alerts").status_code == 200
