"""Build the demo dataset by running the real harvesters over recorded provider responses.

``python tools/build_demo.py [FIXTURES_DIR] [OUTPUT_DIR]`` starts the replay server on
127.0.0.1 with the recordings in ``tests/fixtures/providers``, points every provider at it,
harvests :data:`DEMO_WORKS` (and the Event Data window :data:`DEMO_WINDOWS`) and writes one
feed per provider to ``alm_ld/data/demo/``. The
numbers are the ones the providers really returned; evidence URLs are rewritten from the replay
server back to the provider's public API. The run is deterministic: a fixed clock
(:data:`DEMO_TIME`) and feed ids derived from the content, so rebuilding gives identical files.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # a dev tool, not in the wheel: it needs tests/support too

from alm_ld.config import Settings  # noqa: E402
from alm_ld.harvest.http import FakeClock  # noqa: E402
from alm_ld.harvest.providers.crossref_events import EventWindow  # noqa: E402
from alm_ld.harvest.registry import PROVIDERS  # noqa: E402
from alm_ld.harvest.run import harvest_provider, harvest_window, parse_ids  # noqa: E402
from tests.support.replay import ReplayHTTPServer, load_index  # noqa: E402

DEFAULT_FIXTURES = REPO / "tests" / "fixtures" / "providers"
DEFAULT_OUTPUT = REPO / "alm_ld" / "data" / "demo"
FEED_NAMESPACE = uuid.UUID("6f1c1d52-1b8e-4f0e-9a55-0c3c8f1e2a7b")

DEMO_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

DEMO_WORKS: dict[str, list[str]] = {
    "crossref": ["10.1371/journal.pone.0033693", "10.1038/srep16696", "10.1021/jp036075h",
                 "10.1371/journal.pone.0000030", "10.1371/journal.pmed.0030186",
                 "10.1371/journal.pone.0067729",
                 "10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2"],
    "openalex": ["10.7717/peerj.4375"],
    "europepmc": ["pmid:17183658", "pmid:15723116"],
    "opencitations": ["10.1108/jd-12-2013-0166", "10.1371/journal.pgen.1005937"],
    "datacite": ["10.5438/mk65-3m12", "10.7272/42z6-cf76", "10.15468/dl.l2bg9a"],
    "wikipedia": ["10.1371/journal.pone.0044271", "10.1371/journal.pone.0008776"],
    "plos": ["10.1371/journal.pone.0002154"],
}

# Event Data's recordings are a collected-date window, not per-work lookups: its first page
# (25 of 355 data-citation events collected on 1-2 January 2023).
DEMO_WINDOWS: dict[str, EventWindow] = {
    "crossref-events": EventWindow(date(2023, 1, 1), date(2023, 1, 2), source="crossref",
                                   scholix=True, rows=25),
}

# Descriptions no recording holds: PLOS's feed counts views of pone.0002154 but its recorded
# response asked for counts only (fl=id,counter_total_all), so no demo feed said which journal
# the work is in, and the SPARQL editor's "journal's yearly views" example had no rows. One
# curated feed adds what the article's own page says (journals.plos.org: PLOS ONE, eISSN
# 1932-6203); its provider and disclosure say it is curated by hand, not harvested.
DEMO_DESCRIPTIONS: list[dict[str, Any]] = [
    {"type": "Work", "work": "https://doi.org/10.1371/journal.pone.0002154",
     "container": {"title": "PLOS ONE", "issn": ["1932-6203"]}},
]
DESCRIPTIONS_FEED = "descriptions"
_CURATED = "Curated by hand for the demo from each article's page on its publisher's site"
CURATION_DISCLOSURE = {
    "dataSources": _CURATED + " (journals.plos.org).",
    "metricDefinitions": "No metrics: descriptions (journal, ISSN) of demo works only.",
    "collectionMethod": "Written into tools/build_demo.py (DEMO_DESCRIPTIONS) by a maintainer.",
    "limitations": "Only the demo works no harvested feed describes; no counts.",
    "changeLog": "First added with the works index (issue 16).",
    "aggregationMethod": "None: no counts.",
    "updateFrequency": "When tools/build_demo.py changes.",
    "accessMethod": "Reading the publisher's article page.",
    "consistencyAcrossClients": "The same file for everyone.",
    "consistencyAcrossMethods": "Not applicable: one method.",
    "qualityMonitoring": "Checked by hand against the article page.",
    "independentVerification": "Each work's DOI resolves to the page the description is from.",
    "correctionProcess": "Fix DEMO_DESCRIPTIONS and rerun python tools/build_demo.py.",
}


def _descriptions_feed() -> dict[str, Any]:
    """The curated feed of :data:`DEMO_DESCRIPTIONS` (id derived from its content)."""
    body = json.dumps(DEMO_DESCRIPTIONS, sort_keys=True)
    return {"@context": "https://w3id.org/alm-ld/context/v1.jsonld", "type": "Feed",
            "id": f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, DESCRIPTIONS_FEED + body)}",
            "provider": {"id": "https://w3id.org/alm-ld/demo", "name": "alm-ld demo curation"},
            "generated": DEMO_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "disclosure": CURATION_DISCLOSURE, "items": DEMO_DESCRIPTIONS}


def build(fixtures: Path = DEFAULT_FIXTURES, output: Path = DEFAULT_OUTPUT,
          max_pages: int = 1) -> dict[str, dict[str, Any]]:
    """Harvest the demo works and write ``<output>/<provider>.json``; returns the feeds."""
    feeds: dict[str, dict[str, Any]] = {}
    with ReplayHTTPServer(load_index(fixtures)) as server:
        api = {name: server.url + urlsplit(cls.default_base_url).path
               for name, cls in PROVIDERS.items()}
        settings = Settings(provider_api=api, http_retries=0)
        runs = [(name, ids, None) for name, ids in DEMO_WORKS.items()]
        runs += [(name, [], window) for name, window in DEMO_WINDOWS.items()]
        for name, ids, window in runs:
            if window is None:
                feed, report = harvest_provider(name, parse_ids(ids), settings,
                                                clock=FakeClock(DEMO_TIME),
                                                max_pages=max_pages, rng=lambda: 0.0)
            else:
                feed, report = harvest_window(name, window, settings,
                                              clock=FakeClock(DEMO_TIME), max_pages=max_pages,
                                              rng=lambda: 0.0)
            if not report.ok:
                raise SystemExit("demo build failed:\n" + "\n".join(report.lines()))
            public = PROVIDERS[name].default_base_url
            for item in feed["items"]:
                if str(item.get("evidence", "")).startswith(api[name]):
                    item["evidence"] = public + item["evidence"][len(api[name]):]
            body = json.dumps(feed["items"], sort_keys=True)
            feed["id"] = f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, name + body)}"
            feeds[name] = feed
    feeds[DESCRIPTIONS_FEED] = _descriptions_feed()
    output.mkdir(parents=True, exist_ok=True)
    for name, feed in feeds.items():
        (output / f"{name}.json").write_text(
            json.dumps(feed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return feeds


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    fixtures = Path(args[0]) if args else DEFAULT_FIXTURES
    output = Path(args[1]) if len(args) > 1 else DEFAULT_OUTPUT
    feeds = build(fixtures, output)
    for name, feed in feeds.items():
        print(f"{output / (name + '.json')}: {len(feed['items'])} items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
