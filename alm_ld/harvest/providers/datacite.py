"""DataCite REST API: citations, views and downloads of DataCite DOIs, and their events.

``GET /dois/{doi}`` (JSON:API) carries ``citationCount``, ``viewCount``, ``downloadCount`` and
monthly ``*OverTime`` lists; ``GET /events?doi={doi}`` lists events (``subjId``, ``objId``,
``relationTypeId``, ``occurredAt``, CC0). Quirks: responses before 2020 have no count
attributes at all (unknown, omitted); views and downloads are reported only by repositories that
send COUNTER usage reports, and DataCite shows 0 for all others — so a 0 with an empty
``*OverTime`` list is treated as "not reported" and omitted (citations, which DataCite computes
itself, keep their 0). The 404 body is a JSON:API ``errors`` list whose status is a string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from alm_ld.errors import InvalidIdentifier
from alm_ld.harvest.base import CC0, Harvester, WorkNotFound, feed_time, work_item
from alm_ld.harvest.http import Fetched
from alm_ld.harvest.work_metadata import datacite_metadata
from alm_ld.identifiers import WorkId, is_absolute_iri, work_iri

EVENTS_PAGE_SIZE = 100

# DataCite relation type -> (alm-ld relation, whether subject and object swap).
RELATIONS: dict[str, tuple[str, bool]] = {
    "cites": ("cites", False), "is-cited-by": ("cites", True),
    "references": ("references", False), "is-referenced-by": ("references", True),
    "reviews": ("reviews", False), "is-reviewed-by": ("reviews", True),
    "discusses": ("discusses", False), "mentions": ("mentions", False),
}

COUNTS = (  # attribute, metric, monthly list, zero means "not reported"
    ("citationCount", "citations", "citationsOverTime", False),
    ("viewCount", "views", "viewsOverTime", True),
    ("downloadCount", "downloads", "downloadsOverTime", True),
)


class DataCiteHarvester(Harvester):
    name = "datacite"
    label = "DataCite"
    provider_iri = "https://ror.org/04wxnsj81"
    default_base_url = "https://api.datacite.org"
    accepts = ("doi",)
    disclosure = {
        "dataSources": "DataCite metadata (related identifiers), Crossref/DataCite event data "
                       "and COUNTER usage reports sent by repositories (Make Data Count).",
        "metricDefinitions": "citations: citationCount, works citing the DOI per DataCite's "
                             "event graph; views/downloads: viewCount/downloadCount, COUNTER "
                             "investigations/requests reported by the hosting repository.",
        "collectionMethod": "alm-ld requests GET /dois/{doi} and GET /events?doi={doi} once per "
                            "work and run.",
        "limitations": "Usage only from repositories that send COUNTER reports (others show 0, "
                       "which alm-ld omits as unknown); older responses lack count attributes; "
                       "event relation types without an alm-ld equivalent are skipped.",
        "changeLog": "Count attributes were added to the REST API in 2020; alm-ld v1 reads them "
                     "since its first release.",
        "aggregationMethod": "DataCite's own totals and monthly sums.",
        "updateFrequency": "DataCite updates continuously; usage monthly; alm-ld records each "
                           "run.",
        "accessMethod": "REST API https://api.datacite.org (JSON:API), GraphQL API, data files.",
        "consistencyAcrossClients": "Same data for all clients at the same time.",
        "consistencyAcrossMethods": "REST and GraphQL share one index.",
        "qualityMonitoring": "alm-ld checks types and fails a work with a named field when the "
                             "response format changes.",
        "independentVerification": "Events name both ends and are CC0; counts carry their "
                                   "evidence URL.",
        "correctionProcess": "Report errors to support@datacite.org or the repository; "
                             "corrections appear as revisions at the next run.",
    }

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        fetched = self.client.get("/dois/" + quote(work.value, safe="/"))
        items: list[dict[str, Any]] = []
        if fetched.status != 404:
            attributes = self.field(fetched.json(), "data.attributes", dict, fetched)
            titles = attributes.get("titles")
            title = titles[0].get("title") if isinstance(titles, list) and titles and \
                isinstance(titles[0], dict) else None
            facts = work_item(work.iri, title=title, issued=attributes.get("publicationYear"),
                              metadata=datacite_metadata(attributes,
                                                         self.note_for(work.iri)))
            if facts:
                items.append(facts)
            items.extend(self._counts(work.iri, attributes, fetched))
        events = self._events(work.iri)
        if fetched.status == 404 and not events:
            raise WorkNotFound(self.name, work.iri, fetched.url)
        return items + events

    def _counts(self, iri: str, attributes: dict[str, Any], fetched: Fetched
                ) -> list[dict[str, Any]]:
        items = []
        for attribute, metric, monthly, zero_unknown in COUNTS:
            value = self.count_value(attributes.get(attribute),
                                     f"data.attributes.{attribute}", fetched)
            over_time = attributes.get(monthly) or []
            if value is None or (zero_unknown and value == 0 and not over_time):
                continue
            items.append(self.count(iri, metric, value, fetched))
        return items

    def _events(self, iri: str) -> list[dict[str, Any]]:
        doi = iri.removeprefix("https://doi.org/")
        fetched = self.client.get("/events", {"doi": doi, "page[size]": EVENTS_PAGE_SIZE})
        if fetched.status == 404:
            return []
        data = self.field(fetched.json(), "data", list, fetched)
        events = []
        for index, record in enumerate(data):
            where = f"data[{index}].attributes"
            if not isinstance(record, dict):
                raise self.changed(fetched, f"data[{index}]", "is not an object")
            attrs = self.field(record, "attributes", dict, fetched)
            mapped = RELATIONS.get(str(attrs.get("relationTypeId")))
            if mapped is None:
                continue
            relation, swap = mapped
            subject = self.field(attrs, "subjId", str, fetched)
            obj = self.field(attrs, "objId", str, fetched)
            occurred = self.field(attrs, "occurredAt", str, fetched)
            if swap:
                subject, obj = obj, subject
            try:
                subject_iri = work_iri(subject) if "doi.org/" in subject else subject
                obj_iri = work_iri(obj)
            except InvalidIdentifier:
                continue
            if iri not in (subject_iri, obj_iri) or not is_absolute_iri(subject_iri):
                continue  # a list page may hold events about other DOIs
            event_id = "https://api.datacite.org/events/" + self.field(record, "id", str,
                                                                       fetched)
            events.append(self.event(event_id, subject_iri, relation, obj_iri,
                                     _utc(occurred, fetched, where, self), fetched,
                                     license=str(attrs.get("license") or CC0)))
        return events


def _utc(value: str, fetched: Fetched, where: str, harvester: Harvester) -> str:
    """``2019-06-23T16:00:46.000Z`` → ``2019-06-23T16:00:46Z`` (one spelling for all)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise harvester.changed(fetched, where + ".occurredAt", f"is {value!r}, not a date-time")
    return feed_time(moment)
