"""Every provider harvests recorded works with the exact upstream numbers, as strict-valid feeds."""

from __future__ import annotations

from typing import Any

import pytest

from alm_ld.config import Settings
from alm_ld.harvest.http import FakeClock
from alm_ld.harvest.run import harvest_provider, parse_ids
from alm_ld.validate import validate_feed
from tests.support.replay import ReplayHTTPServer


def harvest(name: str, ids: list[str], settings: Settings, **kw: Any):
    feed, report = harvest_provider(name, parse_ids(ids), settings, clock=FakeClock(),
                                    rng=lambda: 0.0, **kw)
    result = validate_feed(feed, "strict")
    assert result.valid, result.to_dict()
    return feed, report


def counts(feed: dict[str, Any], aggregation: str = "cumulative") -> dict[tuple[str, str], int]:
    return {(i["work"], i["metric"]): i["value"] for i in feed["items"]
            if i["type"] == "Count" and i["aggregation"] == aggregation}


def events(feed: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in feed["items"] if i["type"] == "Event"]


def works(feed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["work"]: i for i in feed["items"] if i["type"] == "Work"}


def test_crossref_counts_titles_and_absent_counts(harvest_settings: Settings) -> None:
    feed, report = harvest("crossref", [
        "10.1371/journal.pone.0033693", "10.1038/srep16696", "10.1021/jp036075h",
        "10.1371/journal.pone.0000030", "10.1890/0012-9658(2006)87[2832:TIOPMA]2.0.CO;2",
        "10.1371/JOURNAL.PMED.0030186", "https://doi.org/10.1371/journal.pone.0067729",
    ], harvest_settings)
    assert counts(feed) == {
        ("https://doi.org/10.1371/journal.pone.0033693", "citations"): 72,
        ("https://doi.org/10.1038/srep16696", "citations"): 110,
        ("https://doi.org/10.1021/jp036075h", "citations"): 9,
    }  # 2016/2017 responses carry no is-referenced-by-count: omitted, never 0
    assert report.done == 7 and not report.failed and not report.skipped
    found = works(feed)
    assert "https://doi.org/10.1371/journal.pmed.0030186" in found  # upper-case DOI normalised
    assert found["https://doi.org/10.1371/journal.pone.0000030"]["issued"].startswith("2006")
    assert all(i["source"] == "crossref" for i in feed["items"] if i["type"] == "Count")
    assert feed["provider"] == {"id": "https://ror.org/02twcfp32", "name": "Crossref"}
    assert feed["id"].startswith("urn:uuid:")


def test_crossref_not_found_is_skipped(harvest_settings: Settings) -> None:
    feed, report = harvest("crossref", ["10.1371/notarealdoi", "10.1371/journal.pone.0033693"],
                           harvest_settings)
    assert report.skipped == [("https://doi.org/10.1371/notarealdoi", "not found at crossref")]
    assert report.done == 1 and report.ok


def test_openalex_total_and_yearly_interval_counts(harvest_settings: Settings) -> None:
    feed, report = harvest("openalex", ["https://openalex.org/W2741809807"], harvest_settings)
    work = "https://doi.org/10.7717/peerj.4375"
    assert counts(feed) == {(work, "citations"): 962}
    yearly = {i["periodStart"][:4]: i["value"] for i in feed["items"]
              if i["type"] == "Count" and i["aggregation"] == "interval"}
    assert yearly == {"2025": 30, "2024": 118, "2023": 142, "2022": 147, "2021": 146,
                      "2020": 179, "2019": 130, "2018": 59, "2017": 9}
    assert works(feed)[work]["sameAs"] == ["https://openalex.org/W2741809807"]


def test_openalex_by_doi_and_later_snapshot(harvest_settings: Settings, replay: ReplayHTTPServer
                                            ) -> None:
    replay.state.variants.add("later")
    feed, _ = harvest("openalex", ["https://openalex.org/W2741809807"], harvest_settings)
    assert counts(feed) == {("https://doi.org/10.7717/peerj.4375", "citations"): 1149}
    current = [i for i in feed["items"] if i.get("periodStart") == "2026-01-01"]
    assert current and current[0]["periodEnd"] == "2026-01-01"  # running year ends at retrieval


def test_openalex_doi_lookup(harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    replay.state.variants.clear()
    feed, _ = harvest("openalex", ["doi:10.7717/PEERJ.4375"], harvest_settings)
    assert counts(feed) == {("https://doi.org/10.7717/peerj.4375", "citations"): 962}


def test_europepmc_counts_and_cites_events(harvest_settings: Settings) -> None:
    feed, report = harvest("europepmc", ["pmid:17183658", "pmid:15723116", "pmid:20098740"],
                           harvest_settings, max_pages=1)
    assert counts(feed) == {
        ("https://doi.org/10.1371/journal.pone.0000030", "citations"): 31,
        ("https://pubmed.ncbi.nlm.nih.gov/15723116", "citations"): 810,
    }
    cites = events(feed)
    assert len(cites) == 25  # first page of 33; the count stays complete
    first = cites[0]
    assert first["subject"] == "https://pubmed.ncbi.nlm.nih.gov/16271386"
    assert first["relation"] == "cites" and first["occurred"] == "2005-01-01T00:00:00Z"
    assert first["id"].startswith("https://w3id.org/alm-ld/id/event/europepmc/")
    assert report.skipped == [("https://pubmed.ncbi.nlm.nih.gov/20098740",
                               "not found at europepmc")]
    work = works(feed)["https://doi.org/10.1371/journal.pone.0000030"]
    assert "https://pubmed.ncbi.nlm.nih.gov/17183658" in work["sameAs"]


def test_opencitations_string_count_and_oci_events(harvest_settings: Settings) -> None:
    feed, report = harvest("opencitations", ["10.1108/JD-12-2013-0166",
                                             "10.1371/journal.pgen.1005937"], harvest_settings)
    assert counts(feed) == {
        ("https://doi.org/10.1108/jd-12-2013-0166", "citations"): 20,   # "20" upstream
        ("https://doi.org/10.1371/journal.pgen.1005937", "citations"): 18,  # list length
    }
    cites = events(feed)
    assert len(cites) == 38
    first = cites[0]
    assert first["id"] == ("https://w3id.org/oc/index/coci/ci/0200101040536030109070002063703"
                           "010907000500-0200101000836191363010263020001036300010606")
    assert first["subject"] == "https://doi.org/10.1145/3197026.3197050"
    assert first["occurred"] == "2018-01-01T00:00:00Z"  # creation "2018"
    assert first["license"] == "https://creativecommons.org/publicdomain/zero/1.0/"


def test_datacite_counts_events_and_not_found(harvest_settings: Settings) -> None:
    feed, report = harvest("datacite", ["10.5438/mk65-3m12", "10.7272/42z6-cf76",
                                        "10.0001/foo.bar", "10.15468/dl.l2bg9a"], harvest_settings)
    # views/downloads 0 with no usage reports are "not reported", omitted; citations keep 0
    assert counts(feed) == {("https://doi.org/10.5438/mk65-3m12", "citations"): 0,
                            ("https://doi.org/10.7272/42z6-cf76", "citations"): 0}
    [event] = events(feed)  # the other four events on the page are about other DOIs
    assert event["subject"] == "https://doi.org/10.15468/dl.l2bg9a"
    assert event["object"] == "https://doi.org/10.15468/ab3s5x"
    assert event["relation"] == "references"
    assert event["id"] == "https://api.datacite.org/events/133eb0ce-7fdd-450d-9a81-5232e0ba5bfa"
    assert report.skipped == [("https://doi.org/10.0001/foo.bar", "not found at datacite")]
    assert works(feed)["https://doi.org/10.5438/mk65-3m12"]["title"] == "Eating your own Dog Food"


def test_wikipedia_totalhits_and_reference_events(harvest_settings: Settings) -> None:
    feed, report = harvest("wikipedia", ["10.1371/journal.pone.0044271",
                                         "10.1371/journal.pone.0044294",
                                         "10.1371/journal.pone.0008776"], harvest_settings,
                           max_pages=1)
    assert counts(feed) == {
        ("https://doi.org/10.1371/journal.pone.0044271", "wikipedia-references"): 2,
        ("https://doi.org/10.1371/journal.pone.0008776", "wikipedia-references"): 677,
    }
    refs = [e for e in events(feed) if e["object"].endswith("0044271")]
    assert [e["subject"] for e in refs] == [
        "https://en.wikipedia.org/wiki/Lesula",
        "https://en.wikipedia.org/wiki/Primates_described_in_the_2010s"]
    assert refs[0]["occurred"] == "2014-05-24T12:54:07Z"
    assert refs[0]["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert len(events(feed)) == 52
    assert report.skipped == [("https://doi.org/10.1371/journal.pone.0044294",
                               "not found at wikipedia")]


def test_plos_counter_total(harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    feed, _ = harvest("plos", ["10.1371/journal.pone.0002154"], harvest_settings)
    assert counts(feed) == {("https://doi.org/10.1371/journal.pone.0002154", "views"): 9812}
    replay.state.variants.add("month")  # a response with extra fields: same number
    feed, _ = harvest("plos", ["10.1371/journal.pone.0002154"], harvest_settings)
    assert counts(feed) == {("https://doi.org/10.1371/journal.pone.0002154", "views"): 9812}


def test_unknown_work_is_skipped_everywhere(harvest_settings: Settings) -> None:
    for name in ("crossref", "openalex", "opencitations", "datacite", "plos", "crossref-events"):
        feed, report = harvest(name, ["10.9999/never-recorded"], harvest_settings)
        assert feed["items"] == [] and report.ok
        assert report.skipped[0][1] == f"not found at {name}"


def test_identifier_kinds_a_provider_cannot_use_are_skipped(harvest_settings: Settings) -> None:
    feed, report = harvest("crossref", ["pmid:17183658"], harvest_settings)
    assert report.skipped == [("https://pubmed.ncbi.nlm.nih.gov/17183658",
                               "crossref takes doi identifiers, not pmid")]


@pytest.mark.parametrize("name", ["crossref", "openalex", "europepmc", "opencitations",
                                  "datacite", "wikipedia", "plos", "crossref-events"])
def test_disclosure_is_complete(name: str, harvest_settings: Settings) -> None:
    from alm_ld.harvest.registry import provider_class
    from alm_ld.vocab import DISCLOSURE_KEYS

    disclosure = provider_class(name).disclosure
    assert set(disclosure) == set(DISCLOSURE_KEYS)
    assert all(isinstance(v, str) and len(v) > 20 for v in disclosure.values())


def test_events_with_impossible_or_future_dates_are_left_out_not_the_feed(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    """A COCI ``creation`` in the future (print dates run ahead) or impossible used to make the
    validator reject the whole feed; now only those events are left out, with a note."""
    from tests.support.replay import Fault

    for old, new in (("2019-08-19", "2099-08-19"), ("2019-04-30", "2019-02-30")):
        replay.add_fault(Fault("rename", path="/citations/10.1371", old=old, new=new))
    feed, report = harvest("opencitations", ["10.1371/journal.pgen.1005937"], harvest_settings)
    assert counts(feed) == {("https://doi.org/10.1371/journal.pgen.1005937", "citations"): 18}
    assert len(events(feed)) == 16 and report.ok
    assert report.notes == [
        "1 event left out with an impossible date (e.g. 2019-02-30T00:00:00Z)",
        "1 event left out with a date after the harvest (e.g. 2099-08-19T00:00:00Z)"]
