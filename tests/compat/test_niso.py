"""/sources/{provider}/niso over real HTTP: the NISO RP-25 table on the shipped demo in HTML,
JSON-LD and CSV, and declared-vs-observed checks on generated feeds with known answers."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
import requests

from alm_ld.jsonld import to_rdf_nquads
from alm_ld.resources import demo_dir
from alm_ld.vocab import DISCLOSURE_KEYS

DEMO = sorted(demo_dir().glob("*.json"))
CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
PROVIDER = {"id": "https://metrics.example.org/", "name": "Example Metrics"}
W = "https://doi.org/10.5555/niso.1"


def niso_url(server, provider: str) -> str:
    return f"{server.url}/sources/{quote(provider, safe='')}/niso"


class _Rows(HTMLParser):
    """The NISO table's rows as (item, declared, observed) cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_table = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "niso-table") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr" and any(k == "data-item" for k, _ in attrs):
            self.rows.append([])
        elif self._in_table and self.rows and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.skipif(not DEMO, reason="demo feeds not built")
def test_demo_table_in_three_formats_linked_from_sources(live_server, store, ingest) -> None:
    docs = [json.loads(path.read_text(encoding="utf-8")) for path in DEMO]
    ingest(*docs)
    server = live_server(store=store)
    sources = requests.get(f"{server.url}/sources", timeout=10).json()["sources"]
    assert len(sources) == len(DEMO)
    page = requests.get(f"{server.url}/sources", headers={"Accept": "text/html"}, timeout=10)
    for doc in docs:
        provider = doc["provider"]["id"]
        [entry] = [s for s in sources if s["id"] == provider]
        assert entry["nisoUrl"] == niso_url(server, provider)
        assert f'href="{entry["nisoUrl"]}"' in page.text

        as_json = requests.get(entry["nisoUrl"], timeout=10)
        assert as_json.status_code == 200
        assert as_json.headers["Content-Type"].startswith("application/ld+json")
        report = as_json.json()
        assert report["id"] == entry["nisoUrl"] and report["type"] == "NisoSelfReport"
        quads = to_rdf_nquads(report)  # JSON-LD that means something as RDF
        assert (f"<{entry['nisoUrl']}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                "<https://w3id.org/alm-ld/niso-report#NisoSelfReport> .") in quads
        counted = report["items"][11]["observed"]
        assert counted["items"] == sum(i["type"] != "Work" for i in doc["items"])
        assert report["provider"] == {"id": provider, "name": doc["provider"]["name"]}
        assert [row["key"] for row in report["items"]] == list(DISCLOSURE_KEYS)
        assert [row["declared"] for row in report["items"]] == [
            doc["disclosure"].get(key) for key in DISCLOSURE_KEYS]
        relations = {i["relation"] for i in doc["items"] if i["type"] == "Event"}
        metrics = {i["metric"] for i in doc["items"] if i["type"] == "Count"}
        seen = report["items"][1]["observed"]
        assert set(seen["metrics"]) == metrics and set(seen["relations"]) == relations
        assert report["items"][6]["observed"]["ingests"] == 1
        assert len(report["changeLog"]) == 1  # the first disclosure: every item added
        assert {c["change"] for c in report["changeLog"][0]["changes"]} == {"added"}

        as_csv = requests.get(entry["nisoUrl"], headers={"Accept": "text/csv"}, timeout=10)
        assert as_csv.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert [r["key"] for r in rows] == list(DISCLOSURE_KEYS)
        assert [r["declared"] for r in rows] == [doc["disclosure"].get(k) or ""
                                                 for k in DISCLOSURE_KEYS]
        assert rows[1]["observed"] == report["items"][1]["observedText"]

        as_html = requests.get(entry["nisoUrl"], headers={"Accept": "text/html"}, timeout=10)
        assert as_html.headers["Content-Type"].startswith("text/html")
        parser = _Rows()
        parser.feed(as_html.text)
        assert len(parser.rows) == 13
        assert [r[2] for r in parser.rows] == [
            " ".join(doc["disclosure"][k].split()) if doc["disclosure"].get(k)
            else "not declared" for k in DISCLOSURE_KEYS]
        assert parser.rows[0][3] == report["items"][0]["observedText"]


def feed(n: int, disclosure: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "Feed",
            "id": f"urn:uuid:00000000-0000-4000-a000-{n:012d}", "provider": PROVIDER,
            "generated": f"2026-06-0{n}T00:00:00Z", "disclosure": disclosure, "items": items}


def views(value: int) -> dict[str, Any]:
    return {"type": "Count", "work": W, "metric": "views", "source": "example", "value": value,
            "aggregation": "cumulative", "periodEnd": "2026-06-01"}


def test_declared_next_to_observed_and_change_log(live_server, store, ingest) -> None:
    first = {"dataSources": "Example platform logs", "updateFrequency": "P1D",
             "metricDefinitions": "views: page views"}
    second = {**first, "metricDefinitions": "views: page views, robots removed"}
    third = {k: v for k, v in second.items() if k != "dataSources"}
    ingest(feed(1, first, [views(10)]),
           feed(2, second, [views(8)]),   # the same count revised downwards
           feed(3, third, [views(8), {"type": "Event", "id": "https://e.example.org/1",
                                      "subject": "https://blog.example.org/p", "object": W,
                                      "relation": "discusses", "source": "blogs",
                                      "occurred": "2026-06-01T00:00:00Z"}]))
    server = live_server(store=store)
    report = requests.get(niso_url(server, PROVIDER["id"]), timeout=10).json()
    refused = requests.get(niso_url(server, PROVIDER["id"]), params={"format": "ttl"},
                           timeout=10)
    assert refused.status_code == 406 and "csv" in refused.json()["detail"]
    items = {row["key"]: row for row in report["items"]}
    assert report["feeds"] == 3 and report["declaredItems"] == 2
    assert items["dataSources"]["declared"] is None  # the latest disclosure dropped it
    assert items["metricDefinitions"]["declared"] == "views: page views, robots removed"
    assert items["metricDefinitions"]["observed"] == {"metrics": {"views": 2},
                                                      "relations": {"discusses": 1}}
    assert items["correctionProcess"]["observed"] == {"revisions": 1}
    # two values of the count (10, then 8 sent twice) and one event; none names its evidence
    assert items["independentVerification"]["observed"] == {"items": 3, "withEvidence": 0}
    assert items["correctionProcess"]["observedText"] == "1 stored value(s) revised by a later feed"
    frequency = items["updateFrequency"]["observed"]
    assert frequency["ingests"] == 3 and frequency["declaredIntervalSeconds"] == 86400
    # the three feeds were ingested seconds apart: not the declared daily rhythm
    assert frequency["agreesWithDeclared"] is False
    assert "NOT consistent" in items["updateFrequency"]["observedText"]
    assert items["changeLog"]["observed"] == {"feedsWithDisclosure": 3, "disclosureChanges": 2}
    log = report["changeLog"]
    assert [entry["sequence"] for entry in log] == [1, 2, 3]
    assert log[1]["changes"] == [{"item": 2, "key": "metricDefinitions", "change": "changed",
                                  "text": "views: page views, robots removed",
                                  "previous": "views: page views"}]
    assert log[2]["changes"] == [{"item": 1, "key": "dataSources", "change": "removed",
                                  "previous": "Example platform logs"}]


def test_unknown_provider_and_bad_format(live_server) -> None:
    server = live_server()
    missing = requests.get(niso_url(server, "https://nobody.example.org/"), timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert requests.get(f"{server.url}/sources/not-an-iri/niso", timeout=10).status_code == 404
