"""The shipped demo feeds are exactly what the harvesters make of the recorded responses."""

from __future__ import annotations

import json
from pathlib import Path

from alm_ld.validate import validate_feed
from tools.build_demo import DEFAULT_OUTPUT, DEMO_WINDOWS, DEMO_WORKS, DESCRIPTIONS_FEED, build

from .conftest import FIXTURES


def test_rebuilding_the_demo_gives_the_shipped_feeds(tmp_path: Path) -> None:
    feeds = build(FIXTURES, tmp_path)
    assert set(feeds) == set(DEMO_WORKS) | set(DEMO_WINDOWS) | {DESCRIPTIONS_FEED}
    for name in feeds:
        shipped = json.loads((DEFAULT_OUTPUT / f"{name}.json").read_text(encoding="utf-8"))
        rebuilt = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        assert rebuilt == shipped, f"alm_ld/data/demo/{name}.json is stale: rerun " \
                                   "python tools/build_demo.py"
        assert validate_feed(shipped, "strict").valid
        assert all("127.0.0.1" not in str(i.get("evidence")) for i in shipped["items"])


def test_demo_holds_real_numbers() -> None:
    crossref = json.loads((DEFAULT_OUTPUT / "crossref.json").read_text(encoding="utf-8"))
    values = {i["work"]: i["value"] for i in crossref["items"] if i["type"] == "Count"}
    assert values["https://doi.org/10.1371/journal.pone.0033693"] == 72
    assert [i for i in crossref["items"] if i["type"] == "Count"][0]["evidence"].startswith("https://api.crossref.org/works/")


def test_demo_holds_event_data_events() -> None:
    feed = json.loads((DEFAULT_OUTPUT / "crossref-events.json").read_text(encoding="utf-8"))
    assert len(feed["items"]) == 25
    assert {i["relation"] for i in feed["items"]} == {"references"}
    assert all(i["evidence"].startswith("https://evidence.eventdata.crossref.org/")
               for i in feed["items"])
