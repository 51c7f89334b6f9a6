"""What every provider module has in common: the harvester contract and item builders.

A provider turns one work into feed items (docs/feed-format.md) or says why it could not:
:class:`WorkNotFound` (the provider does not know the work — skipped, not failed),
:class:`~alm_ld.errors.UpstreamFormatChanged` (an expected field is missing or has another type —
the work fails with a message naming provider and field) or another
:class:`~alm_ld.errors.HarvestError`. The run loop (:mod:`alm_ld.harvest.run`) carries on with
the other works either way, so one upstream change never loses a whole harvest.

Numbers are never invented: a missing count is omitted, a count given as a string is parsed,
and anything else is a format change.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from alm_ld.errors import UpstreamFormatChanged
from alm_ld.harvest.http import Clock, Fetched, ProviderClient
from alm_ld.identifiers import WorkId
from alm_ld.instants import rfc3339
from alm_ld.vocab import ID_NS

EVENT_ID_BASE = ID_NS + "event/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


class WorkNotFound(Exception):
    """The provider has nothing about this work (404, empty result, ``hitCount: 0``)."""

    def __init__(self, provider: str, work: str, url: str | None = None) -> None:
        super().__init__(f"{provider} does not know {work}")
        self.provider, self.work, self.url = provider, work, url


def feed_time(moment: datetime) -> str:
    """The moment in whole seconds (UTC, ``Z``): harvested feeds are stable and diffable, and
    no provider's count is meaningful below a second."""
    return rfc3339(moment.replace(microsecond=0))


def utc_instant(value: object) -> str | None:
    """An upstream date-time (``…T16:43:31.000Z``, ``+00:00``, microseconds) as :func:`feed_time`.

    None for anything that is not a real instant with a zone (``2018-02-30``, a date without a
    time, no offset): callers decide whether that is a format change or a record to leave out.
    """
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return feed_time(moment) if moment.tzinfo is not None else None


def minted_event_id(provider: str, *parts: str) -> str:
    """A stable event IRI for upstreams that give none: same parts, same id."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{EVENT_ID_BASE}{provider}/{digest}"


class Harvester(ABC):
    """One upstream provider. Subclasses set the class attributes and :meth:`harvest_work`."""

    name: ClassVar[str]
    label: ClassVar[str]
    provider_iri: ClassVar[str]
    default_base_url: ClassVar[str]
    disclosure: ClassVar[Mapping[str, str]]
    accepts: ClassVar[tuple[str, ...]] = ("doi",)

    def __init__(self, client: ProviderClient, *, max_pages: int = 20,
                 clock: Clock | None = None) -> None:
        self.client = client
        self.max_pages = max(1, max_pages)
        self.clock = clock or client.clock
        self.notes: list[str] = []
        """Things the user should know that are neither skips nor failures (a page cap hit,
        records left out); the run loop prints them in the summary."""

    # -- contract ---------------------------------------------------------------------------
    @abstractmethod
    def harvest_work(self, work: WorkId) -> list[dict[str, Any]]:
        """Feed items about ``work``; raise :class:`WorkNotFound` or a HarvestError."""

    def check_accepts(self, work: WorkId) -> bool:
        return work.scheme in self.accepts

    def finish(self) -> None:  # noqa: B027 - optional hook, most providers need nothing
        """Called once after the last work: add summary :attr:`notes` (default: nothing)."""

    # -- helpers for subclasses ---------------------------------------------------------------
    def note_for(self, work: str) -> Callable[[str], None]:
        """A ``note`` for :mod:`alm_ld.harvest.work_metadata` that records each left-out
        identifier as a run-report note naming the work."""
        return lambda message: self.notes.append(f"{work}: {message}")

    def changed(self, fetched: Fetched | None, field: str, why: str) -> UpstreamFormatChanged:
        url = fetched.url if fetched else None
        return UpstreamFormatChanged(
            f"{self.name}: upstream format changed: field {field!r} {why}"
            + (f" in {url}" if url else ""),
            provider=self.name, url=url, status_code=fetched.status if fetched else None,
            body_excerpt=fetched.excerpt() if fetched else None, field=field)

    def field(self, data: Any, path: str, kind: type | tuple[type, ...], fetched: Fetched,
              *, required: bool = True) -> Any:
        """Walk ``a.b.c`` in ``data``; a missing or mistyped step is a format change.

        With ``required=False`` a missing *last* step gives None (absent = unknown).
        """
        current = data
        steps = path.split(".")
        for index, step in enumerate(steps):
            if not isinstance(current, dict):
                raise self.changed(fetched, ".".join(steps[:index]) or "(body)",
                                   f"is {type(current).__name__}, expected an object")
            if step not in current or current[step] is None:
                if not required and index == len(steps) - 1:
                    return None
                raise self.changed(fetched, path, "is missing")
            current = current[step]
        if kind is int and isinstance(current, bool):
            raise self.changed(fetched, path, "is a boolean, expected a number")
        if not isinstance(current, kind):
            expected = kind.__name__ if isinstance(kind, type) else "/".join(
                k.__name__ for k in kind)
            raise self.changed(fetched, path, f"is {type(current).__name__}, expected {expected}")
        return current

    def count_value(self, raw: Any, field: str, fetched: Fetched) -> int | None:
        """A non-negative count from an int or a digit string; None when absent."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            raise self.changed(fetched, field, "is a boolean, expected a count")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
            value = int(raw.strip())
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        else:
            raise self.changed(fetched, field, f"is {raw!r}, expected a whole number")
        if value < 0:
            raise self.changed(fetched, field, f"is negative ({value})")
        return value

    def count(self, work: str, metric: str, value: int, fetched: Fetched, *,
              source: str | None = None, aggregation: str = "cumulative",
              period_start: str | None = None, period_end: str | None = None,
              evidence: str | None = None) -> dict[str, Any]:
        retrieved = feed_time(fetched.retrieved)
        item: dict[str, Any] = {
            "type": "Count", "work": work, "metric": metric, "value": value,
            "aggregation": aggregation,
        }
        if period_start:
            item["periodStart"] = period_start
        item["periodEnd"] = period_end or fetched.retrieved.date().isoformat()
        item["source"] = source or self.name
        item["retrieved"] = retrieved
        item["evidence"] = evidence or fetched.url
        return item

    def event(self, event_id: str, subject: str, relation: str, obj: str, occurred: str,
              fetched: Fetched, *, license: str, source: str | None = None,
              evidence: str | None = None) -> dict[str, Any]:
        return {
            "type": "Event", "id": event_id, "subject": subject, "relation": relation,
            "object": obj, "occurred": occurred, "source": source or self.name,
            "license": license, "evidence": evidence or fetched.url,
        }


def work_item(iri: str, *, title: object = None, issued: object = None,
              same_as: list[str] | None = None,
              metadata: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """A ``Work`` item (feed format v1.1: the work named by ``work``) with what a provider
    tells about the work; None if it tells nothing.

    ``issued`` may be ``YYYY``/``YYYY-MM``/``YYYY-MM-DD`` text, a year number or Crossref
    ``date-parts`` (``[[2012, 3, 21]]``); anything else is left out rather than guessed.
    ``metadata``: the v1.1 fields built by :mod:`alm_ld.harvest.work_metadata`.
    """
    item: dict[str, Any] = {"type": "Work", "work": iri}
    if isinstance(title, list):
        title = next((t for t in title if isinstance(t, str) and t.strip()), None)
    if isinstance(title, str) and title.strip():
        item["title"] = " ".join(title.split())
    date_text = _issued(issued)
    if date_text:
        item["issued"] = date_text
    others = sorted({s for s in same_as or () if s and s != iri})
    if others:
        item["sameAs"] = others
    item.update(metadata or {})
    return item if len(item) > 2 else None


def _issued(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("date-parts")
    if isinstance(value, list) and value and isinstance(value[0], list):
        parts = [p for p in value[0] if isinstance(p, int)]
        if parts and 1000 <= parts[0] <= 9999:
            return "-".join([f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:3]])
        return None
    if isinstance(value, int) and 1000 <= value <= 9999:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value.strip()):
        return value.strip()
    return None
