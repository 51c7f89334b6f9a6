"""crossref-events against the replay server: recorded Event Data pages, exact events, paging end.

The recordings (datacite/levriero's importer, MIT) are one collected-date window of 355 events:
the ``rows=0`` probe, page 1, page 7 and the last page 15 (5 events, non-null next-cursor), plus
two empty windows. The ``stitched`` variant serves page 7 and page 15 for the cursors that follow
page 1 and page 7 (see tests/fixtures/providers/SOURCES.md), so a harvest can page through real
pages to the real end.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from alm_ld.cli import main
from alm_ld.config import Settings
from alm_ld.harvest.http import FakeClock, ProviderClient
from alm_ld.harvest.providers.crossref_events import EventWindow
from alm_ld.harvest.run import harvest_provider, harvest_window, parse_ids
from alm_ld.validate import validate_feed
from tests.support.replay import Fault, ReplayHTTPServer

from .conftest import replay_settings

CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
WINDOW = EventWindow(date(2023, 1, 1), date(2023, 1, 2), source="crossref", scholix=True,
                     rows=25)
LAST_PAGE_NEXT_CURSOR = "aa939d62-1e4e-40e2-a04b-ffddf181ae2f"


def window(settings: Settings, win: EventWindow = WINDOW, **kw: Any):
    feed, report = harvest_window("crossref-events", win, settings, clock=FakeClock(),
                                  rng=lambda: 0.0, **kw)
    result = validate_feed(feed, "strict")
    assert result.valid, result.to_dict()
    return feed, report


def targets(replay: ReplayHTTPServer) -> list[str]:
    return [r["target"] for r in replay.requests_for("/v1/events")]


def test_first_page_exact_events_and_reported_page_limit(harvest_settings: Settings,
                                                         replay: ReplayHTTPServer) -> None:
    feed, report = window(harvest_settings, max_pages=1)
    events = feed["items"]
    assert len(events) == 25 and report.ok and report.done == 1
    assert events[0] == {
        "type": "Event",
        "id": "https://api.eventdata.crossref.org/v1/events/c1a99114-39f5-4ce0-8d2f-7e12ce7317b5",
        "subject": "https://doi.org/10.1101/2021.06.19.449102",
        "relation": "references",
        # upstream keeps the registrant's case: 10.2305/IUCN.UK.2010-3.RLTS.T39742A10261941.en
        "object": "https://doi.org/10.2305/iucn.uk.2010-3.rlts.t39742a10261941.en",
        "occurred": "2022-12-31T21:13:45Z",  # occurred_at 2022-12-31T21:13:45.000Z
        "source": "crossref",
        "license": CC0,
        "evidence": "https://evidence.eventdata.crossref.org/evidence/"
                    "20221231-metadata-213484b7-0224-4400-aaf4-23fcc89c4a8d",
    }
    assert report.notes == ["window 2023-01-01..2023-01-02 source=crossref scholix: stopped at "
                            "the page limit (1 of 15 pages, 25 of 355 events); raise "
                            "--max-pages to read the rest"]
    assert feed["provider"] == {"id": "https://www.crossref.org/services/event-data/",
                                "name": "Crossref Event Data"}
    sent = targets(replay)
    assert len(sent) == 2 and "rows=0" in sent[0] and "rows=25" in sent[1]
    assert "from-collected-date=2023-01-01" in sent[1] and "scholix=true" in sent[1]


def test_paging_stops_at_the_short_last_page_despite_its_next_cursor(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.state.variants.add("stitched")
    feed, report = window(harvest_settings)
    ids = [e["id"].rsplit("/", 1)[1] for e in feed["items"]]
    assert len(ids) == 55 == len(set(ids)) and report.ok and not report.notes
    assert ids[-1] == LAST_PAGE_NEXT_CURSOR  # the last page's next-cursor is its last event
    sent = targets(replay)
    assert len(sent) == 4  # probe + pages 1, 7, 15; never the empty page after 15
    assert not any(LAST_PAGE_NEXT_CURSOR in t for t in sent)
    assert all(e["license"] == CC0 and e["source"] == "crossref" for e in feed["items"])
    assert all(e["object"] == e["object"].lower() for e in feed["items"])  # 17 were upper-case


def test_window_filtered_to_requested_works(harvest_settings: Settings,
                                            replay: ReplayHTTPServer) -> None:
    replay.state.variants.add("stitched")
    feed, _ = window(harvest_settings, works=parse_ids(["10.5194/AMT-14-4403-2021",
                                                "https://doi.org/10.18434/T4D303"]))
    ends = sorted((e["subject"], e["object"]) for e in feed["items"])
    assert len(ends) == 7
    assert sum(s == "https://doi.org/10.5194/amt-14-4403-2021" for s, _ in ends) == 5
    assert sum(o == "https://doi.org/10.18434/t4d303" for _, o in ends) == 2


def test_empty_window_costs_one_request(harvest_settings: Settings,
                                        replay: ReplayHTTPServer) -> None:
    empty = EventWindow(date(2018, 1, 4), date(2018, 1, 31), source="crossref", scholix=True)
    feed, report = window(harvest_settings, empty)
    assert feed["items"] == [] and report.ok and report.done == 1
    assert report.notes == ["window 2018-01-04..2018-01-31 source=crossref scholix: no events "
                            "collected"]
    assert len(targets(replay)) == 1


def test_a_missing_page_fails_the_window_but_keeps_pages_read(harvest_settings: Settings) -> None:
    feed, report = window(harvest_settings)  # page 2's cursor is not recorded: 404
    assert len(feed["items"]) == 25
    [(what, reason)] = report.failed
    assert what == "window 2023-01-01..2023-01-02 source=crossref scholix"
    assert "field 'message.next-cursor' led to a missing page" in reason
    assert "cursor=34e5233f-dd8a-49ed-ad0b-eaf8000a1760" in reason


def test_inverse_relation_swaps_subject_and_object(harvest_settings: Settings,
                                                   replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("rename", path="/v1/events", old="references", new="is-referenced-by"))
    feed, _ = window(harvest_settings, max_pages=1)
    first = feed["items"][0]
    assert first["relation"] == "references"
    assert first["subject"] == "https://doi.org/10.2305/iucn.uk.2010-3.rlts.t39742a10261941.en"
    assert first["object"] == "https://doi.org/10.1101/2021.06.19.449102"


@pytest.mark.parametrize("old,new,note", [
    ("add", "delete", "events left out: 25 deleted"),
    ("references", "is_supplement_to", "events left out: 25 relation is_supplement_to"),
])
def test_deleted_and_unmapped_events_are_left_out_and_counted(
        harvest_settings: Settings, replay: ReplayHTTPServer, old: str, new: str,
        note: str) -> None:
    replay.add_fault(Fault("rename", path="/v1/events", old=old, new=new))
    feed, report = window(harvest_settings, max_pages=1)
    assert feed["items"] == [] and report.ok
    assert report.notes[-1] == note


def test_format_change_names_the_field(harvest_settings: Settings,
                                       replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("rename", path="/v1/events", old="occurred_at", new="occurredAt"))
    feed, report = window(harvest_settings, max_pages=1)
    assert feed["items"] == []
    assert "field 'message.events[0].occurred_at' is missing" in report.failed[0][1]


def test_per_work_mode_asks_obj_id(harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    feed, report = harvest_provider("crossref-events", parse_ids(["10.1037/T05462-000"]),
                                    harvest_settings, clock=FakeClock())
    assert targets(replay) == ["/v1/events?obj-id=10.1037%2Ft05462-000&rows=1000"]
    # no obj-id query was recorded: the replay server's 404 is "not found", not a failure
    assert report.skipped == [("https://doi.org/10.1037/t05462-000",
                               "not found at crossref-events")]
    assert validate_feed(feed, "strict").valid


def test_base_url_from_the_shell_spelling_of_the_name() -> None:
    settings = Settings.from_env({"ALM_LD_CROSSREF_EVENTS_API": "http://127.0.0.1:9/v1"})
    client = ProviderClient("crossref-events", "https://api.eventdata.crossref.org/v1", settings)
    assert client.base_url == "http://127.0.0.1:9/v1"
    client.close()


# -- the CLI ------------------------------------------------------------------------------------
@pytest.fixture()
def env(replay: ReplayHTTPServer, monkeypatch: pytest.MonkeyPatch) -> ReplayHTTPServer:
    for key, value in replay_settings(replay).provider_api.items():
        monkeypatch.setenv(f"ALM_LD_{key.upper().replace('-', '_')}_API", value)
    monkeypatch.setenv("ALM_LD_HTTP_RETRIES", "0")
    return replay


WINDOW_ARGS = ["harvest", "crossref-events", "--since", "2023-01-01", "--until", "2023-01-02",
               "--event-source", "crossref", "--scholix", "--page-size", "25"]


def test_cli_window_writes_feed_and_resumes(env: ReplayHTTPServer, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    env.state.variants.add("stitched")
    out = tmp_path / "events.json"
    args = [*WINDOW_ARGS, "--output", str(out), "--state", str(tmp_path / "state")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "crossref-events: 1 done (0 from earlier run), 55 items, 0 skipped, 0 failed" in err
    feed = json.loads(out.read_text())
    assert validate_feed(feed, "strict").valid and len(feed["items"]) == 55
    env.state.log.clear()
    assert main(args) == 0
    assert "1 done (1 from earlier run), 55 items" in capsys.readouterr().err
    assert env.state.log == []


def test_cli_window_failure_exits_3(env: ReplayHTTPServer, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*WINDOW_ARGS, "--output", str(tmp_path / "f.json")]) == 3
    err = capsys.readouterr().err
    assert "FAILED window 2023-01-01..2023-01-02 source=crossref scholix:" in err
    assert len(json.loads((tmp_path / "f.json").read_text())["items"]) == 25


@pytest.mark.parametrize("argv,message", [
    (["harvest", "crossref", "--since", "2023-01-01"], "crossref cannot harvest by date window"),
    (["harvest", "crossref-events", "--since", "2023-02-30"], "'2023-02-30' is not a date"),
    (["harvest", "crossref-events", "--since", "2023-01-03", "--until", "2023-01-02"],
     "--since 2023-01-03 is after --until 2023-01-02"),
    (["harvest", "crossref-events", "--ids", "10.1/x", "--scholix"],
     "--scholix only apply with --since"),
    (["harvest", "crossref-events"], "Give --ids (work identifiers) or --since"),
    ([*WINDOW_ARGS[:-1], "0"], "--page-size must be between 1 and 10000"),
    (["harvest", "crossref-events", "--since", "2023-01-01", "--event-source", "Bad Source"],
     "is not an Event Data source id"),
])
def test_cli_window_usage_errors_exit_2(env: ReplayHTTPServer, argv: list[str], message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert env.state.log == []
