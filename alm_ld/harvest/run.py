"""The harvest run loop: works in, one feed per provider out, plus an honest report.

Each work is harvested on its own. A work the provider does not know is *skipped*; a work whose
response broke (HTTP error after retries, truncated body, changed format) is *failed* with the
reason; neither stops the others. With a state directory the run is resumable: every finished
work is appended (with its items) to ``<state>/<provider>.jsonl`` as soon as it is done, and a
rerun within :data:`RUN_WINDOW` reuses those items instead of asking the provider again; failed
works are not recorded, so a rerun retries exactly them. The HTTP cache for conditional requests
lives in ``<state>/http-cache/``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alm_ld.config import Settings
from alm_ld.errors import HarvestError, InvalidIdentifier, UsageError
from alm_ld.harvest.base import Harvester, WorkNotFound, feed_time
from alm_ld.harvest.http import Clock, ProviderClient
from alm_ld.harvest.providers.crossref_events import EventWindow
from alm_ld.harvest.registry import provider_class
from alm_ld.identifiers import WorkId, parse_work_id
from alm_ld.resources import CONTEXT_URL

RUN_WINDOW = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)  # what the validator allows past 'generated'


@dataclass
class ProviderReport:
    """What happened to each work for one provider (printed as the CLI summary)."""

    provider: str
    done: int = 0
    items: int = 0
    resumed: int = 0
    requests: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider, "done": self.done, "items": self.items,
            "resumed": self.resumed, "requests": self.requests,
            "skipped": [{"work": w, "reason": r} for w, r in self.skipped],
            "failed": [{"work": w, "reason": r} for w, r in self.failed],
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        head = (f"{self.provider}: {self.done} done ({self.resumed} from earlier run), "
                f"{self.items} items, {len(self.skipped)} skipped, {len(self.failed)} failed")
        out = [head]
        out += [f"  skipped {work}: {reason}" for work, reason in self.skipped]
        out += [f"  FAILED {work}: {reason}" for work, reason in self.failed]
        out += [f"  note: {note}" for note in self.notes]
        return out


class RunState:
    """Works already harvested in this run window, per provider, with their items."""

    def __init__(self, directory: Path, clock: Clock | None = None,
                 window: timedelta = RUN_WINDOW) -> None:
        self.directory = Path(directory)
        self.clock = clock or Clock()
        self.window = window
        self.directory.mkdir(parents=True, exist_ok=True)

    @property
    def cache_dir(self) -> Path:
        return self.directory / "http-cache"

    def _file(self, provider: str) -> Path:
        return self.directory / f"{provider}.jsonl"

    def load(self, provider: str) -> dict[str, dict[str, Any]]:
        """Records of works finished within the window, by work IRI (latest wins)."""
        path = self._file(provider)
        if not path.is_file():
            return {}
        cutoff = self.clock.now() - self.window
        records: dict[str, dict[str, Any]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                at = datetime.fromisoformat(record["at"].replace("Z", "+00:00"))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by an interruption is simply redone
            if at >= cutoff:
                records[record["work"]] = record
        return records

    def record(self, provider: str, work: str, status: str, items: list[dict[str, Any]],
               reason: str | None = None) -> None:
        line = json.dumps({"work": work, "status": status, "at": feed_time(self.clock.now()),
                           "reason": reason, "items": items}, sort_keys=True)
        with self._file(provider).open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()


def parse_ids(values: Iterable[str]) -> list[WorkId]:
    """Parse and de-duplicate work ids (by canonical IRI), keeping the given order."""
    seen: dict[str, WorkId] = {}
    for value in values:
        value = value.strip()
        if not value or value.startswith("#"):
            continue
        work = parse_work_id(value)
        seen.setdefault(work.iri, work)
    return list(seen.values())


def _item_key(item: dict[str, Any]) -> tuple[Any, ...]:
    if item.get("type") == "Event":
        return (item["type"], item.get("id"))
    if item.get("type") == "Work":  # v1.1 names the work with 'work', v1 with 'id'
        return (item["type"], item.get("work", item.get("id")))
    return ("Count", item.get("work"), item.get("metric"), item.get("source"),
            item.get("aggregation"), item.get("periodStart"), item.get("periodEnd"))


def usable_events(items: list[dict[str, Any]], now: datetime
                  ) -> tuple[list[dict[str, Any]], list[str]]:
    """Leave out events whose date is impossible or after ``now``, with a note saying so.

    Upstream dates can be impossible (COCI ``2018-02-30``) or in the future (a citing work's
    print date, months ahead); either would make the validator reject the *whole* feed, so such
    an event is dropped (its count, if any, is unaffected) and the summary says how many.
    """
    kept: list[dict[str, Any]] = []
    dropped: dict[str, list[str]] = {"an impossible date": [], "a date after the harvest": []}
    limit = now.astimezone(UTC) + CLOCK_SKEW if now.tzinfo else now.replace(tzinfo=UTC)
    for item in items:
        if item.get("type") == "Event":
            try:
                when = datetime.fromisoformat(str(item.get("occurred")).replace("Z", "+00:00"))
            except ValueError:
                dropped["an impossible date"].append(str(item.get("occurred")))
                continue
            if when.tzinfo is None:
                dropped["an impossible date"].append(str(item.get("occurred")))
                continue
            if when > limit:
                dropped["a date after the harvest"].append(str(item.get("occurred")))
                continue
        kept.append(item)
    notes = [f"{len(values)} event{'' if len(values) == 1 else 's'} left out with {why} "
             f"(e.g. {values[0]})"
             for why, values in dropped.items() if values]
    return kept, notes


def build_feed(harvester: type[Harvester], items: list[dict[str, Any]], generated: datetime,
               feed_id: str | None = None) -> dict[str, Any]:
    """One alm-ld feed (docs/feed-format.md) from a provider's items; duplicates keep the first."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in items:
        unique.setdefault(_item_key(item), item)
    return {
        "@context": CONTEXT_URL,
        "type": "Feed",
        "id": feed_id or f"urn:uuid:{uuid.uuid4()}",
        "provider": {"id": harvester.provider_iri, "name": harvester.label},
        "generated": feed_time(generated),
        "disclosure": dict(harvester.disclosure),
        "items": list(unique.values()),
    }


def harvest_provider(
    name: str,
    works: Sequence[WorkId],
    settings: Settings,
    *,
    clock: Clock | None = None,
    state: RunState | None = None,
    max_pages: int = 20,
    feed_id: str | None = None,
    on_work: Callable[[str], None] | None = None,
    rng: Callable[[], float] | None = None,
) -> tuple[dict[str, Any], ProviderReport]:
    """Harvest ``works`` from provider ``name``; returns the feed and the report.

    ``on_work`` is called after each work (progress bars; tests use it to interrupt a run).
    """
    cls = provider_class(name)
    clock = clock or Clock()
    client = ProviderClient(cls.name, cls.default_base_url, settings, clock=clock,
                            cache_dir=state.cache_dir if state else None, rng=rng)
    harvester = cls(client, max_pages=max_pages, clock=clock)
    report = ProviderReport(cls.name)
    earlier = state.load(cls.name) if state else {}
    items: list[dict[str, Any]] = []
    try:
        for work in works:
            _harvest_one(harvester, work, earlier, state, report, items)
            if on_work:
                on_work(work.iri)
    finally:
        report.requests = client.requests_sent
        client.close()
    return _finish(cls, harvester, items, report, clock, feed_id)


def _finish(cls: type[Harvester], harvester: Harvester, items: list[dict[str, Any]],
            report: ProviderReport, clock: Clock, feed_id: str | None
            ) -> tuple[dict[str, Any], ProviderReport]:
    harvester.finish()
    now = clock.now()
    items, dropped = usable_events(items, now)
    report.notes.extend(harvester.notes + dropped)
    report.items = len(items)
    return build_feed(cls, items, now, feed_id), report


def harvest_window(
    name: str,
    window: EventWindow,
    settings: Settings,
    *,
    works: Sequence[WorkId] | None = None,
    clock: Clock | None = None,
    state: RunState | None = None,
    max_pages: int = 20,
    feed_id: str | None = None,
    rng: Callable[[], float] | None = None,
) -> tuple[dict[str, Any], ProviderReport]:
    """Harvest every event collected in ``window`` (about ``works`` only, when given).

    Only providers with a window mode (``harvest_window``; today ``crossref-events``) take
    this; others are a usage error. A failure while paging keeps the pages read before it and
    is reported as failed (exit 3). With ``state``, a finished window is not fetched again
    within :data:`RUN_WINDOW`.
    """
    cls = provider_class(name)
    if not hasattr(cls, "harvest_window"):
        raise UsageError(f"--since/--until: {cls.name} has no window mode; harvest it with "
                         "--ids alone (window mode: crossref-events).", provider=cls.name)
    clock = clock or Clock()
    client = ProviderClient(cls.name, cls.default_base_url, settings, clock=clock,
                            cache_dir=state.cache_dir if state else None, rng=rng)
    harvester = cls(client, max_pages=max_pages, clock=clock)
    report = ProviderReport(cls.name)
    key = window.label + ("" if not works else " for " + " ".join(sorted(w.iri for w in works)))
    items: list[dict[str, Any]] = []
    previous = state.load(cls.name).get(key) if state else None
    try:
        if previous is not None:
            report.resumed = report.done = 1
            items.extend(previous["items"])
        else:
            total = harvester.harvest_window(window, list(works or ()),  # type: ignore[attr-defined]
                                             sink=items.extend)
            report.done = 1
            if total == 0:
                report.notes.append(f"{window.label}: no events collected")
            if state:
                state.record(cls.name, key, "done", items)
    except HarvestError as error:
        report.failed.append((window.label, error.detail))
    finally:
        report.requests = client.requests_sent
        client.close()
    return _finish(cls, harvester, items, report, clock, feed_id)


def _harvest_one(harvester: Harvester, work: WorkId, earlier: dict[str, dict[str, Any]],
                 state: RunState | None, report: ProviderReport,
                 items: list[dict[str, Any]]) -> None:
    name = harvester.name
    previous = earlier.get(work.iri)
    if previous is not None:
        report.resumed += 1
        if previous["status"] == "skipped":
            report.skipped.append((work.iri, previous.get("reason") or "not found"))
        else:
            report.done += 1
            items.extend(previous["items"])
        return
    if not harvester.check_accepts(work):
        reason = f"{name} takes {' or '.join(harvester.accepts)} identifiers, not {work.scheme}"
        report.skipped.append((work.iri, reason))
        return
    try:
        found = harvester.harvest_work(work)
    except WorkNotFound:
        reason = f"not found at {name}"
        report.skipped.append((work.iri, reason))
        if state:
            state.record(name, work.iri, "skipped", [], reason)
        return
    except HarvestError as error:
        report.failed.append((work.iri, error.detail))
        return
    except InvalidIdentifier as error:
        report.failed.append((work.iri, f"{name} returned an unusable identifier: "
                                        f"{error.detail}"))
        return
    report.done += 1
    items.extend(found)
    if state:
        state.record(name, work.iri, "done", found)
