"""Failure modes against the real replay server: 429/Retry-After, 5xx, timeouts, truncated
bodies, changed formats, rate limits, conditional requests, interruption and resume."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alm_ld import __version__
from alm_ld.config import Settings
from alm_ld.errors import HarvestError
from alm_ld.harvest.http import FakeClock, ProviderClient, rate_for
from alm_ld.harvest.run import RunState, harvest_provider, parse_ids
from alm_ld.validate import validate_feed
from tests.support.replay import Fault, ReplayHTTPServer

from .conftest import replay_settings

OK_DOI = "10.1371/journal.pone.0033693"
OTHER_DOI = "10.1038/srep16696"


def run(name: str, ids: list[str], settings: Settings, clock: FakeClock | None = None, **kw):
    clock = clock or FakeClock()
    feed, report = harvest_provider(name, parse_ids(ids), settings, clock=clock,
                                    rng=lambda: 0.0, **kw)
    assert validate_feed(feed, "strict").valid
    return feed, report, clock


def test_retry_after_seconds_is_honoured(harvest_settings: Settings,
                                         replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("status", path=OK_DOI, status=429, retry_after="7", times=1))
    feed, report, clock = run("crossref", [OK_DOI], harvest_settings)
    assert report.ok and report.done == 1
    assert 7.0 in clock.sleeps
    assert len(replay.requests_for(OK_DOI)) == 2


def test_retry_after_http_date_is_honoured(harvest_settings: Settings,
                                           replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("status", path=OK_DOI, status=503,
                           retry_after="Thu, 01 Jan 2026 00:00:30 GMT", times=1))
    _, report, clock = run("crossref", [OK_DOI], harvest_settings)
    assert report.ok
    assert any(29 <= s <= 30 for s in clock.sleeps)


def test_a_retry_after_that_is_no_number_falls_back_to_backoff(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    """'\u00b2' (superscript two, a Latin-1 header byte) passes str.isdigit() but not float()."""
    replay.add_fault(Fault("status", path=OK_DOI, status=429, retry_after="\u00b2", times=1))
    _, report, clock = run("crossref", [OK_DOI], harvest_settings)
    assert report.ok and report.done == 1
    assert len(replay.requests_for(OK_DOI)) == 2 and 2.0 not in clock.sleeps


def test_retry_after_beyond_the_cap_fails_the_work_without_waiting(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("status", path=OK_DOI, status=429, retry_after="3600"))
    feed, report, clock = run("crossref", [OK_DOI, OTHER_DOI], harvest_settings)
    assert [w for w, _ in report.failed] == ["https://doi.org/" + OK_DOI]
    assert "asked to wait 3600 s" in report.failed[0][1]
    assert max(clock.sleeps, default=0) < 60
    assert report.done == 1 and len(feed["items"]) == 2  # the other work is still there


def test_server_errors_back_off_exponentially_then_succeed(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("status", path=OK_DOI, status=500, times=2))
    _, report, clock = run("crossref", [OK_DOI], harvest_settings)
    assert report.ok
    assert clock.sleeps[-2:] == [1.0, 2.0]  # backoff 1 s, 2 s (jitter 0 in tests)


def test_persistent_server_errors_fail_only_that_work(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("status", path=OK_DOI, status=500))
    feed, report, _ = run("crossref", [OK_DOI, OTHER_DOI], harvest_settings)
    (work, reason), = report.failed
    assert work == "https://doi.org/" + OK_DOI
    assert "HTTP 500" in reason and "gave up after 3 attempts" in reason
    assert ("https://doi.org/" + OTHER_DOI, "citations") in {
        (i["work"], i["metric"]) for i in feed["items"] if i["type"] == "Count"}


def test_recorded_crossref_429_html_is_an_error_with_request_and_response(
        harvest_settings: Settings) -> None:
    client = ProviderClient("crossref", "https://api.crossref.org", harvest_settings,
                            clock=FakeClock(), rng=lambda: 0.0)
    with pytest.raises(HarvestError) as caught:
        client.get("/works/10.1039%2Fc8cc06410e")
    error = caught.value
    assert error.provider == "crossref" and error.status_code == 429
    assert error.url.endswith("/works/10.1039%2Fc8cc06410e")
    assert "<html" in error.body_excerpt.lower()
    assert error.to_problem()["upstreamStatus"] == 429


def test_slow_responses_time_out(replay: ReplayHTTPServer) -> None:
    settings = replay_settings(replay, http_timeout=0.3, http_retries=0)
    replay.add_fault(Fault("slow", path=OK_DOI, delay=1.0))
    _, report, _ = run("crossref", [OK_DOI, OTHER_DOI], settings)
    assert report.failed[0][1].startswith("crossref: no answer within 0.3 s")
    assert report.done == 1


def test_truncated_body_is_retried_then_reported(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("truncate", path=OK_DOI, times=1))
    _, report, _ = run("crossref", [OK_DOI], harvest_settings)
    assert report.ok and report.done == 1
    replay.add_fault(Fault("truncate", path=OK_DOI))
    _, report, _ = run("crossref", [OK_DOI], harvest_settings)
    assert "body cut short" in report.failed[0][1]


@pytest.mark.parametrize("provider,work,old,new,field", [
    ("crossref", OK_DOI, "DOI", "doi", "message.DOI"),
    ("plos", "10.1371/journal.pone.0002154", "counter_total_all", "counterTotal",
     "response.docs[0].counter_total_all"),
    ("wikipedia", "10.1371/journal.pone.0044271", "totalhits", "totalHits",
     "query.searchinfo.totalhits"),
    ("opencitations", "10.1108/jd-12-2013-0166", "citing", "citing_doi", "citing"),
    ("europepmc", "pmid:17183658", "resultList", "results", "resultList.result"),
    ("datacite", "10.5438/mk65-3m12", "attributes", "attrs", "data.attributes"),
    ("openalex", "https://openalex.org/W2741809807", "counts_by_year", "countsByYear", None),
])
def test_changed_field_fails_that_work_naming_provider_and_field(
        provider: str, work: str, old: str, new: str, field: str | None,
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("rename", old=old, new=new))
    feed, report, _ = run(provider, [work], harvest_settings)
    if field is None:  # an optional list renamed away is absence, not a format change
        assert report.ok
        return
    (failed, reason), = report.failed
    assert reason.startswith(f"{provider}: upstream format changed: field {field!r}")


def test_wrong_type_is_a_format_change(harvest_settings: Settings,
                                       replay: ReplayHTTPServer) -> None:
    replay.add_fault(Fault("rename", old="is-referenced-by-count", new="x"))  # absent: fine
    feed, report, _ = run("crossref", [OK_DOI], harvest_settings)
    assert report.ok and not [i for i in feed["items"] if i["type"] == "Count"]


def test_rate_limits_space_requests(replay: ReplayHTTPServer) -> None:
    settings = replay_settings(replay)
    ids = ["10.1371/journal.pone.0002154", "10.1371/journal.pone.0000001",
           "10.1371/journal.pone.0000002"]
    _, report, clock = run("plos", ids, settings)  # PLOS: 10 requests per minute
    assert report.requests == 3
    assert sum(clock.sleeps) == pytest.approx(12.0)
    fast = replay_settings(replay, provider_rate={"plos": 1.0})  # ALM_LD_PLOS_RATE=1
    _, _, clock = run("plos", ids, fast)
    assert sum(clock.sleeps) == pytest.approx(2.0)
    assert rate_for("crossref", Settings()) == (5.0, 1)
    assert rate_for("crossref", Settings(mailto="ops@example.org")) == (10.0, 3)


def test_user_agent_names_alm_ld_and_the_contact(replay: ReplayHTTPServer) -> None:
    settings = replay_settings(replay, mailto="ops@example.org")
    run("crossref", [OK_DOI], settings)
    [request] = replay.requests_for(OK_DOI)
    assert request["headers"]["User-Agent"] == (
        f"alm-ld/{__version__} (+http://127.0.0.1:8080; mailto:ops@example.org)")
    assert "mailto=ops%40example.org" in request["target"]


def test_conditional_requests_revalidate_from_memory_and_disk(
        harvest_settings: Settings, replay: ReplayHTTPServer, tmp_path: Path) -> None:
    path = "/dois/10.5438/mk65-3m12"
    client = ProviderClient("datacite", "https://api.datacite.org", harvest_settings,
                            clock=FakeClock(), cache_dir=tmp_path)
    first = client.get(path)
    second = client.get(path)
    assert not first.from_cache and second.from_cache and second.body == first.body
    sent = replay.requests_for(path)
    assert "If-None-Match" not in sent[0]["headers"]
    assert sent[1]["headers"]["If-None-Match"] == 'W/"f5db84fe85fed552d5670f7e4bb8d2fa"'
    fresh = ProviderClient("datacite", "https://api.datacite.org", harvest_settings,
                           clock=FakeClock(), cache_dir=tmp_path)  # a resumed process
    assert fresh.get(path).from_cache


def test_last_modified_revalidation(harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    client = ProviderClient("plos", "https://api.plos.org", harvest_settings, clock=FakeClock())
    params = {"wt": "json", "fq": "doc_type:full", "q": 'id:"10.1371/journal.pone.0002154"',
              "fl": "id,counter_total_all"}
    client.get("/search", params)
    assert client.get("/search", params).from_cache
    headers = replay.state.log[-1]["headers"]
    assert headers["If-Modified-Since"] == "Tue, 07 Apr 2020 17:37:13 GMT"


class Interrupt(Exception):
    pass


def test_interrupted_run_resumes_without_refetching(
        harvest_settings: Settings, replay: ReplayHTTPServer, tmp_path: Path) -> None:
    ids = [OK_DOI, OTHER_DOI, "10.1371/notarealdoi", "10.1021/jp036075h"]
    clock = FakeClock()
    state = RunState(tmp_path, clock=clock)
    seen: list[str] = []

    def stop_after_two(work: str) -> None:
        seen.append(work)
        if len(seen) == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        harvest_provider("crossref", parse_ids(ids), harvest_settings, clock=clock, state=state,
                         on_work=stop_after_two)
    replay.state.log.clear()
    feed, report = harvest_provider("crossref", parse_ids(ids), harvest_settings, clock=clock,
                                    state=RunState(tmp_path, clock=clock))
    assert not replay.requests_for(OK_DOI) and not replay.requests_for(OTHER_DOI)
    assert report.resumed == 2 and report.done == 3 and len(report.skipped) == 1
    assert validate_feed(feed, "strict").valid
    assert {i["work"] for i in feed["items"] if i["type"] == "Count"} == {
        "https://doi.org/" + d for d in (OK_DOI, OTHER_DOI, "10.1021/jp036075h")}
    # outside the run window everything is fetched again
    later = FakeClock(clock.now() + timedelta(hours=25))
    replay.state.log.clear()
    _, report = harvest_provider("crossref", parse_ids(ids), harvest_settings, clock=later,
                                 state=RunState(tmp_path, clock=later))
    assert report.resumed == 0 and replay.requests_for(OK_DOI)


def test_failed_works_are_retried_on_resume(
        harvest_settings: Settings, replay: ReplayHTTPServer, tmp_path: Path) -> None:
    replay.add_fault(Fault("status", path=OK_DOI, status=500))
    clock = FakeClock()
    _, report = harvest_provider("crossref", parse_ids([OK_DOI, OTHER_DOI]), harvest_settings,
                                 clock=clock, state=RunState(tmp_path, clock=clock),
                                 rng=lambda: 0.0)
    assert len(report.failed) == 1
    replay.clear()
    _, report = harvest_provider("crossref", parse_ids([OK_DOI, OTHER_DOI]), harvest_settings,
                                 clock=clock, state=RunState(tmp_path, clock=clock))
    assert report.ok and report.resumed == 1 and report.done == 2
