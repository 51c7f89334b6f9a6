"""Work metadata (feed format v1.1) harvested from recorded Crossref, OpenAlex and DataCite
responses: the real values, normalised identifiers, and strict-valid feeds (issue 16)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from alm_ld.config import Settings
from alm_ld.harvest.work_metadata import crossref_metadata, datacite_metadata, openalex_metadata
from alm_ld.validate import validate_feed
from tests.harvest.test_providers import harvest
from tests.support.replay import Fault, ReplayHTTPServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"


def _recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _work(feed: dict[str, Any], iri: str) -> dict[str, Any]:
    return next(i for i in feed["items"] if i["type"] == "Work" and i["work"] == iri)


def test_openalex_authorships_with_orcid_and_ror(harvest_settings: Settings) -> None:
    feed, _ = harvest("openalex", ["10.7717/peerj.4375"], harvest_settings)
    work = _work(feed, "https://doi.org/10.7717/peerj.4375")
    assert work["workType"] == "journal-article"  # type_crossref, not OpenAlex's "article"
    assert work["container"] == {"title": "PeerJ", "issn": ["2167-8359"]}
    assert work["publisher"] == "PeerJ, Inc."
    assert work["authors"][0] == {
        "name": "Heather Piwowar", "orcid": "https://orcid.org/0000-0003-1613-5981",
        "affiliations": [{"name": "Impact Technology Development (United States)",
                          "ror": "https://ror.org/05ppvf150"}]}
    larivière = work["authors"][2]
    assert larivière["name"] == "Vincent Larivière"
    assert [a["ror"] for a in larivière["affiliations"]] == [
        "https://ror.org/0161xgx34", "https://ror.org/002rjbv21"]
    assert len(work["authors"]) == 9
    assert "funders" not in work  # the record has "grants": [] — nothing invented


def test_a_mistyped_upstream_orcid_is_left_out_and_reported(
        harvest_settings: Settings, replay: ReplayHTTPServer) -> None:
    """The upstream record is served with a wrong ORCID check digit: the feed stays valid
    (the author is kept without it) and the run report says what was left out and where."""
    replay.add_fault(Fault("rename", path="peerj.4375", old="https://orcid.org/0000-0003-1613-5981",
                           new="https://orcid.org/0000-0003-1613-5982"))
    feed, report = harvest("openalex", ["10.7717/peerj.4375"], harvest_settings)
    assert _work(feed, "https://doi.org/10.7717/peerj.4375")["authors"][0]["name"] == \
        "Heather Piwowar"
    assert "orcid" not in _work(feed, "https://doi.org/10.7717/peerj.4375")["authors"][0]
    notes = [n for n in report.notes if "left out" in n]
    assert notes == [note for note in notes if note.startswith(
        "https://doi.org/10.7717/peerj.4375: ORCID of Heather Piwowar "
        "'https://orcid.org/0000-0003-1613-5982' left out:")] and len(notes) == 1
    assert any("left out" in line for line in report.lines())


def test_crossref_container_type_and_publisher(harvest_settings: Settings) -> None:
    feed, _ = harvest("crossref", ["10.1371/journal.pone.0033693", "10.1021/jp036075h"],
                      harvest_settings)
    plos = _work(feed, "https://doi.org/10.1371/journal.pone.0033693")
    assert plos["workType"] == "journal-article"
    assert plos["container"] == {"title": "PLoS ONE", "issn": ["1932-6203"]}
    assert plos["publisher"] == "Public Library of Science (PLoS)"
    assert plos["authors"][0] == {"name": "Shankar Sadasivan"}  # no ORCID, no affiliation
    jpc = _work(feed, "https://doi.org/10.1021/jp036075h")
    assert jpc["container"]["issn"] == ["1520-6106", "1520-5207"]  # print and electronic
    assert jpc["authors"][0]["affiliations"][0]["name"].startswith("CEA/Saclay")


def test_crossref_list_records_funders_and_x_check_digits() -> None:
    items = _recorded("crossref/works_list_cursor_first_page.json")["message"]["items"]
    by_doi = {item["DOI"]: crossref_metadata(item) for item in items}
    sensors = by_doi["10.1155/2016/1353212"]
    assert sensors["container"]["issn"] == ["1687-725X", "1687-7268"]
    assert sensors["funders"] == [
        {"name": "Federal Ministries of Transport, Innovation and Technology"}]
    assert by_doi["10.4061/2010/505436"]["container"]["issn"] == ["2042-003X"]
    assert by_doi["10.1002/humu.2018.39.issue-6"]["workType"] == "journal-issue"


def test_crossref_orcid_ror_and_funder_doi_are_normalised_and_typos_dropped() -> None:
    """Crossref writes ORCIDs as http:// IRIs and ROR ids inside ``affiliation[].id``; a
    mistyped ORCID (wrong check digit) is dropped with the name kept, never sent on."""
    message = copy.deepcopy(_recorded("crossref/works_doi_ok.json")["message"])
    message["author"][0]["ORCID"] = "http://orcid.org/0000-0002-1825-0097"
    message["author"][0]["affiliation"] = [{"name": "Brown University", "id": [
        {"id": "https://ror.org/05gq02987", "id-type": "ROR", "asserted-by": "publisher"}]}]
    message["author"][1]["ORCID"] = "http://orcid.org/0000-0002-1825-0098"
    message["funder"] = [{"DOI": "10.13039/100000001", "name": "National Science Foundation",
                          "doi-asserted-by": "publisher", "award": ["1234"]},
                         {"name": "A foundation without id"}]
    notes: list[str] = []
    metadata = crossref_metadata(message, notes.append)
    assert len(notes) == 1 and notes[0].startswith(
        "ORCID of Brooks B. Pond 'http://orcid.org/0000-0002-1825-0098' left out:")
    assert metadata["authors"][0] == {
        "name": "Shankar Sadasivan", "orcid": "https://orcid.org/0000-0002-1825-0097",
        "affiliations": [{"name": "Brown University", "ror": "https://ror.org/05gq02987"}]}
    assert metadata["authors"][1] == {"name": "Brooks B. Pond"}
    assert metadata["funders"] == [
        {"name": "National Science Foundation", "id": "https://doi.org/10.13039/100000001"},
        {"name": "A foundation without id"}]


def test_openalex_funders_with_ror_and_bad_upstream_ids() -> None:
    body = copy.deepcopy(_recorded("openalex/work_by_id_with_counts_by_year.json"))
    body["funders"] = [{"id": "https://openalex.org/F4320306076",
                        "display_name": "National Science Foundation",
                        "ror": "https://ror.org/021nxhr62"}]
    body["authorships"][0]["author"]["orcid"] = "https://orcid.org/0000-0003-1613-5982"
    body["authorships"][0]["institutions"][0]["ror"] = "https://ror.org/05ppvf151"
    notes: list[str] = []
    metadata = openalex_metadata(body, notes.append)
    assert [n.split(" left out:")[0] for n in notes] == [
        "ROR id 'https://ror.org/05ppvf151'",
        "ORCID of Heather Piwowar 'https://orcid.org/0000-0003-1613-5982'"]
    assert metadata["funders"] == [{"name": "National Science Foundation",
                                    "id": "https://ror.org/021nxhr62"}]
    assert metadata["authors"][0] == {
        "name": "Heather Piwowar",
        "affiliations": [{"name": "Impact Technology Development (United States)"}]}


def test_datacite_creators_with_orcid_and_resource_type(harvest_settings: Settings) -> None:
    feed, _ = harvest("datacite", ["10.5438/mk65-3m12", "10.7272/42z6-cf76"], harvest_settings)
    blog = _work(feed, "https://doi.org/10.5438/mk65-3m12")
    assert blog["workType"] == "Text"
    assert blog["publisher"] == "DataCite"
    assert blog["authors"] == [{"name": "Fenner, Martin",
                                "orcid": "https://orcid.org/0000-0003-1419-2405",
                                "affiliations": [{"name": "DataCite"}]}]
    dataset = _work(feed, "https://doi.org/10.7272/42z6-cf76")
    assert dataset["workType"] == "Dataset"
    assert dataset["authors"][0] == {"name": "Ewers, Michael"}


def test_datacite_newer_shapes_ror_affiliations_funder_ids_and_issn_container() -> None:
    attributes = copy.deepcopy(_recorded("datacite/doi_single_counts.json")["data"]["attributes"])
    attributes["publisher"] = {"name": "DataCite"}
    attributes["creators"][0]["affiliation"] = [{
        "name": "DataCite", "affiliationIdentifier": "https://ror.org/04wxnsj81",
        "affiliationIdentifierScheme": "ROR"}]
    attributes["container"] = {"type": "Blog", "title": "DataCite Blog",
                               "identifier": "2749-9952", "identifierType": "ISSN"}
    attributes["fundingReferences"] = [
        {"funderName": "European Commission", "funderIdentifier":
         "https://doi.org/10.13039/501100000780", "funderIdentifierType": "Crossref Funder ID"}]
    metadata = datacite_metadata(attributes)
    assert metadata["publisher"] == "DataCite"
    assert metadata["authors"][0]["affiliations"] == [
        {"name": "DataCite", "ror": "https://ror.org/04wxnsj81"}]
    assert metadata["funders"] == [{"name": "European Commission",
                                    "id": "https://doi.org/10.13039/501100000780"}]
    assert metadata["container"]["title"] == "DataCite Blog"


def test_openalex_metadata_alone_makes_a_valid_work_item() -> None:
    """The harvest helper checks whole harvested feeds against the strict profile; the
    metadata function's output must also be a valid Work item on its own, without warnings."""
    body = _recorded("openalex/work_by_id_with_counts_by_year.json")
    item = {"type": "Work", "work": "https://doi.org/10.7717/peerj.4375",
            **openalex_metadata(body)}
    feed = {"@context": "https://w3id.org/alm-ld/context/v1.jsonld", "type": "Feed",
            "id": "urn:uuid:7a1b9a55-0c1d-4c1e-9d0e-0f7f0b5e7c11",
            "provider": {"id": "https://openalex.org", "name": "OpenAlex"},
            "generated": "2026-03-01T12:00:00Z", "items": [item]}
    report = validate_feed(feed, "base")
    assert report.valid and not report.problems, report.to_dict()
