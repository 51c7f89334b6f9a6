"""Crossref Event Data: who references, mentions, discusses or bookmarks a work, one event each.

The Query API (``GET /v1/events``) is not a per-work lookup like the other providers but a filtered,
cursor-paged stream of events. alm-ld uses it two ways:

* **per work** (``alm-ld harvest crossref-events --ids …``): ``obj-id={doi}`` lists the events
  whose object is the work;
* **by window** (``--since/--until``): every event *collected* in a date window
  (``from-collected-date``/``until-collected-date``, days, both inclusive), optionally only from
  one source (``source=wikipedia``) and only DOI-to-DOI links (``scholix=true``), optionally kept
  only when they name one of the requested works. The window's size is asked first with
  ``rows=0`` (one small request; an empty window costs nothing more).

Paging pitfall: the last page still carries a non-null ``next-cursor`` (only the following page is
empty), so paging stops at an empty page, a short page, ``fetched >= total-results``, a null or
repeated cursor — and at the page cap (``--max-pages``), which is reported, never silent.

Each event becomes an alm-ld ``Event``: id ``https://api.eventdata.crossref.org/v1/events/{id}``,
relation from ``relation_type_id`` (inverse types such as ``is-referenced-by`` swap subject and
object; types without an alm-ld relation are left out and counted in a note), ``occurred`` from
``occurred_at`` (milliseconds dropped), ``source`` the Event Data source id (``crossref``,
``wikipedia``, ``twitter``, ``reddit``, …), the event's own ``license`` (CC0 for almost all) and its
evidence record as evidence. DOIs keep the registrant's case upstream (``10.5067/MODIS/…``) and
are normalised to the canonical lower-case IRI here. Events whose ``action`` is ``delete`` (a
Wikipedia reference removed) or that Event Data marks ``updated: deleted`` are not relations that
hold, so they are left out. Crossref is retiring Event Data; see docs/providers.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from alm_ld.errors import InvalidIdentifier, UsageError
from alm_ld.harvest.base import Harvester, WorkNotFound, utc_instant
from alm_ld.harvest.http import Fetched
from alm_ld.identifiers import WorkId, is_absolute_iri, work_iri

EVENT_IRI = "https://api.eventdata.crossref.org/v1/events/"
TERMS = "https://doi.org/10.13003/CED-terms-of-use"
DEFAULT_ROWS = 1000
MAX_ROWS = 10000  # the Query API's own upper limit per page

_DIRECT = ("annotates", "bookmarks", "cites", "discusses", "likes", "mentions", "recommends",
           "references", "reviews", "shares")
# Event Data relation_type_id (hyphen or underscore spelling) -> (alm-ld relation, swap ends).
RELATIONS: dict[str, tuple[str, bool]] = {name: (name, False) for name in _DIRECT}
RELATIONS.update({"is-cited-by": ("cites", True), "is-referenced-by": ("references", True),
                  "is-reviewed-by": ("reviews", True)})

_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class EventWindow:
    """Events collected from ``since`` to ``until`` (days, inclusive), as the Query API filters."""

    since: date
    until: date
    source: str | None = None
    scholix: bool = False
    rows: int = DEFAULT_ROWS

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise UsageError(f"--since {self.since} is after --until {self.until}.")
        if not 1 <= self.rows <= MAX_ROWS:
            raise UsageError(f"--page-size must be between 1 and {MAX_ROWS}, not {self.rows}.")
        if self.source is not None and not _SOURCE_ID.match(self.source):
            raise UsageError(f"--event-source {self.source!r} is not an Event Data source id "
                             "(e.g. crossref, datacite, wikipedia, twitter, reddit).")

    @property
    def label(self) -> str:
        """How the summary and the resume state name this window."""
        text = f"window {self.since.isoformat()}..{self.until.isoformat()}"
        if self.source:
            text += f" source={self.source}"
        return text + (" scholix" if self.scholix else "")

    def params(self) -> dict[str, Any]:
        return {"from-collected-date": self.since.isoformat(),
                "until-collected-date": self.until.isoformat(),
                "source": self.source, "scholix": "true" if self.scholix else None}


class CrossrefEventsHarvester(Harvester):
    name = "crossref-events"
    label = "Crossref Event Data"
    provider_iri = "https://www.crossref.org/services/event-data/"
    default_base_url = "https://api.eventdata.crossref.org/v1"
    accepts = ("doi",)
    disclosure = {
        "dataSources": "Crossref Event Data: agents run by Crossref watch sources (Crossref and "
                       "DataCite metadata, Wikipedia, Reddit, Twitter until 2023, Hypothes.is, "
                       "Stack Exchange, WordPress.com, news feeds, web pages) for links to DOIs "
                       "and record each link as an event.",
        "metricDefinitions": "No counts: one Event per Event Data event, with Event Data's "
                             "relation_type_id mapped to the alm-ld relation of the same name "
                             "(references, mentions, discusses, bookmarks, likes, …; inverse "
                             "types swap subject and object).",
        "collectionMethod": "alm-ld pages GET /v1/events with obj-id={doi} per work, or with "
                            "from-/until-collected-date (and optional source, scholix) per "
                            "window, following next-cursor up to the configured page limit.",
        "limitations": "Crossref is retiring Event Data: coverage stops growing and the API may "
                       "go away; Twitter events stopped in 2023. Only links agents found; "
                       "relation types without an alm-ld relation and deleted events are left "
                       "out; long result lists are cut at the page limit (reported).",
        "changeLog": "alm-ld reads Query API v1 (events with occurred_at in milliseconds, "
                     "license per event) since alm-ld 0.1.",
        "aggregationMethod": "None: events are passed on one by one; counting is left to the "
                             "consumer (e.g. SPARQL over the store).",
        "updateFrequency": "Agents collect continuously; collected-date windows of past days are "
                           "stable once collected.",
        "accessMethod": "Query API https://api.eventdata.crossref.org/v1/events (public, "
                        "mailto polite pool); evidence records at evidence.eventdata.crossref.org.",
        "consistencyAcrossClients": "Same events for all clients of the public API.",
        "consistencyAcrossMethods": "The Query API and the Scholix endpoint share one index.",
        "qualityMonitoring": "Every event links an evidence record showing what the agent saw; "
                             "alm-ld checks types and fails with a named field when the "
                             "response format changes.",
        "independentVerification": "Each event keeps its Event Data id and evidence record URL.",
        "correctionProcess": "Event Data marks corrected events as edited or deleted; report "
                             "errors to support@crossref.org. alm-ld leaves deleted events out "
                             "at the next run.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = DEFAULT_ROWS
        self._left_out: Counter[str] = Counter()

    # -- the two ways in ------------------------------------------------------------------------
    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        params = {"obj-id": work.value, "rows": self.rows,
                  "mailto": self.client.settings.mailto}
        items: list[dict[str, Any]] = []
        for fetched, total, events in self._pages(params, f"{work.iri} events"):
            if fetched.status == 404 or total == 0:
                raise WorkNotFound(self.name, work.iri, fetched.url)
            items.extend(self._convert(events, fetched, keep=lambda s, o: work.iri in (s, o)))
        return items

    def harvest_window(self, window: EventWindow, works: list[WorkId] | None = None,
                       sink: Callable[[list[dict[str, Any]]], None] | None = None) -> int:
        """Events collected in ``window`` (about ``works`` only, when given), page by page.

        Each page's items go to ``sink`` as soon as they are read, so a failure on page 7
        keeps pages 1–6. Returns the window's ``total-results``.
        """
        self.rows = window.rows
        wanted = {w.iri for w in works} if works else None
        keep = (lambda s, o: s in wanted or o in wanted) if wanted else None
        mailto = self.client.settings.mailto
        probe = self.client.get("/events", {**window.params(), "rows": 0, "mailto": mailto},
                                not_found_ok=False)
        total = self._message(probe)[0]
        if total == 0:
            return 0
        params = {**window.params(), "rows": window.rows, "mailto": mailto}
        for fetched, _total, events in self._pages(params, window.label, expected=total):
            if fetched.status == 404:
                raise self.changed(fetched, "message.next-cursor", "led to a missing page")
            found = self._convert(events, fetched, keep=keep)
            if sink:
                sink(found)
        return total

    # -- paging ---------------------------------------------------------------------------------
    def _pages(self, params: dict[str, Any], what: str, expected: int | None = None
               ) -> Iterator[tuple[Fetched, int | None, list[Any]]]:
        """Yield ``(response, total-results, events)`` per page until the list has ended.

        The end is an empty page, a short page, ``fetched >= total``, a null or repeated
        cursor — never ``next-cursor`` alone, which the last page still carries.
        """
        cursor: str | None = None
        seen = 0
        for page in range(1, self.max_pages + 1):
            fetched = self.client.get("/events", {**params, "cursor": cursor})
            if fetched.status == 404:
                yield fetched, None, []
                return
            total, following, events = self._message(fetched)
            yield fetched, total, events
            seen += len(events)
            if (not events or len(events) < int(params["rows"]) or following is None
                    or following == cursor or (total is not None and seen >= total)):
                return
            cursor = following
            if page == self.max_pages:
                known = total if total is not None else expected
                self.notes.append(
                    f"{what}: stopped at the page limit ({page} of {-(-known // len(events))} "
                    f"pages, {seen} of {known} events); raise --max-pages to read the rest"
                    if known else f"{what}: stopped at the page limit ({page} pages, {seen} "
                    "events); raise --max-pages to read the rest")

    def _message(self, fetched: Fetched) -> tuple[int | None, str | None, list[Any]]:
        body = fetched.json()
        message = self.field(body, "message", dict, fetched)
        total = self.count_value(self.field(message, "total-results", (int, str), fetched),
                                 "message.total-results", fetched)
        following = self.field(message, "next-cursor", str, fetched, required=False)
        events = self.field(message, "events", list, fetched)
        return total, following, events

    # -- events ---------------------------------------------------------------------------------
    def _convert(self, events: list[Any], fetched: Fetched,
                 keep: Callable[[str, str], bool] | None) -> list[dict[str, Any]]:
        items = []
        for index, raw in enumerate(events):
            event = self._event(raw, index, fetched)
            if event and (keep is None or keep(event["subject"], event["object"])):
                items.append(event)
        return items

    def _event(self, raw: Any, index: int, fetched: Fetched) -> dict[str, Any] | None:
        where = f"message.events[{index}]"
        if not isinstance(raw, dict):
            raise self.changed(fetched, where, "is not an object")
        event_id, kind, subject, obj, occurred_at = (
            self._text(raw, key, where, fetched)
            for key in ("id", "relation_type_id", "subj_id", "obj_id", "occurred_at"))
        occurred = utc_instant(occurred_at)
        if occurred is None:
            raise self.changed(fetched, where + ".occurred_at",
                               f"is {raw['occurred_at']!r}, not a date-time with a zone")
        if raw.get("action") == "delete" or raw.get("updated") == "deleted":
            self._leave_out("deleted")
            return None
        mapped = RELATIONS.get(kind.strip().lower().replace("_", "-"))
        if mapped is None:
            self._leave_out(f"relation {kind}")
            return None
        relation, swap = mapped
        if swap:
            subject, obj = obj, subject
        try:
            obj_iri = work_iri(obj)
            subject_iri = work_iri(subject) if "doi.org/" in subject.lower() else subject
        except InvalidIdentifier:
            self._leave_out("not a work identifier")
            return None
        if not is_absolute_iri(subject_iri):
            self._leave_out("not a work identifier")
            return None
        source = str(raw.get("source_id") or "").strip().lower()
        license_iri = next((v for v in (raw.get("license"), raw.get("terms"))
                            if isinstance(v, str) and is_absolute_iri(v)), TERMS)
        evidence = raw.get("evidence_record")
        return self.event(EVENT_IRI + event_id, subject_iri, relation, obj_iri, occurred,
                          fetched, license=license_iri,
                          source=source if _SOURCE_ID.match(source) else self.name,
                          evidence=evidence if isinstance(evidence, str)
                          and is_absolute_iri(evidence) else None)

    def _text(self, raw: dict[str, Any], key: str, where: str, fetched: Fetched) -> str:
        value = raw.get(key)
        if value is None:
            raise self.changed(fetched, f"{where}.{key}", "is missing")
        if not isinstance(value, str):
            raise self.changed(fetched, f"{where}.{key}",
                               f"is {type(value).__name__}, expected str")
        return value

    def _leave_out(self, reason: str) -> None:
        self._left_out[reason] += 1

    def finish(self) -> None:
        """Summarise what was left out, once the harvest is over."""
        if self._left_out:
            parts = ", ".join(f"{n} {why}" for why, n in sorted(self._left_out.items()))
            self.notes.append(f"events left out: {parts}")
        self._left_out.clear()
