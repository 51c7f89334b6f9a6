"""One set of works — an institution, a journal, a funder or an author — summarised (issue 16).

A set is the works whose *current description* (:mod:`alm_ld.analytics.work_metadata`) names
the institution (an author affiliated with the ROR id), the journal (a container with the
ISSN), the funder (Funder Registry DOI or ROR id) or the author (ORCID iD). Everything here is
built from the works API (:mod:`alm_ld.analytics.works_list`: ``filter`` + ``group_by`` +
``sort``), so the numbers of a set page are the numbers ``GET /works`` answers for the same
filter — one definition of "the value of a metric for a work" (the highest current cumulative
value among sources; sums never double-count a work two sources report).

The summary holds: the set's id and display name, the number of works, per metric the sum over
its works, the sums per year of issue (the "by year" chart: what the works issued in each year
have gathered so far), the top works by the set's main metric, and per source the works it
reports and its own sums.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alm_ld.analytics.works_list import group_works, list_works, parse_works_query
from alm_ld.errors import InvalidIdentifier, NotFound
from alm_ld.identifiers import (
    FUNDER_HINT,
    ISSN_HINT,
    ISSN_IRI_BASE,
    ORCID_HINT,
    ROR_HINT,
    funder_iri,
    issn_value,
    orcid_iri,
    ror_iri,
)
from alm_ld.store.base import Store

TOP_WORKS = 10


@dataclass(frozen=True)
class SetKind:
    """One kind of set: its URL segment, the works API filter/group key, how ids are
    normalised (the feed format's own functions) and what a valid id looks like."""

    segment: str
    key: str
    label: str
    normalise: Callable[[object], str]
    hint: str
    schema_type: str


KINDS: dict[str, SetKind] = {
    "institutions": SetKind("institutions", "ror", "Institution", ror_iri, ROR_HINT,
                            "Organization"),
    "journals": SetKind("journals", "issn", "Journal", issn_value, ISSN_HINT, "Periodical"),
    "funders": SetKind("funders", "funder", "Funder", funder_iri, FUNDER_HINT, "Organization"),
    "authors": SetKind("authors", "orcid", "Author", orcid_iri, ORCID_HINT, "Person"),
}

# werkzeug merges the double slash of ``https://ror.org/…`` in a path into one.
_ONE_SLASH = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)


def normalise_set_id(kind: str, raw: str) -> str:
    """The canonical id of a set (ROR/ORCID/funder IRI, or ``NNNN-NNNC`` for an ISSN) from any
    form the feed format accepts; :class:`InvalidIdentifier` (400) naming the failed check."""
    spec = KINDS[kind]
    return spec.normalise(_ONE_SLASH.sub(r"\1://", raw.strip()))


def set_iri(kind: str, set_id: str) -> str:
    """The IRI the linked data uses for the set: the id itself, or the ISSN portal IRI."""
    return ISSN_IRI_BASE + set_id if kind == "journals" else set_id


def set_path(kind: str, set_id: str) -> str:
    """The page of a set: ``/institutions/03vek6s52``, ``/journals/1932-6203``,
    ``/funders/10.13039/100000001``, ``/authors/0000-0002-1825-0097``."""
    short = set_id
    for base in ("https://ror.org/", "https://orcid.org/", "https://doi.org/"):
        if short.startswith(base):
            short = short[len(base):]
    return f"/{kind}/{short}"


def path_for(key: str, value: str) -> str | None:
    """The set page of a ``filter`` key's value (``ror``, ``issn``, ``funder``, ``orcid``),
    None when the value is not a valid id (a feed-named organisation without one)."""
    for kind, spec in KINDS.items():
        if spec.key == key:
            try:
                return set_path(kind, normalise_set_id(kind, value))
            except InvalidIdentifier:
                return None
    return None


@dataclass
class SetSummary:
    kind: str
    id: str
    iri: str
    name: str | None
    count: int
    totals: dict[str, int]
    by_year: list[dict[str, Any]]
    top_metric: str | None
    top_works: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    filter: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.iri, "key": self.id, "name": self.name,
                "count": self.count, "sum": self.totals, "byIssuedYear": self.by_year,
                "topMetric": self.top_metric, "topWorks": self.top_works,
                "sources": self.sources, "filter": self.filter}


def _group(store: Store, filter_text: str, group_by: str,
           timeout: float | None) -> dict[str, Any]:
    return group_works(store, parse_works_query(filter=filter_text, group_by=group_by),
                       timeout=timeout)


def set_summary(store: Store, kind: str, raw_id: str, *,
                timeout: float | None = None) -> SetSummary:
    """The summary of one set (see the module docstring). :class:`InvalidIdentifier` (400) for
    a malformed id or a failed check digit, :class:`NotFound` (404) when no work's current
    description names it."""
    spec = KINDS[kind]
    set_id = normalise_set_id(kind, raw_id)
    filter_text = f"{spec.key}:{set_id}"
    own = _group(store, filter_text, spec.key, timeout)
    mine = next((g for g in own["group_by"] if g["key"] == set_id), None)
    if mine is None or own["meta"]["count"] == 0:
        raise NotFound(f"No work's current description names the {spec.label.lower()} "
                       f"{set_id} (asked as {raw_id!r}).", setKind=kind)
    name = mine["key_display_name"] if mine["key_display_name"] != set_id else None
    totals = dict(mine["sum"])
    years = _group(store, filter_text, "issued_year", timeout)
    by_year = sorted(({"year": g["key"], "count": g["count"], "sum": g["sum"]}
                      for g in years["group_by"] if g["key"]), key=lambda g: g["year"])
    top_metric = "citations" if "citations" in totals else (
        max(totals, key=lambda m: (totals[m], m)) if totals else None)
    top = list_works(store, parse_works_query(
        filter=filter_text, sort=f"{top_metric}:desc" if top_metric else None,
        per_page=str(TOP_WORKS)), timeout=timeout)
    sources = _group(store, filter_text, "source", timeout)
    return SetSummary(
        kind=kind, id=set_id, iri=set_iri(kind, set_id), name=name,
        count=own["meta"]["count"], totals=totals, by_year=by_year, top_metric=top_metric,
        top_works=top["results"],
        sources=[{"source": g["key"], "count": g["count"], "sum": g["sum"]}
                 for g in sources["group_by"]],
        filter=filter_text)


__all__ = ["KINDS", "SetKind", "SetSummary", "normalise_set_id", "path_for", "set_iri",
           "set_path", "set_summary"]
