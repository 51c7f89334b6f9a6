"""Helpers shared by the analytics views: parameters, work ids, JSON-LD responses."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from alm_ld.errors import NotFound, UsageError
from alm_ld.identifiers import ACCEPTED_FORMS, is_absolute_iri, parse_work_id
from alm_ld.sparql_text import bind_iri, prefixes
from alm_ld.web.respond import finish, negotiated_media
from alm_ld.web.state import settings, store

JSONLD = "application/ld+json"
JSON = "application/json"
JSON_OFFERS = (JSONLD, JSON)


def concept(value: str | None, namespace: str, name: str) -> str | None:
    """A ``metric``/``source``/… parameter: a concept id of our scheme or an absolute IRI."""
    if value is None or value == "":
        return None
    value = value.strip()
    if is_absolute_iri(value):
        return value
    if not value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UsageError(f"{name}={value!r} is neither an id such as 'citations' nor an "
                         "absolute IRI.")
    return namespace + value


def int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a whole number.")
    if not low <= value <= high:
        raise UsageError(f"{name}={value} must be between {low} and {high}.")
    return value


def bool_param(name: str) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise UsageError(f"{name}={raw!r} must be true or false.")


_KNOWN_WORK = prefixes("alm") + (
    "ASK { { ?o alm:work ?work } UNION { ?e alm:object ?work } UNION { ?work a alm:Work } }")


def known_work(identifier: str) -> str:
    """The canonical IRI of ``identifier``; :class:`NotFound` when nothing is stored about it."""
    work = parse_work_id(identifier).iri
    ask = store().query(bind_iri(_KNOWN_WORK, "work", work), timeout=settings().query_timeout)
    if not ask.boolean:
        raise NotFound(f"No work {work} is known to this service (asked as {identifier!r}).",
                       acceptedForms=ACCEPTED_FORMS)
    return work


def request_url() -> str:
    """This request's URL under the configured public base URL."""
    query = request.query_string.decode("utf-8")
    return settings().base_url + request.path + (f"?{query}" if query else "")


def json_response(doc: Any, offers: tuple[str, ...] = JSON_OFFERS,
                  media: str | None = None) -> Response:
    media = media or negotiated_media(offers)
    body = json.dumps(doc, ensure_ascii=False, indent=1)
    response = Response(body, content_type=f"{media}; charset=utf-8" if media == JSON else media)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return finish(response, cache_seconds=None)
