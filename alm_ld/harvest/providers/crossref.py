"""Crossref REST API: citation counts (``is-referenced-by-count``) and bibliographic basics.

``GET /works/{doi}`` answers one work. Quirks handled (see docs/providers.md): the count is
absent in responses before 2017 (unknown, so no Count is emitted); the 404 body is the text
``Resource not found.`` even when the header says JSON; upper-case or ``%2F``-escaped DOIs are
accepted and answered lower-case; 429s come as HTML, sometimes without ``Retry-After``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from alm_ld.harvest.base import CC0, Harvester, WorkNotFound, work_item
from alm_ld.harvest.work_metadata import crossref_metadata
from alm_ld.identifiers import WorkId, work_iri


class CrossrefHarvester(Harvester):
    name = "crossref"
    label = "Crossref"
    provider_iri = "https://ror.org/02twcfp32"
    default_base_url = "https://api.crossref.org"
    accepts = ("doi",)
    license = CC0
    disclosure = {
        "dataSources": "Crossref metadata of works registered by Crossref members; the "
                       "citation count is derived from references that members deposit.",
        "metricDefinitions": "citations: Crossref 'is-referenced-by-count', the number of "
                             "Crossref-registered works whose deposited reference lists cite "
                             "the work and were matched to its DOI.",
        "collectionMethod": "alm-ld requests GET /works/{doi} of the Crossref REST API once per "
                            "work and harvest run; the number is copied as given.",
        "limitations": "Counts only citations from works whose publishers deposit references "
                       "and allow matching; responses before 2017 carry no count (omitted, not "
                       "0). Crossref Event Data is being retired.",
        "changeLog": "is-referenced-by-count was added to the REST API in 2017; alm-ld v1 reads "
                     "it since its first release.",
        "aggregationMethod": "No aggregation: one cumulative count per work as of retrieval.",
        "updateFrequency": "Crossref updates continuously; alm-ld records the value at each "
                           "harvest run (retrieved time on every item).",
        "accessMethod": "Crossref REST API https://api.crossref.org (public; polite pool with "
                        "mailto), snapshots via Crossref Metadata Plus.",
        "consistencyAcrossClients": "The public REST API gives every client the same data at "
                                    "the same time.",
        "consistencyAcrossMethods": "REST API, OAI-PMH and snapshots may lag each other by "
                                    "hours to days.",
        "qualityMonitoring": "Crossref validates deposits; alm-ld checks types and fails a work "
                             "with a named field when the response format changes.",
        "independentVerification": "Every count carries its evidence URL; the cited-by list is "
                                   "available to members through Crossref Cited-by.",
        "correctionProcess": "Metadata errors go to support@crossref.org or the depositing "
                             "member; alm-ld records corrections as revisions at the next run.",
    }

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        fetched = self.client.get("/works/" + quote(work.value, safe=""),
                                  {"mailto": self.client.settings.mailto})
        if fetched.status == 404:
            raise WorkNotFound(self.name, work.iri, fetched.url)
        body = fetched.json()
        message = self.field(body, "message", dict, fetched)
        doi = self.field(body, "message.DOI", str, fetched)
        iri = work_iri(doi)
        items: list[dict[str, Any]] = []
        work_facts = work_item(iri, title=message.get("title"),
                               issued=message.get("issued") or message.get("published-print"),
                               metadata=crossref_metadata(message, self.note_for(iri)))
        if work_facts:
            items.append(work_facts)
        raw = message.get("is-referenced-by-count")
        value = self.count_value(raw, "message.is-referenced-by-count", fetched)
        if value is not None:
            items.append(self.count(iri, "citations", value, fetched))
        return items
