"""PLOS search API: article usage (``counter_total_all``) for PLOS articles.

``GET /search?q=id:"{doi}"&fq=doc_type:full&fl=id,counter_total_all&wt=json`` (Solr). Without
``fq=doc_type:full`` the index also returns section documents (``{doi}/abstract``, …).
``counter_total_all`` is PLOS's COUNTER-style total of HTML views plus PDF and XML downloads
since publication, so it maps to the broad ``views`` concept. ``numFound: 0`` is "not found".
The API allows 10 requests per minute (the client's default rate for ``plos``).
"""

from __future__ import annotations

from typing import Any

from alm_ld.harvest.base import Harvester, WorkNotFound
from alm_ld.identifiers import WorkId, work_iri

METRIC = "views"


class PlosHarvester(Harvester):
    name = "plos"
    label = "PLOS"
    provider_iri = "https://plos.org"
    default_base_url = "https://api.plos.org"
    accepts = ("doi",)
    disclosure = {
        "dataSources": "PLOS's own article usage logs (journals.plos.org), as indexed in the "
                       "PLOS search API.",
        "metricDefinitions": "views: counter_total_all, total HTML views plus PDF and XML "
                             "downloads on the PLOS site since publication (COUNTER-filtered).",
        "collectionMethod": "alm-ld queries the Solr search API by id with fq=doc_type:full and "
                            "fl=id,counter_total_all, once per work and run.",
        "limitations": "PLOS articles only; PMC usage is not included; the API allows 10 "
                       "requests per minute; the counter total mixes views and downloads.",
        "changeLog": "alm-ld v1 reads counter_total_all from the search API.",
        "aggregationMethod": "PLOS's own running total; alm-ld does not add or split it.",
        "updateFrequency": "PLOS refreshes usage monthly; alm-ld records each run.",
        "accessMethod": "PLOS search API https://api.plos.org/search (Solr, JSON).",
        "consistencyAcrossClients": "Same data for all clients at the same time.",
        "consistencyAcrossMethods": "Article-page metrics tabs may be updated on another "
                                    "schedule than the search index.",
        "qualityMonitoring": "PLOS applies COUNTER robot filtering; alm-ld fails a work with a "
                             "named field when the response format changes.",
        "independentVerification": "Each count has its evidence URL (the Solr query).",
        "correctionProcess": "Report errors to PLOS (webmaster@plos.org); corrections appear "
                             "as revisions at the next run.",
    }

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        fetched = self.client.get("/search", {
            "wt": "json", "fq": "doc_type:full", "q": f'id:"{work.value}"',
            "fl": "id,counter_total_all"})
        if fetched.status == 404:
            raise WorkNotFound(self.name, work.iri, fetched.url)
        body = fetched.json()
        found = self.count_value(self.field(body, "response.numFound", int, fetched),
                                 "response.numFound", fetched)
        docs = self.field(body, "response.docs", list, fetched)
        if not found or not docs:
            raise WorkNotFound(self.name, work.iri, fetched.url)
        doc = docs[0]
        if not isinstance(doc, dict):
            raise self.changed(fetched, "response.docs[0]", "is not an object")
        iri = work_iri(self.field(doc, "id", str, fetched))
        value = self.count_value(doc.get("counter_total_all"),
                                 "response.docs[0].counter_total_all", fetched)
        if value is None:
            raise self.changed(fetched, "response.docs[0].counter_total_all", "is missing")
        return [self.count(iri, METRIC, value, fetched)]
