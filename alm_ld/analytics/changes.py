"""The incremental change feed: what was added or revised, in ingest order, behind a cursor.

Order: feeds by ``alm:sequence`` (the order they were ingested), then the items of a feed
(observations and events) by IRI. A **cursor** is a position *after* one item:
``(sequence, item IRI)``; ``(sequence, END)`` is the position after the whole feed
``sequence`` (``(0, END)`` is the very beginning). Feeds are immutable once written, so a
cursor never moves.

Only a **contiguous** prefix of sequences is served: if feed 7 is visible but 6 is not (a
concurrent ingest still committing), the feed stops at 5 until 6 appears, so a consumer that
already read past 7 cannot miss 6. A gap older than :data:`GAP_GRACE_SECONDS` (measured on the
``alm:ingestedAt`` of the feed after it) is taken as permanent and skipped.

An item that was already present in an earlier feed (the same observation — same key and value —
or the same event id, sent again) is not a change and is not listed. A new value for a stored key
is an ``Update`` (it carries ``prov:wasRevisionOf``); everything else is a ``Create``.

Cost: a page is proportional to its size. Each feed's changed items are listed once per process
(:func:`new_items`, kept because a visible feed never changes), a cursor is a bisection in that
list, and only the page's own items are read (:func:`item_rows`). Ordering or grouping the feed
graph in SPARQL for every page made paging quadratic (0.9 s a page of 1,000 in 10k-item feeds).
"""

from __future__ import annotations

import base64
import binascii
import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from alm_ld.analytics.sparql import PROV_NS, iri, literal, select, short, values_clause
from alm_ld.analytics.timeutil import moment_of, rfc3339
from alm_ld.errors import UsageError
from alm_ld.resources import AS2_CONTEXT_URL, CONTEXT_URL
from alm_ld.sparql_text import DCTERMS_NS, RDF_NS, XSD_NS
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, METRICS_NS, RELATIONS_NS, SOURCES_NS

GAP_GRACE_SECONDS = 60.0
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_CURSOR_PREFIX = "v1:"
END = "*"
"""Item marker of a cursor positioned after the last item of its feed (never an IRI)."""


@dataclass(frozen=True, order=True)
class Cursor:
    sequence: int
    item: str = END

    def encode(self) -> str:
        raw = f"{_CURSOR_PREFIX}{self.sequence}:{self.item}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
            if not raw.startswith(_CURSOR_PREFIX):
                raise ValueError(raw)
            sequence, _, item = raw[len(_CURSOR_PREFIX):].partition(":")
            cursor = cls(int(sequence), item)
            if cursor.sequence < 0 or not item:
                raise ValueError(raw)
            return cursor
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise UsageError(f"cursor={text!r} is not a cursor of this service; use the `next` "
                             "link of a /changes page, or start with ?since=DATETIME.")


@dataclass(frozen=True)
class FeedInfo:
    iri: str
    sequence: int
    ingested_at: str
    provider: str | None = None
    observations: int = 0
    events: int = 0


def feeds_from(store: Store, first: int, limit: int = 200) -> list[FeedInfo]:
    """Feeds with ``alm:sequence >= first``, in sequence order."""
    rows = select(store, f"""
SELECT ?feed ?seq ?at ?provider ?oc ?ec WHERE {{
  ?feed alm:sequence ?seq ; alm:ingestedAt ?at .
  FILTER(?seq >= {literal(first)})
  OPTIONAL {{ ?feed alm:provider ?provider }}
  OPTIONAL {{ ?feed alm:observationCount ?oc }}
  OPTIONAL {{ ?feed alm:eventCount ?ec }}
}} ORDER BY ?seq LIMIT {int(limit)}""")
    seen: dict[int, FeedInfo] = {}
    for row in rows:
        seen.setdefault(int(row["seq"]), FeedInfo(
            row["feed"], int(row["seq"]), row["at"], row.get("provider"),
            int(row.get("oc") or 0), int(row.get("ec") or 0)))
    return [seen[s] for s in sorted(seen)]


def visible_feeds(store: Store, after: int, *, limit: int = 200,
                  now: datetime | None = None) -> list[FeedInfo]:
    """Feeds after sequence ``after`` up to the first gap that may still fill (module doc)."""
    now = now or datetime.now(UTC)
    result: list[FeedInfo] = []
    expected = after + 1
    for feed in feeds_from(store, expected, limit):
        if feed.sequence != expected:
            age = (now - moment_of(feed.ingested_at)).total_seconds()
            if age < GAP_GRACE_SECONDS:
                break
        result.append(feed)
        expected = feed.sequence + 1
    return result


def max_sequence(store: Store) -> int:
    rows = select(store, "SELECT (MAX(?seq) AS ?max) WHERE { ?feed alm:sequence ?seq }")
    return int(rows[0]["max"]) if rows and rows[0].get("max") is not None else 0


def watermark(store: Store, now: datetime | None = None) -> int:
    """The highest sequence below which nothing can still appear (see the module doc)."""
    position = 0
    while True:
        feeds = visible_feeds(store, position, limit=1000, now=now)
        if not feeds:
            return position
        position = feeds[-1].sequence
        if len(feeds) < 1000:
            return position


def cursor_since(store: Store, since: datetime) -> Cursor:
    """The position before the first feed ingested at or after ``since``.

    The maximum sequence is read *before* looking for the first feed: a feed committed between
    the two reads then lies after the returned position instead of being skipped."""
    latest = max_sequence(store)
    rows = select(store, f"""
SELECT (MIN(?seq) AS ?first) WHERE {{
  ?feed alm:sequence ?seq ; alm:ingestedAt ?at .
  FILTER(?at >= {literal(rfc3339(since), XSD_NS + "dateTime")})
}}""")
    if rows and rows[0].get("first") is not None:
        return Cursor(int(rows[0]["first"]) - 1, END)
    return Cursor(latest, END)


_RDF_TYPE = RDF_NS + "type"
_FIELDS = {
    ALM_NS + "work": "work", ALM_NS + "metric": "metric", ALM_NS + "source": "source",
    ALM_NS + "value": "value", ALM_NS + "aggregation": "aggregation",
    ALM_NS + "periodStart": "periodStart", ALM_NS + "periodEnd": "periodEnd",
    PROV_NS + "wasDerivedFrom": "evidence", PROV_NS + "wasRevisionOf": "revisionOf",
    ALM_NS + "subject": "subject", ALM_NS + "relation": "relation", ALM_NS + "object": "object",
    ALM_NS + "occurred": "occurred", DCTERMS_NS + "license": "license",
}
_KINDS = (ALM_NS + "Observation", ALM_NS + "Event")
_OBSERVATION_ONLY = ("work", "metric", "value", "aggregation", "periodStart", "periodEnd",
                     "revisionOf")
_EVENT_ONLY = ("subject", "relation", "object", "occurred", "license")
_CACHED_FEEDS = 8
_item_lists: WeakKeyDictionary[Any, OrderedDict[tuple[str, int], list[str]]] = WeakKeyDictionary()
_item_lists_lock = threading.Lock()


def _new_items_query(feed: FeedInfo) -> str:
    """Every item of the feed that no earlier feed holds: unordered (Oxigraph's ORDER BY costs
    ~40 µs a row, 0.4 s for a 10k-item feed; Python sorts the same list in milliseconds)."""
    return f"""
SELECT ?item WHERE {{
  GRAPH {iri(feed.iri)} {{ ?item a ?kind . VALUES ?kind {{ alm:Observation alm:Event }} }}
  FILTER NOT EXISTS {{
    GRAPH ?earlier {{ ?item a ?kind }}
    ?earlier alm:sequence ?eseq .
    FILTER(?eseq < {literal(feed.sequence)})
  }}
}}"""


def new_items(store: Store, feed: FeedInfo) -> list[str]:
    """The IRIs of the feed's changes in page order (``STR`` order, as a cursor compares them).

    A visible feed never changes (see the module doc), so the list is kept per store for the
    last few feeds read: paging through a feed scans it once, not once per page."""
    try:
        lists = _item_lists.get(store)
    except TypeError:  # a store that cannot be weakly referenced is simply not cached
        lists = None
    if lists is not None:
        with _item_lists_lock:
            if (key := (feed.iri, feed.sequence)) in lists:
                lists.move_to_end(key)
                return lists[key]
    items = sorted({row["item"] for row in select(store, _new_items_query(feed))})
    try:
        with _item_lists_lock:
            lists = _item_lists.setdefault(store, OrderedDict())
            lists[(feed.iri, feed.sequence)] = items
            while len(lists) > _CACHED_FEEDS:
                lists.popitem(last=False)
    except TypeError:
        pass
    return items


def item_rows(store: Store, feed: FeedInfo, items: list[str]) -> list[dict[str, Any]]:
    """One row per item (as :func:`activity` reads it), in the order of ``items``.

    Reads the items' triples in the feed graph by subject (an index lookup per item) and
    assembles the fields here: the same shape as OPTIONAL patterns grouped per item, which
    Oxigraph evaluated over the whole feed graph for every page."""
    if not items:
        return []
    found: dict[str, dict[str, Any]] = {item: {"item": item} for item in items}
    kinds: dict[str, set[str]] = {item: set() for item in items}
    rows = select(store, f"""
SELECT ?item ?p ?o WHERE {{
  GRAPH {iri(feed.iri)} {{ {values_clause("item", items)} ?item ?p ?o }}
}}""")
    for row in rows:
        item, predicate = row["item"], row["p"]
        if predicate == _RDF_TYPE:
            kinds[item].add(row["o"])
        elif (field := _FIELDS.get(predicate)) is not None:
            found[item].setdefault(field, row["o"])
    result = []
    for item in items:
        kind = next((k for k in _KINDS if k in kinds[item]), None)
        if kind is None:
            continue
        row = found[item]
        row["kind"] = kind
        if kind == _KINDS[0] and not all(row.get(f) is not None for f in (
                "work", "metric", "value", "aggregation", "periodEnd")):
            row = {k: v for k, v in row.items() if k not in _OBSERVATION_ONLY}
        if kind == _KINDS[1] and not all(row.get(f) is not None for f in (
                "subject", "relation", "object", "occurred")):
            row = {k: v for k, v in row.items() if k not in _EVENT_ONLY}
        result.append(row)
    return result


def activity(row: dict[str, Any], feed: FeedInfo) -> dict[str, Any]:
    """One AS2 activity for a changed item; the item itself is described with the alm-ld
    context (embedded, so AS2's ``object``/``source`` terms do not clash with alm-ld's)."""
    if row["kind"] == ALM_NS + "Observation":
        obj: dict[str, Any] = {
            "@context": CONTEXT_URL, "id": row["item"], "type": "alm:Observation",
            "work": row.get("work"), "metric": short(row.get("metric"), METRICS_NS),
            "source": short(row.get("source"), SOURCES_NS), "value": row.get("value"),
            "aggregation": short(row.get("aggregation"), ALM_NS),
        }
        if row.get("periodStart"):
            obj["periodStart"] = row["periodStart"]
        obj["periodEnd"] = row.get("periodEnd")
        if row.get("revisionOf"):
            obj["prov:wasRevisionOf"] = {"id": row["revisionOf"]}
    else:
        obj = {
            "@context": CONTEXT_URL, "id": row["item"], "type": "Event",
            "subject": row.get("subject"), "relation": short(row.get("relation"), RELATIONS_NS),
            "object": row.get("object"), "occurred": row.get("occurred"),
            "source": short(row.get("source"), SOURCES_NS),
        }
        if row.get("license"):
            obj["license"] = row["license"]
    if row.get("evidence"):
        obj["evidence"] = row["evidence"]
    result = {
        "type": "Update" if row.get("revisionOf") else "Create",
        "published": feed.ingested_at,
        "context": feed.iri,
        "object": {k: v for k, v in obj.items() if v is not None},
    }
    if feed.provider:
        result["actor"] = feed.provider
    return result


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: Cursor
    start: Cursor


def read_page(store: Store, start: Cursor, size: int = DEFAULT_PAGE_SIZE, *,
              now: datetime | None = None) -> Page:
    """Up to ``size`` changes after ``start``; ``next_cursor`` is where the next page begins
    (equal to ``start`` when nothing new has been committed yet)."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise UsageError(f"limit={size} must be between 1 and {MAX_PAGE_SIZE}.")
    items: list[dict[str, Any]] = []
    position = start
    while True:
        first = position.sequence + 1 if position.item == END else position.sequence
        feeds = visible_feeds(store, first - 1, now=now)
        if not feeds:
            return Page(items, position, start)
        for feed in feeds:
            listed = new_items(store, feed)
            begin = (bisect_right(listed, position.item)
                     if feed.sequence == position.sequence and position.item != END else 0)
            chosen = listed[begin:begin + size - len(items)]
            for row in item_rows(store, feed, chosen):
                items.append(activity(row, feed))
                position = Cursor(feed.sequence, row["item"])
            if len(items) >= size:
                return Page(items, position, start)
            position = Cursor(feed.sequence, END)


def total_changes(store: Store, upto: int) -> int:
    """How many changes feeds 1..``upto`` hold: each item counts once, in the first feed that
    carries it (as :func:`new_items` lists it). One COUNT, not a walk over the feeds."""
    rows = select(store, f"""
SELECT (COUNT(DISTINCT ?item) AS ?n) WHERE {{
  ?feed alm:sequence ?seq .
  FILTER(?seq <= {literal(upto)})
  GRAPH ?feed {{ ?item a ?kind . VALUES ?kind {{ alm:Observation alm:Event }} }}
}}""")
    return int(rows[0]["n"]) if rows and rows[0].get("n") is not None else 0


def page_url(base_url: str, cursor: Cursor, size: int) -> str:
    return f"{base_url.rstrip('/')}/changes?cursor={cursor.encode()}&limit={size}"


def collection_document(store: Store, *, base_url: str, size: int) -> dict[str, Any]:
    """The AS2 ``OrderedCollection`` itself (what ``partOf`` names): ``first`` is the page at
    the very beginning, ``last`` the page after the newest change (empty until the next
    ingest: poll it to see only what is new), ``totalItems`` the changes so far."""
    upto = watermark(store)
    return {
        "@context": AS2_CONTEXT_URL,
        "id": base_url.rstrip("/") + "/changes",
        "type": "OrderedCollection",
        "totalItems": total_changes(store, upto),
        "first": page_url(base_url, Cursor(0, END), size),
        "last": page_url(base_url, Cursor(upto, END), size),
    }


def page_document(page: Page, *, base_url: str, size: int, page_url: str) -> dict[str, Any]:
    """The AS2 ``OrderedCollectionPage`` (see docs/analytics.md). ``next`` is absent on an
    empty page — the consumer has caught up — so a client that follows ``next`` stops; such a
    page's ``id`` is where to poll later (it starts where the previous page ended)."""
    collection = base_url.rstrip("/") + "/changes"
    doc: dict[str, Any] = {
        "@context": AS2_CONTEXT_URL,
        "id": page_url,
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": page.items,
    }
    if page.items:
        doc["next"] = f"{collection}?cursor={page.next_cursor.encode()}&limit={size}"
    return doc
