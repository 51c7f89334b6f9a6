"""Every analytics endpoint on the shipped demo feeds (alm_ld/data/demo), over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from alm_ld.resources import demo_dir

DEMO = sorted(demo_dir().glob("*.json"))
pytestmark = pytest.mark.skipif(not DEMO, reason="demo feeds not built")


@pytest.fixture
def demo(live_server, store, ingest):
    ingest(*(json.loads(path.read_text(encoding="utf-8")) for path in DEMO))
    return live_server(store=store)


def test_demo_endpoints(demo):
    url = demo.url
    sources = requests.get(f"{url}/sources", timeout=10).json()["sources"]
    assert len(sources) == len(DEMO)
    assert all(s["disclosure"] and s["lastIngested"] for s in sources)
    changes = requests.get(f"{url}/changes", params={"since": "2000-01-01"}, timeout=10).json()
    assert len(changes["orderedItems"]) == 100
    assert requests.get(changes["next"], timeout=10).json()["orderedItems"]
    work = "10.7717/peerj.4375"
    metrics = requests.get(f"{url}/works/{work}/metrics", params={"granularity": "year"},
                           timeout=10).json()
    by_aggregation = {s["aggregation"]: s for s in metrics["slice"]}
    assert by_aggregation["cumulative"]["current"] == 962  # OpenAlex cited_by_count
    assert len(by_aggregation["interval"]["observation"]) >= 5  # counts_by_year
    related = requests.get(f"{url}/works/10.1371/journal.pone.0008776/related", timeout=10)
    assert related.status_code == 200 and related.json()["subjectCount"] > 0
    assert requests.get(f"{url}/alerts", timeout=10).status_code == 200
