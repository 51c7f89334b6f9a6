"""OpenCitations COCI: citation counts and the citing DOIs as ``cites`` events.

``/metadata/{doi}`` gives ``citation_count`` — as a *string* (``"20"``); ``/citations/{doi}``
lists one record per citation with its OCI, the citing DOI and a ``creation`` date of the
citing work (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``). An empty list means COCI does not know
the work (COCI cannot tell "no citations" from "unknown DOI"), so no Count is emitted then.
Event ids are OpenCitations' own citation IRIs, ``https://w3id.org/oc/index/coci/ci/{oci}``.
Citing ids in the v2 shape (``"omid:br/… doi:10.…"``) are understood too.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from alm_ld.errors import InvalidIdentifier
from alm_ld.harvest.base import CC0, Harvester, WorkNotFound
from alm_ld.harvest.http import Fetched
from alm_ld.identifiers import WorkId, work_iri

CITATION_IRI = "https://w3id.org/oc/index/coci/ci/"
_CREATION = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def citing_doi(value: str) -> str | None:
    """The DOI in a COCI v1 (bare DOI) or v2 (space-separated prefixed ids) citing field."""
    for token in value.split():
        if token.lower().startswith("doi:"):
            return token[4:]
        if token.startswith("10."):
            return token
    return None


class OpenCitationsHarvester(Harvester):
    name = "opencitations"
    label = "OpenCitations"
    provider_iri = "https://opencitations.net"
    default_base_url = "https://opencitations.net/index/coci/api/v1"
    accepts = ("doi",)
    disclosure = {
        "dataSources": "COCI, the OpenCitations Index of Crossref open DOI-to-DOI citations, "
                       "built from references deposited openly in Crossref.",
        "metricDefinitions": "citations: COCI citation_count, DOI-identified works citing the "
                             "work; cites events: one per COCI citation (OCI).",
        "collectionMethod": "alm-ld requests /metadata/{doi} for the count and /citations/{doi} "
                            "for the citing DOIs, once per work and run.",
        "limitations": "Only open references deposited in Crossref; citing works without DOIs "
                       "are missing; COCI cannot tell an unknown DOI from an uncited one; "
                       "events are dated by the citing work's publication date (year or month "
                       "precision padded to the first day).",
        "changeLog": "alm-ld v1 reads the COCI v1 REST API; OpenCitations' Index v2 uses "
                     "prefixed, space-separated ids, which alm-ld also parses.",
        "aggregationMethod": "No aggregation: COCI's count; events one per citation.",
        "updateFrequency": "COCI is released a few times a year; alm-ld records each run.",
        "accessMethod": "REST API https://opencitations.net/index/coci/api/v1, SPARQL and "
                        "dumps (CC0).",
        "consistencyAcrossClients": "Same data for all clients of a release.",
        "consistencyAcrossMethods": "API, SPARQL endpoint and dumps serve the same release.",
        "qualityMonitoring": "alm-ld checks types and fails a work with a named field when the "
                             "response format changes.",
        "independentVerification": "Each event id is the OCI's IRI, resolvable at OpenCitations.",
        "correctionProcess": "Report errors to contact@opencitations.net; corrections appear at "
                             "the next release and run.",
    }

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        doi = quote(work.value, safe="/")
        meta = self.client.get("/metadata/" + doi)
        records = self._list(meta)
        cited = self.client.get("/citations/" + doi)
        citations = self._list(cited)
        if not records and not citations:
            raise WorkNotFound(self.name, work.iri, meta.url)
        iri = work.iri
        items: list[dict[str, Any]] = []
        if records:
            record = records[0]
            if not isinstance(record, dict):
                raise self.changed(meta, "[0]", "is not an object")
            value = self.count_value(record.get("citation_count"), "[0].citation_count", meta)
            if value is not None:
                items.append(self.count(iri, "citations", value, meta))
        elif citations:
            items.append(self.count(iri, "citations", len(citations), cited))
        for index, citation in enumerate(citations):
            event = self._event(citation, index, iri, cited)
            if event:
                items.append(event)
        return items

    def _list(self, fetched: Fetched) -> list[Any]:
        if fetched.status == 404:
            return []
        body = fetched.json()
        if not isinstance(body, list):
            raise self.changed(fetched, "(body)", f"is {type(body).__name__}, expected a list")
        return body

    def _event(self, citation: Any, index: int, iri: str, fetched: Fetched
               ) -> dict[str, Any] | None:
        where = f"[{index}]"
        if not isinstance(citation, dict):
            raise self.changed(fetched, where, "is not an object")
        oci = self.field(citation, "oci", str, fetched)
        citing = citing_doi(self.field(citation, "citing", str, fetched))
        creation = self.field(citation, "creation", str, fetched, required=False)
        match = _CREATION.match(creation or "")
        if citing is None or match is None:
            return None  # no DOI or no date: nothing to state as an event
        try:
            subject = work_iri(citing)
        except InvalidIdentifier:
            return None
        occurred = f"{match.group(1)}-{match.group(2) or '01'}-{match.group(3) or '01'}T00:00:00Z"
        oci_id = oci.split(":", 1)[1] if oci.startswith("oci:") else oci
        return self.event(CITATION_IRI + oci_id, subject, "cites", iri, occurred, fetched,
                          license=CC0)
