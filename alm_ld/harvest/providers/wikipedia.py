"""Wikipedia: articles that cite a work, found by full-text search for its DOI.

``GET /w/api.php?action=query&list=search&srsearch="{doi}"&srnamespace=0&srinfo=totalhits``
(MediaWiki). ``searchinfo.totalhits`` becomes a ``wikipedia-references`` Count; each hit a
``references`` Event from the article (``https://en.wikipedia.org/wiki/{Title}``) to the work,
CC BY-SA like Wikipedia's text. The hit's ``timestamp`` is the article's *last edit*, not when
the reference was added — the only date the search API gives. Paging follows the ``continue``
block (``sroffset``), which disappears on the last page; 50 hits per page up to the configured
page limit (the Count stays complete). Zero hits is "not found".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from alm_ld.harvest.base import CC_BY_SA, Harvester, WorkNotFound, minted_event_id
from alm_ld.identifiers import WorkId

METRIC = "wikipedia-references"
PAGE_SIZE = 50
WIKI = "https://en.wikipedia.org/wiki/"


class WikipediaHarvester(Harvester):
    name = "wikipedia"
    label = "Wikipedia"
    provider_iri = "https://www.wikipedia.org"
    default_base_url = "https://en.wikipedia.org"
    accepts = ("doi",)
    disclosure = {
        "dataSources": "English Wikipedia articles (main namespace) as indexed by the "
                       "MediaWiki search (CirrusSearch).",
        "metricDefinitions": "wikipedia-references: number of articles whose text contains the "
                             "DOI (searchinfo.totalhits); references events: one per article.",
        "collectionMethod": "alm-ld runs a phrase search for the DOI via the MediaWiki Action "
                            "API once per work and run, paging 50 hits at a time.",
        "limitations": "English Wikipedia only; finds DOIs written in the text, not links by "
                       "URL only; event dates are the article's last edit; long hit lists are "
                       "cut at the page limit (the count stays complete).",
        "changeLog": "alm-ld v1 searches the quoted DOI only (Lagotto also searched landing "
                     "page URLs).",
        "aggregationMethod": "The search engine's total hit count.",
        "updateFrequency": "The search index follows edits within minutes to days; alm-ld "
                           "records each run.",
        "accessMethod": "MediaWiki Action API https://en.wikipedia.org/w/api.php.",
        "consistencyAcrossClients": "Search results can differ briefly between index replicas.",
        "consistencyAcrossMethods": "Dumps and the live search index differ by the time "
                                    "between them.",
        "qualityMonitoring": "alm-ld checks types and fails a work with a named field when the "
                             "response format changes.",
        "independentVerification": "Each event names the article, which anyone can open.",
        "correctionProcess": "Anyone can edit Wikipedia; alm-ld records the change at the next "
                             "run.",
    }

    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "action": "query", "list": "search", "format": "json", "srsearch": f'"{work.value}"',
            "srnamespace": 0, "srwhat": "text", "srinfo": "totalhits", "srprop": "timestamp",
            "srlimit": PAGE_SIZE, "sroffset": 0, "continue": "",
        }
        items: list[dict[str, Any]] = []
        for page in range(self.max_pages):
            fetched = self.client.get("/w/api.php", params)
            if fetched.status == 404:
                if page:
                    raise self.changed(fetched, "continue.sroffset",
                                       f"led to a missing page ({params['sroffset']})")
                raise WorkNotFound(self.name, work.iri, fetched.url)
            body = fetched.json()
            total = self.count_value(self.field(body, "query.searchinfo.totalhits", int, fetched),
                                     "query.searchinfo.totalhits", fetched)
            hits = self.field(body, "query.search", list, fetched)
            if page == 0:
                if not total:
                    raise WorkNotFound(self.name, work.iri, fetched.url)
                items.append(self.count(work.iri, METRIC, total, fetched))
            for index, hit in enumerate(hits):
                if not isinstance(hit, dict):
                    raise self.changed(fetched, f"query.search[{index}]", "is not an object")
                title = self.field(hit, "title", str, fetched)
                stamp = self.field(hit, "timestamp", str, fetched)
                subject = WIKI + quote(title.replace(" ", "_"), safe="/:(),_'!*-.~")
                items.append(self.event(
                    minted_event_id(self.name, subject, "references", work.iri), subject,
                    "references", work.iri, stamp, fetched, license=CC_BY_SA,
                    evidence=subject))
            follow = body.get("continue")
            if not isinstance(follow, dict) or "sroffset" not in follow:
                break
            params = {**params, **{k: v for k, v in follow.items()}}
        return items
