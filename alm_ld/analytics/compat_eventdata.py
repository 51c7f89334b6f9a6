"""The retired Crossref Event Data Query API (``GET /v1/events``), answered from alm-ld's events.

Scripts written for Event Data keep working against alm-ld: same parameters, same envelope
(``{"status": "ok", "message-type": "event-list", "message": {"next-cursor", "total-results",
"items-per-page", "events": [...]}}``) and the same event fields (docs/compat.md has the table).

Where the values come from (nothing is stored twice):

* the stored ``alm:Event`` items, read field by field with
  :func:`alm_ld.analytics.changes.item_rows` (the reader the ``/changes`` feed uses);
* **order and cursor** are the change feed's: events in ingest order (feed ``alm:sequence``, then
  event IRI), an event counted in the *first* feed that carried it, and the cursor is a
  :class:`~alm_ld.analytics.changes.Cursor` (position after one event). Only the contiguous
  prefix of feeds is read (:func:`~alm_ld.analytics.changes.watermark`), so a page never skips
  an event of a feed still committing;
* ``timestamp`` (Event Data: when the event entered Event Data) is when it entered alm-ld: the
  ``alm:ingestedAt`` of that first feed; ``from-``/``until-collected-date`` filter on it.

An event alm-ld harvested from Event Data comes back with Event Data's own ``id`` (the UUID after
``https://api.eventdata.crossref.org/v1/events/``), ``terms`` and every field alm-ld keeps;
differences are documented (DOIs in canonical lower case, inverse relation types such as
``is-referenced-by`` served in their direct form with subject and object swapped, milliseconds of
``occurred_at`` always ``.000``). Bad parameters are RFC 9457 problems (400), as everywhere in
alm-ld, not Event Data's error bodies.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from alm_ld.analytics.changes import (
    END,
    Cursor,
    FeedInfo,
    feeds_from,
    item_rows,
    new_items,
    watermark,
)
from alm_ld.analytics.sparql import XSD_NS, iri, literal, select, short
from alm_ld.analytics.timeutil import day_of, moment_of, parse_date
from alm_ld.errors import InvalidIdentifier, UsageError
from alm_ld.harvest.providers.crossref_events import EVENT_IRI, TERMS
from alm_ld.identifiers import is_absolute_iri, parse_work_id
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, RELATIONS_NS, SOURCES_NS

DEFAULT_ROWS = 1000
MAX_ROWS = 10000
DOI_IRI = "https://doi.org/"
PARAMETERS = ("obj-id", "obj-id.prefix", "subj-id", "subj-id.prefix", "source",
              "from-occurred-date", "until-occurred-date", "from-collected-date",
              "until-collected-date", "scholix", "rows", "cursor", "mailto")
"""Accepted query parameters (``mailto`` is accepted and ignored, as a polite-pool id)."""
_CURSOR_PREFIX = "ed1:"


@dataclass(frozen=True)
class EventQuery:
    """A parsed ``/v1/events`` request (see :func:`parse_event_query`)."""

    obj_id: str | None = None
    obj_prefix: str | None = None
    subj_id: str | None = None
    subj_prefix: str | None = None
    source: str | None = None
    from_occurred: date | None = None
    until_occurred: date | None = None
    from_collected: date | None = None
    until_collected: date | None = None
    scholix: bool = False
    rows: int = DEFAULT_ROWS
    after: Cursor | None = None


def _doi_prefix(value: str, name: str) -> str:
    text = value.strip().lower()
    for lead in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "doi:"):
        if text.startswith(lead):
            text = text[len(lead):]
    text = text.rstrip("/")
    if not (text.startswith("10.") and text[3:].isdigit() and len(text) > 3):
        raise UsageError(f"{name}={value!r} is not a DOI prefix such as 10.5555.")
    return text


def _rows(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_ROWS
    try:
        rows = int(value)
    except ValueError:
        raise UsageError(f"rows={value!r} is not a whole number.")
    if not 0 <= rows <= MAX_ROWS:
        raise UsageError(f"rows={rows} must be between 0 and {MAX_ROWS}.")
    return rows


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{_CURSOR_PREFIX}{cursor.sequence}:{cursor.item}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        sequence, _, item = raw[len(_CURSOR_PREFIX):].partition(":")
        cursor = Cursor(int(sequence), item)
        if cursor.sequence < 0 or not item:
            raise ValueError(raw)
        return cursor
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise UsageError(f"cursor={text!r} is not a cursor of this service; use the "
                         "message.next-cursor of the previous page, or leave it out.")


def parse_event_query(args: Mapping[str, str]) -> EventQuery:
    """Read the Event Data parameters; anything else is a 400 naming the accepted ones.

    An unknown parameter is refused rather than ignored: a script filtering on a parameter
    alm-ld does not implement (``from-updated-date``) would otherwise get unfiltered results."""
    unknown = sorted(set(args) - set(PARAMETERS))
    if unknown:
        raise UsageError(f"Unknown parameter(s) {', '.join(unknown)}; /v1/events accepts "
                         f"{', '.join(PARAMETERS)}.", acceptedParameters=list(PARAMETERS))

    def text(name: str) -> str | None:
        value = args.get(name)
        return value.strip() if value is not None and value.strip() else None

    def work(name: str) -> str | None:
        value = text(name)
        if value is None:
            return None
        try:
            return parse_work_id(value).iri
        except InvalidIdentifier as error:
            if name == "subj-id" and is_absolute_iri(value):
                return value  # subjects may be any IRI (a Wikipedia page, a tweet)
            raise UsageError(f"{name}={value!r}: {error.detail}")

    def day(name: str) -> date | None:
        value = text(name)
        return parse_date(value, name) if value else None

    source = text("source")
    if source is not None and not source.replace("-", "").replace("_", "").replace(
            ".", "").isalnum():
        raise UsageError(f"source={source!r} is not a source id such as crossref or wikipedia.")
    scholix = (text("scholix") or "false").lower()
    if scholix not in ("true", "false"):
        raise UsageError(f"scholix={scholix!r} must be true or false.")
    query = EventQuery(
        obj_id=work("obj-id"), subj_id=work("subj-id"),
        obj_prefix=_doi_prefix(v, "obj-id.prefix") if (v := text("obj-id.prefix")) else None,
        subj_prefix=_doi_prefix(v, "subj-id.prefix") if (v := text("subj-id.prefix")) else None,
        source=source, from_occurred=day("from-occurred-date"),
        until_occurred=day("until-occurred-date"), from_collected=day("from-collected-date"),
        until_collected=day("until-collected-date"), scholix=scholix == "true",
        rows=_rows(text("rows")),
        after=decode_cursor(c) if (c := text("cursor")) else None)
    for low, high, name in ((query.from_occurred, query.until_occurred, "occurred"),
                            (query.from_collected, query.until_collected, "collected")):
        if low and high and low > high:
            raise UsageError(f"from-{name}-date={low} is after until-{name}-date={high}.")
    return query


@dataclass(frozen=True)
class _Match:
    sequence: int
    event: str
    feed: str
    ingested_at: str


def _source_iri(source: str) -> str:
    return source if is_absolute_iri(source) else SOURCES_NS + source


def _midnight(day: date) -> str:
    return literal(day.isoformat() + "T00:00:00Z", XSD_NS + "dateTime")


def _filters(query: EventQuery, upto: int) -> list[str]:
    """SPARQL filters over ``?e ?subj ?obj ?occ ?src ?seq ?at`` for everything but the
    first-feed rule of the collected dates."""
    filters = [f"FILTER(?seq <= {literal(upto)})"]
    if query.obj_id:
        filters.append(f"FILTER(?obj = {iri(query.obj_id)})")
    if query.subj_id:
        filters.append(f"FILTER(?subj = {iri(query.subj_id)})")
    for var, prefix in (("obj", query.obj_prefix), ("subj", query.subj_prefix)):
        if prefix:
            filters.append(
                f"FILTER(STRSTARTS(STR(?{var}), {literal(DOI_IRI + prefix + '/')}))")
    if query.scholix:
        filters.append(f"FILTER(STRSTARTS(STR(?subj), {literal(DOI_IRI)}) && "
                       f"STRSTARTS(STR(?obj), {literal(DOI_IRI)}))")
    if query.source:
        filters.append(f"FILTER(?src = {iri(_source_iri(query.source))})")
    for var, low, high in (("occ", query.from_occurred, query.until_occurred),
                           ("at", query.from_collected, query.until_collected)):
        if low:
            filters.append(f"FILTER(?{var} >= {_midnight(low)})")
        if high:
            filters.append(f"FILTER(?{var} < {_midnight(high + timedelta(days=1))})")
    return filters


_EVENT_PATTERN = """
  GRAPH ?feed { ?e a alm:Event ; alm:subject ?subj ; alm:object ?obj ; alm:occurred ?occ .
                OPTIONAL { ?e alm:source ?src } }
  ?feed alm:sequence ?seq ; alm:ingestedAt ?at ."""
_FIRST_FEED = """
  FILTER NOT EXISTS { GRAPH ?earlier { ?e a alm:Event } ?earlier alm:sequence ?eseq .
                      FILTER(?eseq < ?seq) }"""


def _count(store: Store, query: EventQuery, upto: int, timeout: float | None) -> int:
    """``total-results``: one COUNT in the store (rows are never brought to Python)."""
    collected = query.from_collected or query.until_collected
    rows = select(store, f"""
SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ {_EVENT_PATTERN}
  {' '.join(_filters(query, upto))} {_FIRST_FEED if collected else ""}
}}""", timeout=timeout)
    return int(rows[0]["n"]) if rows and rows[0].get("n") is not None else 0


def _matches(store: Store, query: EventQuery, upto: int, timeout: float | None
             ) -> list[_Match]:
    """Every event matching a *selective* ``query`` (``obj-id``/``subj-id``) in feeds
    1..``upto``, once, at its first feed, in change-feed order."""
    rows = select(store, f"""
SELECT ?e ?feed ?seq ?at WHERE {{ {_EVENT_PATTERN}
  {' '.join(_filters(query, upto))} {_FIRST_FEED}
}}""", timeout=timeout)
    result = [_Match(int(row["seq"]), row["e"], row["feed"], row["at"]) for row in rows]
    result.sort(key=lambda m: (m.sequence, m.event))
    return result


def _row_matches(row: dict[str, Any], query: EventQuery) -> bool:
    """The :func:`_filters` conditions on one item row (the walk reads rows, not SPARQL)."""
    if row.get("kind") != ALM_NS + "Event" or row.get("occurred") is None:
        return False
    subject, obj = str(row.get("subject")), str(row.get("object"))
    if query.obj_prefix and not obj.startswith(DOI_IRI + query.obj_prefix + "/"):
        return False
    if query.subj_prefix and not subject.startswith(DOI_IRI + query.subj_prefix + "/"):
        return False
    if query.scholix and not (subject.startswith(DOI_IRI) and obj.startswith(DOI_IRI)):
        return False
    if query.source and row.get("source") != _source_iri(query.source):
        return False
    return _in_days(day_of(_utc(row["occurred"])), query.from_occurred, query.until_occurred)


_FEED_BATCH = 200
_CHUNK = 500


def _walk(store: Store, query: EventQuery, upto: int, start: Cursor | None, want: int
          ) -> list[tuple[dict[str, Any], FeedInfo]]:
    """Up to ``want`` matching events after ``start``, walking the change feed itself: feed
    by feed, each feed's changed items (:func:`~alm_ld.analytics.changes.new_items`, kept per
    process) from the cursor on, read in chunks with ``item_rows``. A page costs what it
    reads, not what the store holds; feeds outside the collected-date window are skipped
    whole."""
    position = start or Cursor(0, END)
    found: list[tuple[dict[str, Any], FeedInfo]] = []
    first = position.sequence + 1 if position.item == END else position.sequence
    while len(found) < want:
        feeds = [f for f in feeds_from(store, first, _FEED_BATCH) if f.sequence <= upto]
        for feed in feeds:
            if not _in_days(day_of(_utc(feed.ingested_at)), query.from_collected,
                            query.until_collected):
                continue
            listed = new_items(store, feed)
            begin = (bisect_right(listed, position.item)
                     if feed.sequence == position.sequence and position.item != END else 0)
            for at in range(begin, len(listed), _CHUNK):
                for row in item_rows(store, feed, listed[at:at + _CHUNK]):
                    if _row_matches(row, query):
                        found.append((row, feed))
                        if len(found) == want:
                            return found
        if len(feeds) < _FEED_BATCH or not feeds:
            return found
        first = feeds[-1].sequence + 1
    return found


def _in_days(day: date, low: date | None, high: date | None) -> bool:
    return not ((low and day < low) or (high and day > high))


def _utc(lexical: str) -> str:
    """A stored date-time as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (dates unchanged)."""
    if len(lexical) == 10:
        return lexical
    return moment_of(lexical).strftime("%Y-%m-%dT%H:%M:%SZ")


def _occurred_at(lexical: str) -> str:
    """Event Data's own form, ``2022-12-31T21:13:45.000Z`` (milliseconds, UTC)."""
    moment = moment_of(lexical)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event_data_event(row: dict[str, Any], collected: str) -> dict[str, Any]:
    """One stored event (a :func:`~alm_ld.analytics.changes.item_rows` row) in Event Data's
    field names; ``collected`` is the ``alm:ingestedAt`` of the first feed that carried it."""
    item = row["item"]
    from_event_data = item.startswith(EVENT_IRI)
    event: dict[str, Any] = {
        "id": item[len(EVENT_IRI):] if from_event_data else item,
        "subj_id": row.get("subject"), "obj_id": row.get("object"),
        "relation_type_id": short(row.get("relation"), RELATIONS_NS),
        "source_id": short(row.get("source"), SOURCES_NS),
        "occurred_at": _occurred_at(row["occurred"]),
        "timestamp": _utc(collected),
        "license": row.get("license"),
        "evidence_record": row.get("evidence"),
        "action": "add",
        "subj": {"pid": row.get("subject")}, "obj": {"pid": row.get("object")},
    }
    if from_event_data:
        event["terms"] = TERMS
    return {k: v for k, v in event.items() if v is not None}


def _sparse(store: Store, query: EventQuery, upto: int, total: int,
            timeout: float | None) -> bool:
    """Whether the matches are few among the events the walk would read, so listing them
    all from the indexes beats walking: always for one work (``obj-id``/``subj-id``); for
    other item filters when under one event in ten matches (a page of a rare ``source``
    would otherwise read most of the store)."""
    if query.obj_id or query.subj_id:
        return True
    if not (query.obj_prefix or query.subj_prefix or query.scholix or query.source
            or query.from_occurred or query.until_occurred):
        return False
    window = EventQuery(from_collected=query.from_collected,
                        until_collected=query.until_collected)
    return total * 10 < _count(store, window, upto, timeout)


def query_events(store: Store, query: EventQuery, *, timeout: float | None = None
                 ) -> dict[str, Any]:
    """The Event Data envelope for ``query``: one page of events after ``query.after``.

    ``next-cursor`` is null on the last page (Event Data still gave one there; a client that
    stops at an empty page or at a null cursor works either way). A query naming one work
    (``obj-id``/``subj-id``) or matching few events is answered from the indexes; any other
    walks the change feed from the cursor (:func:`_walk`)."""
    upto = watermark(store)
    total = _count(store, query, upto, timeout)
    page: list[tuple[dict[str, Any], str]] = []
    more = False
    if query.rows > 0 and _sparse(store, query, upto, total, timeout):
        matches = _matches(store, query, upto, timeout)
        if query.after is not None:
            position = (query.after.sequence, query.after.item)
            matches = [m for m in matches if (m.sequence, m.event) > position
                       and not (query.after.item == END
                                and m.sequence == query.after.sequence)]
        more = len(matches) > query.rows
        by_feed: dict[tuple[str, int, str], list[str]] = {}
        for match in matches[:query.rows]:
            by_feed.setdefault((match.feed, match.sequence, match.ingested_at), []).append(
                match.event)
        read: dict[str, tuple[dict[str, Any], FeedInfo]] = {}
        for (feed, sequence, at), items in by_feed.items():
            info = FeedInfo(feed, sequence, at)
            for row in item_rows(store, info, items):
                read[row["item"]] = (row, info)
        walked = [read[m.event] for m in matches[:query.rows] if m.event in read]
    elif query.rows > 0:
        walked = _walk(store, query, upto, query.after, query.rows + 1)
        more = len(walked) > query.rows
        walked = walked[:query.rows]
    else:
        walked = []
    page = [(row, feed.ingested_at) for row, feed in walked]
    events = [event_data_event(row, at) for row, at in page if row.get("occurred") is not None]
    last = walked[-1] if walked else None
    next_cursor = (encode_cursor(Cursor(last[1].sequence, last[0]["item"]))
                   if more and last else None)
    return {"status": "ok", "message-type": "event-list",
            "message": {"next-cursor": next_cursor, "total-results": total,
                        "items-per-page": query.rows, "events": events}}
