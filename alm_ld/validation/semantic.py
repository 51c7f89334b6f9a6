"""The rules of docs/feed-format.md that JSON Schema cannot express.

They run on whatever parts of a feed are well-typed, so a feed with schema errors still gets
every semantic problem reported too (a provider fixes everything in one round). Fields with the
wrong type are left to the schema check and skipped here.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from alm_ld.errors import InvalidIdentifier
from alm_ld.identifiers import (
    IRI_RULE,
    InvalidMetadataId,
    funder_iri,
    iri_problem,
    issn_value,
    normalise_iri,
    orcid_iri,
    ror_iri,
    work_iri,
)
from alm_ld.validation.problems import Problem, excerpt, jsonpath
from alm_ld.vocab import DISCLOSURE_KEYS, METRICS_NS, SOURCES_NS, WORK_TYPES

CLOCK_SKEW = timedelta(minutes=5)
# A date (no time) is "after generated" only if no time zone on earth had reached it yet.
_EARLIEST_ZONE = timedelta(hours=14)

When = date | datetime


def parse_when(text: object) -> When | None:
    """A date or an offset date-time, or None when the text is neither (the schema reports it)."""
    return _parse_when(text) if isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _parse_when(text: str) -> When | None:
    """:func:`parse_when` of a string, cached: a feed repeats the same few dates on every
    item (periodEnd, retrieved), and dates and datetimes are immutable."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _as_day(value: When) -> date:
    return value.date() if isinstance(value, datetime) else value


def _key_of(value: When | None, raw: object) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None if raw is None else str(raw)


@lru_cache(maxsize=65536)
def _work(text: str) -> str | InvalidIdentifier:
    try:
        return work_iri(text)
    except InvalidIdentifier as error:
        return error


_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=65536)
def _iri_problem(text: str) -> str | None:
    """Why the IRI mapping would write for ``text`` (see ``mapping.safe_iri``: the same
    normalisation, then the same check) is refused, or None."""
    return iri_problem(normalise_iri(text))


@lru_cache(maxsize=65536)
def _subject_problem(text: str) -> str | None:
    """Event subjects and sameAs values: a work id is normalised (``mapping.subject_iri``),
    anything else must be an IRI."""
    if isinstance(_work(text), str):
        return None
    return _iri_problem(text)


def _strip(value: object, namespace: str) -> object:
    if isinstance(value, str) and value.startswith(namespace) and len(value) > len(namespace):
        return value[len(namespace):]
    return value


def _objects(value: object) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, object) for the objects of a list; anything else is the schema's to report."""
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                yield index, entry


def _token(value: object) -> str | None:
    """A hashable stand-in for any JSON value (wrongly typed fields can be lists or objects)."""
    return value if value is None or isinstance(value, str) else excerpt(value, 200)


class _Checker:
    def __init__(self, doc: dict[str, Any], profile: str) -> None:
        self.doc = doc
        self.profile = profile
        self.problems: list[Problem] = []
        generated = parse_when(doc.get("generated"))
        self.limit = generated + CLOCK_SKEW if isinstance(generated, datetime) else None
        self.counts: dict[tuple, int] = {}
        self.events: dict[str, int] = {}
        self.works: dict[str, int] = {}

    def add(self, parts: list[str | int], rule: str, message: str,
            severity: str = "error") -> None:
        self.problems.append(Problem(jsonpath(parts), rule, message, severity))  # type: ignore

    def identifier(self, parts: list[str | int], value: object) -> str | None:
        if not isinstance(value, str) or not value:
            return None
        result = _work(value)
        if isinstance(result, InvalidIdentifier):
            self.add(parts, "identifier", result.detail)
            return None
        return result

    def iri(self, parts: list[str | int], value: object, what: str, *,
            concept: bool = False, subject: bool = False) -> None:
        """An IRI-valued field must give an IRI the store accepts (rule ``iri``). Values of the
        wrong type are the schema's to report; ``concept`` values without ':' are ids of our
        schemes, made IRIs by prefixing a namespace (the schema checks their form)."""
        if not isinstance(value, str) or not value or (concept and ":" not in value):
            return
        problem = _subject_problem(value) if subject else _iri_problem(value)
        if problem is not None:
            self.add(parts, "iri",
                     f"The {what} {excerpt(value, 120)} is not an IRI that can be stored: "
                     f"{problem}. Give {IRI_RULE}.")

    def text(self) -> None:
        """Strings holding an unpaired UTF-16 surrogate (``"\\ud800"`` in JSON) are not
        Unicode text; nothing can store them. Found with one C-speed scan, then located."""
        try:
            json.dumps(self.doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return
        stack: list[tuple[list[str | int], object]] = [([], self.doc)]
        while stack:
            parts, node = stack.pop()
            if isinstance(node, dict):
                for key, value in node.items():
                    if isinstance(key, str) and _SURROGATE.search(key):
                        self.add([*parts, key], "text", "An object key holds an unpaired UTF-16 "
                                 "surrogate (a lone \\ud800–\\udfff escape), which is not "
                                 "text. Encode the character correctly (a surrogate pair).")
                    stack.append(([*parts, key], value))
            elif isinstance(node, list):
                stack.extend(([*parts, i], value) for i, value in enumerate(node))
            elif isinstance(node, str) and _SURROGATE.search(node):
                self.add(parts, "text", "This string holds an unpaired UTF-16 surrogate (a "
                         "lone \\ud800–\\udfff escape), which is not text. Encode the "
                         "character correctly (a surrogate pair) or remove it.")

    def feed(self) -> None:
        self.iri(["id"], self.doc.get("id"), "feed id")
        provider = self.doc.get("provider")
        if isinstance(provider, dict):
            self.iri(["provider", "id"], provider.get("id"), "provider id")

    def when(self, parts: list[str | int], value: object) -> When | None:
        parsed = parse_when(value)
        if parsed is None or self.limit is None:
            return parsed
        late = (parsed > self.limit if isinstance(parsed, datetime)
                else parsed > (self.limit.astimezone(UTC) + _EARLIEST_ZONE).date())
        if late:
            self.add(parts, "date-after-generated",
                     f"{excerpt(value)} is later than the feed's 'generated' time "
                     f"({self.doc['generated']}, 5 minutes of clock skew allowed). Fix the "
                     "date, or set 'generated' to when the feed was really produced.")
        return parsed

    def count(self, i: int, item: dict[str, Any]) -> None:
        base: list[str | int] = ["items", i]
        work = self.identifier([*base, "work"], item.get("work"))
        self.iri([*base, "metric"], item.get("metric"), "metric", concept=True)
        self.iri([*base, "source"], item.get("source"), "source", concept=True)
        self.iri([*base, "evidence"], item.get("evidence"), "evidence URL")
        start = self.when([*base, "periodStart"], item.get("periodStart"))
        end = self.when([*base, "periodEnd"], item.get("periodEnd"))
        self.when([*base, "retrieved"], item.get("retrieved"))
        if start is not None and end is not None:
            both_times = isinstance(start, datetime) and isinstance(end, datetime)
            later = start > end if both_times else _as_day(start) > _as_day(end)
            if later:
                self.add([*base, "periodStart"], "period-order",
                         f"periodStart {item['periodStart']} is after periodEnd "
                         f"{item['periodEnd']}; the period must start before it ends. Swap "
                         "or correct them.")
        if work is None:
            return
        key = tuple(_token(part) for part in (
            work, _strip(item.get("metric"), METRICS_NS), _strip(item.get("source"), SOURCES_NS),
            item.get("aggregation"), _key_of(start, item.get("periodStart")),
            _key_of(end, item.get("periodEnd"))))
        first = self.counts.setdefault(key, i)
        if first != i:
            self.add(base, "duplicate-count",
                     f"This count has the same work, metric, source, aggregation and period "
                     f"as $.items[{first}] (identifiers compared after normalisation). Send "
                     "one value per key: remove one, or tell them apart by source or period.")

    def event(self, i: int, item: dict[str, Any]) -> None:
        base: list[str | int] = ["items", i]
        self.identifier([*base, "object"], item.get("object"))
        self.iri([*base, "id"], item.get("id"), "event id")
        self.iri([*base, "subject"], item.get("subject"), "event subject", subject=True)
        self.iri([*base, "relation"], item.get("relation"), "relation", concept=True)
        self.iri([*base, "source"], item.get("source"), "source", concept=True)
        self.iri([*base, "license"], item.get("license"), "licence")
        self.iri([*base, "evidence"], item.get("evidence"), "evidence URL")
        self.when([*base, "occurred"], item.get("occurred"))
        event_id = item.get("id")
        if isinstance(event_id, str):
            first = self.events.setdefault(event_id, i)
            if first != i:
                self.add([*base, "id"], "duplicate-event",
                         f"Event id {excerpt(event_id)} is already used by $.items[{first}]. "
                         "Every event needs its own id; remove the repeat.")

    def work(self, i: int, item: dict[str, Any]) -> None:
        base: list[str | int] = ["items", i]
        key = "work" if "work" in item else "id"
        work = self.identifier([*base, key], item.get(key))
        same_as = item.get("sameAs")
        if isinstance(same_as, list):
            for j, other in enumerate(same_as):
                self.identifier([*base, "sameAs", j], other)
        if work is not None:
            first = self.works.setdefault(work, i)
            if first != i:
                self.add([*base, key], "duplicate-work",
                         f"$.items[{first}] already describes this work (identifiers compared "
                         "after normalisation); both descriptions are stored side by side. "
                         "Merge them into one Work item.", "warning")
        self.work_metadata(base, item)

    def metadata_id(self, parts: list[str | int], value: object,
                    parse: Callable[[object], str]) -> None:
        """An ORCID, ISSN, ROR or funder id must have its form and check digit right; the
        problem's rule is the kind (``orcid``, ``issn``, ``ror``, ``funder-id``)."""
        if not isinstance(value, str) or not value:
            return  # the schema reports wrong types and empty strings
        try:
            parse(value)
        except InvalidMetadataId as error:
            self.add(parts, error.problem.rule, error.problem.message)

    def work_metadata(self, base: list[str | int], item: dict[str, Any]) -> None:
        """The v1.1 fields: identifiers with check digits, and the work type (strict refuses
        other types through its schema; base warns here)."""
        work_type = item.get("workType")
        if (self.profile != "strict" and isinstance(work_type, str) and work_type
                and work_type not in WORK_TYPES):
            self.add([*base, "workType"], "work-type",
                     f"{excerpt(work_type)} is neither a Crossref type id nor a DataCite "
                     "resourceTypeGeneral; it is stored as given, but clients cannot compare "
                     "it. Use e.g. journal-article, posted-content, dataset (Crossref) or "
                     "JournalArticle, Dataset, Software (DataCite).", "warning")
        container = item.get("container")
        if isinstance(container, dict) and isinstance(container.get("issn"), list):
            for j, issn in enumerate(container["issn"]):
                self.metadata_id([*base, "container", "issn", j], issn, issn_value)
        for j, author in _objects(item.get("authors")):
            self.metadata_id([*base, "authors", j, "orcid"], author.get("orcid"), orcid_iri)
            for k, affiliation in _objects(author.get("affiliations")):
                self.metadata_id([*base, "authors", j, "affiliations", k, "ror"],
                                 affiliation.get("ror"), ror_iri)
        for j, funder in _objects(item.get("funders")):
            self.metadata_id([*base, "funders", j, "id"], funder.get("id"), funder_iri)

    def disclosure(self) -> None:
        disclosure = self.doc.get("disclosure")
        if not isinstance(disclosure, dict):
            return
        severity = "error" if self.profile == "strict" else "warning"
        for key in disclosure:
            if key in DISCLOSURE_KEYS:
                continue
            close = difflib.get_close_matches(key, DISCLOSURE_KEYS, n=1)
            hint = f"Did you mean '{close[0]}'? " if close else ""
            self.add(["disclosure", key], "disclosure-unknown-key",
                     f"'{key}' is not a NISO RP-25-2016 disclosure key. {hint}Known keys: "
                     f"{', '.join(DISCLOSURE_KEYS)}.", severity)

    def run(self, *, text_checked: bool = False) -> list[Problem]:
        if not text_checked:
            self.text()
        self.feed()
        self.disclosure()
        items = self.doc.get("items")
        if isinstance(items, list):
            handlers = {"Count": self.count, "Event": self.event, "Work": self.work}
            for i, item in enumerate(items):
                kind = item.get("type") if isinstance(item, dict) else None
                if isinstance(kind, str):
                    handler = handlers.get(kind)
                    if handler is not None:
                        handler(i, item)
        return self.problems


def semantic_problems(doc: object, profile: str, *, text_checked: bool = False) -> list[Problem]:
    """Identifier forms, IRIs, period order, dates after ``generated``, duplicates, disclosure
    keys. ``text_checked``: the caller has seen the raw JSON and knows it holds no surrogate
    escape, so the whole-document text scan is skipped."""
    if not isinstance(doc, dict):
        return []
    return _Checker(doc, profile).run(text_checked=text_checked)
