"""Europe PMC: citation counts (``citedByCount``) and the citing articles as ``cites`` events.

Two endpoints, either of which may know a work: the search (``query=ext_id:{pmid} src:med``,
``resultType=lite``) gives ``citedByCount`` and the DOI; ``/MED/{pmid}/citations`` lists the
citing articles page by page (25 per page; ``hitCount`` is the total). A work unknown to both
is "not found"; a lookup that matches nothing is ``hitCount: 0`` with HTTP 200, not a 404.
Citing articles carry only a publication year, so events are dated 1 January of that year.
Works are keyed by DOI when Europe PMC gives one (so they meet the other providers' data),
else by their PubMed IRI.
"""

from __future__ import annotations

import contextlib
from typing import Any

from alm_ld.errors import InvalidIdentifier
from alm_ld.harvest.base import Harvester, WorkNotFound, minted_event_id, work_item
from alm_ld.harvest.http import Fetched
from alm_ld.identifiers import WorkId, work_iri

PAGE_SIZE = 25
TERMS = "https://www.ebi.ac.uk/about/terms-of-use"


class EuropePmcHarvester(Harvester):
    name = "europepmc"
    label = "Europe PMC"
    provider_iri = "https://europepmc.org"
    default_base_url = "https://www.ebi.ac.uk/europepmc/webservices/rest"
    accepts = ("pmid", "doi")
    disclosure = {
        "dataSources": "Europe PMC's citation network over PubMed/MEDLINE, PMC, Agricola and "
                       "preprint records, built from reference lists Europe PMC has text-mined "
                       "or received.",
        "metricDefinitions": "citations: citedByCount, records in Europe PMC citing the work; "
                             "cites events: one per citing record listed by /citations.",
        "collectionMethod": "alm-ld searches ext_id:{pmid} (or DOI:{doi}) for the count and DOI, "
                            "then pages /MED/{pmid}/citations (25 per page, up to the configured "
                            "page limit) for the citing records.",
        "limitations": "Only citations from records Europe PMC holds reference lists for; "
                       "citing records carry only a publication year, so events are dated "
                       "1 January of that year; long citation lists are cut at the page limit "
                       "(the count stays complete).",
        "changeLog": "alm-ld v1 uses the REST API version 6 search and citations endpoints.",
        "aggregationMethod": "Europe PMC's own total; alm-ld does not add or deduplicate.",
        "updateFrequency": "Europe PMC updates daily; alm-ld records the value at each run.",
        "accessMethod": "Europe PMC RESTful web service "
                        "https://www.ebi.ac.uk/europepmc/webservices/rest (free, no key).",
        "consistencyAcrossClients": "Same data for all clients at the same time.",
        "consistencyAcrossMethods": "search citedByCount and the citations hitCount can differ "
                                    "briefly while the index is rebuilt.",
        "qualityMonitoring": "alm-ld checks types and fails a work with a named field when the "
                             "response format changes.",
        "independentVerification": "Each citing record is an event with its PubMed/PMC IRI.",
        "correctionProcess": "Report errors via https://europepmc.org/ContactUs; corrected "
                             "values appear as revisions at the next run.",
    }

    def _search(self, work: WorkId) -> tuple[Fetched, dict[str, Any] | None]:
        query = (f"ext_id:{work.value} src:med" if work.scheme == "pmid"
                 else f'DOI:"{work.value}"')
        fetched = self.client.get("/search", {"query": query, "format": "json",
                                              "resultType": "lite"})
        if fetched.status == 404:
            return fetched, None
        body = fetched.json()
        hits = self.count_value(self.field(body, "hitCount", (int, str), fetched),
                                "hitCount", fetched)
        results = self.field(body, "resultList.result", list, fetched)
        if not hits or not results:
            return fetched, None
        first = results[0]
        if not isinstance(first, dict):
            raise self.changed(fetched, "resultList.result[0]", "is not an object")
        return fetched, first

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        fetched, record = self._search(work)
        pmid = work.value if work.scheme == "pmid" else None
        iri = work.iri
        items: list[dict[str, Any]] = []
        if record is not None:
            pmid = pmid or (str(record["pmid"]) if record.get("pmid") else None)
            if isinstance(record.get("doi"), str):
                with contextlib.suppress(InvalidIdentifier):
                    iri = work_iri(record["doi"])
            alternates = [work_iri(f"pmid:{pmid}")] if pmid else []
            if isinstance(record.get("pmcid"), str):
                with contextlib.suppress(InvalidIdentifier):
                    alternates.append(work_iri(f"pmcid:{record['pmcid']}"))
            facts = work_item(iri, title=record.get("title"), issued=record.get("pubYear"),
                              same_as=alternates)
            if facts:
                items.append(facts)
            value = self.count_value(record.get("citedByCount"),
                                     "resultList.result[0].citedByCount", fetched)
            if value is not None:
                items.append(self.count(iri, "citations", value, fetched))
        events, total, cited_fetched = self._citations(pmid, iri) if pmid else ([], None, None)
        if not items and total is not None and cited_fetched is not None:
            items.append(self.count(iri, "citations", total, cited_fetched))
        if record is None and cited_fetched is None:
            raise WorkNotFound(self.name, work.iri, fetched.url)
        return items + events

    def _citations(self, pmid: str, iri: str
                   ) -> tuple[list[dict[str, Any]], int | None, Fetched | None]:
        events: list[dict[str, Any]] = []
        total: int | None = None
        first: Fetched | None = None
        for page in range(1, self.max_pages + 1):
            fetched = self.client.get(f"/MED/{pmid}/citations",
                                      {"page": page, "pageSize": PAGE_SIZE, "format": "json"})
            if fetched.status == 404:
                if first is None:
                    return [], None, None
                raise self.changed(fetched, "citations page", f"{page} vanished while paging")
            body = fetched.json()
            first = first or fetched
            total = self.count_value(self.field(body, "hitCount", (int, str), fetched),
                                     "hitCount", fetched)
            citations = self.field(body, "citationList.citation", list, fetched)
            for index, citation in enumerate(citations):
                event = self._event(citation, index, iri, fetched)
                if event:
                    events.append(event)
            if len(citations) < PAGE_SIZE or page * PAGE_SIZE >= (total or 0):
                break
        if total == 0:
            return [], None, None  # nothing known: an empty list is not a count of 0
        return events, total, first

    def _event(self, citation: Any, index: int, iri: str, fetched: Fetched
               ) -> dict[str, Any] | None:
        where = f"citationList.citation[{index}]"
        if not isinstance(citation, dict):
            raise self.changed(fetched, where, "is not an object")
        source = self.field(citation, "source", str, fetched)
        ident = str(self.field(citation, "id", (str, int), fetched))
        year = citation.get("pubYear")
        if source == "MED":
            subject = work_iri(f"pmid:{ident}")
        elif source == "PMC":
            subject = work_iri(f"pmcid:{ident}")
        else:
            subject = f"https://europepmc.org/article/{source}/{ident}"
        if year is None or not (str(year).isascii() and str(year).isdigit()):
            return None  # an event needs a date; without a year there is none to give
        return self.event(minted_event_id(self.name, subject, "cites", iri), subject, "cites",
                          iri, f"{int(year):04d}-01-01T00:00:00Z", fetched, license=TERMS)
