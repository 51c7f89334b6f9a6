"""Builders for small feeds with known answers (the analytics tests' generated data)."""

from __future__ import annotations

import itertools
from typing import Any

CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
CROSSREF = {"id": "https://ror.org/02twcfp32", "name": "Crossref"}
ALTMETRIC = {"id": "https://www.altmetric.com/", "name": "Altmetric"}
_ids = itertools.count(1)


def feed(items: list[dict[str, Any]], *, provider: dict[str, str] = CROSSREF,
         generated: str = "2026-06-30T00:00:00Z", disclosure: dict[str, str] | None = None,
         feed_id: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT, "type": "Feed",
        "id": feed_id or f"urn:uuid:00000000-0000-4000-8000-{next(_ids):012d}",
        "provider": provider, "generated": generated, "items": items,
    }
    if disclosure:
        doc["disclosure"] = disclosure
    return doc


def count(work: str, value: int, end: str, *, metric: str = "citations",
          source: str = "crossref", aggregation: str = "cumulative",
          start: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "Count", "work": work, "metric": metric, "value": value,
        "aggregation": aggregation, "periodEnd": end, "source": source,
        "evidence": f"https://api.example.org/{source}/{work.rsplit('/', 1)[-1]}",
    }
    if start:
        item["periodStart"] = start
    return item


def event(subject: str, relation: str, obj: str, *, source: str = "wikipedia",
          occurred: str = "2026-01-01T00:00:00Z", event_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "Event", "id": event_id or f"https://events.example.org/{next(_ids)}",
        "subject": subject, "relation": relation, "object": obj, "occurred": occurred,
        "source": source, "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
