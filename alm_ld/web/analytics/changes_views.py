"""``GET /changes`` (AS2 pages behind a stable cursor) and ``GET /changes/stream`` (SSE).

A stream holds a serving thread while it is open, so streams are capped in total and per client
address (:mod:`.stream_slots`; 503/429 problem+json with ``Retry-After`` over the caps), send a
heartbeat comment every ``settings.sse_heartbeat`` seconds (proxies and clients see a live
connection, and a write to a vanished client fails), and end within about a second of the
client hanging up (waitress's ``waitress.client_disconnected``), which frees the slot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, current_app, request

from alm_ld.analytics.changes import (
    DEFAULT_PAGE_SIZE,
    END,
    MAX_PAGE_SIZE,
    Cursor,
    FeedInfo,
    collection_document,
    cursor_since,
    page_document,
    read_page,
    visible_feeds,
    watermark,
)
from alm_ld.analytics.notify import NOTIFIER
from alm_ld.analytics.timeutil import parse_datetime
from alm_ld.errors import UsageError
from alm_ld.web.analytics import blueprint
from alm_ld.web.analytics.common import JSON, JSONLD, int_param, json_response, request_url
from alm_ld.web.analytics.stream_slots import Slot, SlotRefused, StreamSlots
from alm_ld.web.problems import problem_document, problem_response
from alm_ld.web.state import settings, store

ACTIVITY_JSON = "application/activity+json"
OFFERS = (JSONLD, ACTIVITY_JSON, JSON)
POLL_SECONDS = 1.0
RETRY_AFTER_SECONDS = 30


def _start_cursor() -> Cursor | None:
    """Where the requested page starts; None asks for the collection itself."""
    args = request.args
    if args.get("cursor"):
        return Cursor.decode(args["cursor"])
    if args.get("since"):
        return cursor_since(store(), parse_datetime(args["since"], "since"))
    return None


@blueprint.get("/changes")
def changes() -> Response:
    """The collection (no ``cursor``/``since``: what every page's ``partOf`` names and pages
    link to), or one page of it."""
    size = int_param("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    start = _start_cursor()
    if start is None:
        return json_response(collection_document(store(), base_url=settings().base_url,
                                                 size=size), OFFERS)
    page = read_page(store(), start, size)
    doc = page_document(page, base_url=settings().base_url, size=size, page_url=request_url())
    return json_response(doc, OFFERS)


def _event(feed: FeedInfo, base_url: str) -> str:
    data = {
        "feed": feed.iri, "sequence": feed.sequence, "ingestedAt": feed.ingested_at,
        "provider": feed.provider, "observations": feed.observations, "events": feed.events,
        "changes": f"{base_url}/changes?cursor={Cursor(feed.sequence - 1, END).encode()}",
    }
    return f"id: {feed.sequence}\nevent: ingest\ndata: {json.dumps(data)}\n\n"


def _stream(the_store: Any, position: int, base_url: str, heartbeat: float, slot: Slot,
            gone: Callable[[], bool]) -> Iterator[str]:
    try:
        yield f"retry: {int(POLL_SECONDS * 2000)}\n: alm-ld change stream after {position}\n\n"
        last_sent = time.monotonic()
        generation = NOTIFIER.generation
        while not gone():
            for feed in visible_feeds(the_store, position):
                yield _event(feed, base_url)
                position = feed.sequence
                last_sent = time.monotonic()
            if time.monotonic() - last_sent >= heartbeat:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            wait = min(POLL_SECONDS, max(0.05, heartbeat - (time.monotonic() - last_sent)))
            generation = NOTIFIER.wait(generation, wait)
    finally:
        slot.release()


def _slots() -> StreamSlots:
    """The app's slot counter, made on first use (dict.setdefault is atomic: one wins)."""
    slots = current_app.extensions.get("alm_ld_stream_slots")
    if slots is None:
        current = settings()
        slots = current_app.extensions.setdefault(
            "alm_ld_stream_slots", StreamSlots(current.sse_max, current.sse_per_client))
    return slots


def _refused(error: SlotRefused) -> Response:
    title = {503: "Too many change streams",
             429: "Too many change streams from this address"}[error.status]
    doc = problem_document(error.status, title, error.detail,
                           instance=request.full_path.rstrip("?"))
    return problem_response(doc, {"Retry-After": str(RETRY_AFTER_SECONDS)})


@blueprint.get("/changes/stream")
def changes_stream() -> Response:
    """Server-Sent Events, one ``ingest`` event per committed feed. Starts after the
    ``Last-Event-ID`` the browser resends on reconnect, else after ``?after=SEQUENCE``, else
    at ``?since=DATETIME``, else with the next ingest."""
    the_store = store()
    last_id = request.headers.get("Last-Event-ID") or request.args.get("after")
    if last_id:
        try:
            position = int(last_id)
        except ValueError:
            raise UsageError(f"Last-Event-ID/after={last_id!r} is not a feed sequence number.")
    elif request.args.get("since"):
        position = cursor_since(the_store, parse_datetime(request.args["since"], "since")).sequence
    else:
        position = watermark(the_store)
    try:
        slot = _slots().acquire(request.remote_addr or "unknown")
    except SlotRefused as error:
        return _refused(error)
    # waitress tells whether the client hung up; other servers only fail the next write.
    gone = request.environ.get("waitress.client_disconnected") or (lambda: False)
    response = Response(_stream(the_store, position, settings().base_url,
                                settings().sse_heartbeat, slot, gone),
                        content_type="text/event-stream; charset=utf-8")
    response.call_on_close(slot.release)  # also when the stream never started
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
