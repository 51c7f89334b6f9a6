"""OpenAlex: total citations (``cited_by_count``) and citations per year (``counts_by_year``).

A work is looked up by DOI (``/works/doi:10.…``) or by its OpenAlex URL
(``https://openalex.org/W…`` → ``/works/W…``). ``counts_by_year`` lists only years with
citations and only the last ten or so years; each entry becomes an interval Count from 1 January
to 31 December, or to the retrieval date for the running year (a count cannot end in the future).
Two snapshots of one work differ in fields and numbers: each harvest is a new observation.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from alm_ld.errors import InvalidIdentifier
from alm_ld.harvest.base import Harvester, WorkNotFound, work_item
from alm_ld.harvest.work_metadata import openalex_metadata
from alm_ld.identifiers import WorkId, work_iri

_OPENALEX_WORK = re.compile(r"^https://openalex\.org/(W\d+)$", re.IGNORECASE)


class OpenAlexHarvester(Harvester):
    name = "openalex"
    label = "OpenAlex"
    provider_iri = "https://openalex.org"
    default_base_url = "https://api.openalex.org"
    accepts = ("doi", "url")
    disclosure = {
        "dataSources": "OpenAlex's citation graph, built from Crossref, PubMed, institutional "
                       "repositories, publisher sites and the former Microsoft Academic Graph.",
        "metricDefinitions": "citations (cumulative): cited_by_count, works in OpenAlex citing "
                             "the work; citations (interval, per calendar year): "
                             "counts_by_year[].cited_by_count.",
        "collectionMethod": "alm-ld requests GET /works/doi:{doi} (or /works/{W-id}) once per "
                            "work and run and copies the numbers.",
        "limitations": "counts_by_year covers roughly the last ten years and omits years "
                       "without citations; the running year is partial; works are merged and "
                       "split over time, so numbers drift between snapshots.",
        "changeLog": "OpenAlex publishes changes at https://docs.openalex.org; alm-ld records "
                     "every harvest as a new observation, never overwriting older ones.",
        "aggregationMethod": "cited_by_count is OpenAlex's own total; yearly counts are summed "
                             "by OpenAlex per citing work's publication year.",
        "updateFrequency": "OpenAlex updates daily; alm-ld records the value at each run.",
        "accessMethod": "REST API https://api.openalex.org (free; polite pool with mailto), "
                        "full snapshot on AWS.",
        "consistencyAcrossClients": "Same data for all clients of the API at the same time.",
        "consistencyAcrossMethods": "The snapshot lags the API by weeks.",
        "qualityMonitoring": "OpenAlex curates and accepts fix requests; alm-ld fails a work "
                             "with a named field when the response format changes.",
        "independentVerification": "The citing works are listed by "
                                   "/works?filter=cites:{W-id}; each count has its evidence URL.",
        "correctionProcess": "Report errors to OpenAlex support "
                             "(https://help.openalex.org); corrected values appear as revisions "
                             "at the next run.",
    }

    def _path(self, work: WorkId) -> str:
        if work.scheme == "doi":
            return "/works/doi:" + quote(work.value, safe="/")
        match = _OPENALEX_WORK.match(work.value)
        if not match:
            raise WorkNotFound(self.name, work.iri)
        return "/works/" + match.group(1).upper()

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        fetched = self.client.get(self._path(work), {"mailto": self.client.settings.mailto})
        if fetched.status == 404:
            raise WorkNotFound(self.name, work.iri, fetched.url)
        body = fetched.json()
        if not isinstance(body, dict):
            raise self.changed(fetched, "(body)", f"is {type(body).__name__}, expected object")
        openalex_id = self.field(body, "id", str, fetched)
        doi = body.get("doi")
        iri = work.iri
        if isinstance(doi, str):
            try:
                iri = work_iri(doi)
            except InvalidIdentifier:
                iri = work.iri
        elif work.scheme == "url":
            iri = openalex_id
        items: list[dict[str, Any]] = []
        facts = work_item(iri, title=body.get("title"), issued=body.get("publication_date"),
                          same_as=[openalex_id] if openalex_id.startswith("https://") else [],
                          metadata=openalex_metadata(body, self.note_for(iri)))
        if facts:
            items.append(facts)
        total = self.count_value(body.get("cited_by_count"), "cited_by_count", fetched)
        if total is not None:
            items.append(self.count(iri, "citations", total, fetched))
        by_year = self.field(body, "counts_by_year", list, fetched, required=False) or []
        today = fetched.retrieved.date()
        for index, entry in enumerate(by_year):
            where = f"counts_by_year[{index}]"
            year = self.field(entry, "year", int, fetched) if isinstance(entry, dict) else None
            if year is None:
                raise self.changed(fetched, where, "is not an object with a year")
            value = self.count_value(entry.get("cited_by_count"),
                                     where + ".cited_by_count", fetched)
            start = date(year, 1, 1)
            if value is None or start > today:
                continue
            end = min(date(year, 12, 31), today)
            items.append(self.count(iri, "citations", value, fetched, aggregation="interval",
                                    period_start=start.isoformat(),
                                    period_end=end.isoformat()))
        return items
