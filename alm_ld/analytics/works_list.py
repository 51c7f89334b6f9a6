"""Sets of works (issue 16, the works API): filter, sort and page works, OpenAlex-style.

``filter=`` is comma-separated ``key:value`` (AND), ``|`` between values (OR):

=============  ===============================================================================
key            matches works whose *current description* (analytics.work_metadata) has …
=============  ===============================================================================
ror            an author affiliated (on this work) with the ROR id
orcid          an author with the ORCID iD
issn           a container with the ISSN
funder         a funder with the Funder Registry DOI or ROR id
publisher      the publisher name (case-insensitive, exact)
type           the work type (Crossref or DataCite id, exact)
issued_year    an issue date in the year (``2020``) or the range (``2018-2021``)
source         a cumulative count from the source (``crossref`` or a source IRI); also
               narrows ``metrics`` to the selected sources
has_metric     a current cumulative value of the metric (``citations`` or a metric IRI) from
               a selected source
=============  ===============================================================================

Identifiers are accepted in every form the feed format accepts and normalised the same way.

**Value of a metric for a work**: the highest current cumulative value among the selected
sources (all sources unless ``source`` is given). Sources count the same thing with different
coverage, so summing them would double-count; per-source values are in ``metricsBySource``
(``select=metrics_by_source``). "Current" per source is the count with the latest
``periodEnd``, ties broken by the newest feed (highest ``alm:sequence``) — as
:func:`alm_ld.pipeline.current_counts`.

**Paging** is by cursor (``cursor=*``, then ``meta.next_cursor``). A cursor records the highest
feed sequence when paging began and the sort key of the last result: every later page reads
the store as it was then (feeds are append-only and numbered), so paging has no gaps and no
duplicates while feeds keep arriving.

**Two paths.** Pages whose filters are all about values (``source``, ``has_metric``), sorted by
the IRI or by a metric the filter requires, are one ranked query over the current-value view
(:func:`_ranked_page`; ``group_by=source`` likewise, :func:`_source_groups`). The rest
(metadata filters, ``sort=issued``, cursors older than the last feed) reads the current
descriptions and values of every selected work and ranks in Python, with the same sort keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from alm_ld.analytics.work_metadata import METADATA_PREDICATES
from alm_ld.errors import InvalidIdentifier, UsageError
from alm_ld.identifiers import (
    funder_iri,
    is_absolute_iri,
    issn_value,
    orcid_iri,
    parse_work_id,
    ror_iri,
)
from alm_ld.sparql_text import literal, prefixes, values
from alm_ld.store.base import Store
from alm_ld.vocab import METRICS_NS, SOURCES_NS

FILTER_KEYS = ("ror", "orcid", "issn", "funder", "publisher", "type", "issued_year", "source",
               "has_metric")
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25
MAX_VALUES = 50  # values in one filter key (OR); a longer list is a batch lookup, not a filter
_PREFIXES = prefixes("alm", "schema", "dcterms", "xsd")
_DESCRIBING = ", ".join(f"<{p}>" for p in METADATA_PREDICATES)


@dataclass(frozen=True)
class WorksQuery:
    """A parsed request: ``filters`` key → allowed values (normalised), ``sort`` (key,
    descending), page size, the cursor's sequence limit and last sort key (None: first page)."""

    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: tuple[str, bool] | None = None
    per_page: int = DEFAULT_PER_PAGE
    sequence_limit: int | None = None
    after: tuple[Any, ...] | None = None
    by_source: bool = False
    group_by: str | None = None


def _bad(message: str, **extra: Any) -> UsageError:
    return UsageError(message, **extra)


def _metric(value: str) -> str:
    if value.startswith(("http://", "https://")):
        return value
    if not value.replace("-", "").isalnum():
        raise _bad(f"{value!r} is not a metric id (views, citations, …) or a metric IRI.")
    return METRICS_NS + value


def _source(value: str) -> str:
    if ":" in value:
        if not is_absolute_iri(value):
            raise _bad(f"{value!r} is not a source id (crossref, …) or an absolute IRI.")
        return value
    if not value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise _bad(f"{value!r} is not a source id (crossref, openalex, …) or a source IRI.")
    return SOURCES_NS + value


# ASCII only: str.isdigit() also accepts '¹' or '٣', which int() then refuses.
_YEAR = re.compile(r"[0-9]{4}")
_WHOLE = re.compile(r"[0-9]{1,6}")


def _years(value: str) -> str:
    start, dash, end = value.partition("-")
    end = end if dash else start
    if not (_YEAR.fullmatch(start) and _YEAR.fullmatch(end) and start <= end):
        raise _bad(f"issued_year {value!r} is neither a year (2020) nor a range (2018-2021).")
    return f"{start}-{end}"


_NORMALISE = {"ror": ror_iri, "orcid": orcid_iri, "issn": issn_value, "funder": funder_iri,
              "publisher": lambda v: v.strip().lower(), "type": lambda v: v.strip(),
              "issued_year": _years, "source": _source, "has_metric": _metric}


def parse_filter(text: str | None) -> dict[str, tuple[str, ...]]:
    """``ror:https://ror.org/…|03vek6s52,issued_year:2018-2021`` → key → normalised values.
    A key may appear once; an unknown key or a malformed value is a 400 naming it."""
    filters: dict[str, tuple[str, ...]] = {}
    if not text:
        return filters
    for part in text.split(","):
        key, colon, raw = part.partition(":")
        key = key.strip()
        if not colon or key not in FILTER_KEYS:
            raise _bad(f"Unknown filter {part.strip()!r}: use key:value with a key among "
                       f"{', '.join(FILTER_KEYS)}, values separated by '|'.",
                       filterKeys=list(FILTER_KEYS))
        if key in filters:
            raise _bad(f"The filter key {key!r} is given twice; put its values in one "
                       f"'{key}:a|b' (OR).")
        options = [v for v in raw.split("|") if v.strip()]
        if not options or len(options) > MAX_VALUES:
            raise _bad(f"The filter {key!r} needs 1 to {MAX_VALUES} values separated by '|'.")
        try:
            filters[key] = tuple(dict.fromkeys(_NORMALISE[key](v) for v in options))
        except InvalidIdentifier as error:
            raise _bad(f"filter {key}: {error.detail}") from None
    return filters


def parse_sort(text: str | None) -> tuple[str, bool] | None:
    """``issued:desc``, ``citations:asc`` (any metric id; ``desc`` is the default)."""
    if not text:
        return None
    key, _, direction = text.strip().rpartition(":") if text.strip().endswith(
        (":asc", ":desc")) else (text.strip(), ":", "desc")
    if not key:
        raise _bad(f"sort {text!r}: give issued or a metric id, e.g. citations:desc.")
    if direction not in ("asc", "desc"):
        raise _bad(f"sort {text!r}: the direction is asc or desc, e.g. citations:desc.")
    if key != "issued":
        try:
            _metric(key)
        except UsageError:
            raise _bad(f"sort {text!r}: give issued or a metric id (views, citations, …), "
                       "then :asc or :desc (default).") from None
    return key, direction == "desc"


def _sort_text(sort: tuple[str, bool] | None) -> str:
    return "" if sort is None else f"{sort[0]}:{'desc' if sort[1] else 'asc'}"


def encode_cursor(sequence_limit: int, sort: tuple[str, bool] | None,
                  after: tuple[Any, ...]) -> str:
    raw = json.dumps({"v": 1, "seq": sequence_limit, "sort": _sort_text(sort),
                      "after": list(after)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _valid_after(after: object) -> bool:
    """(missing 0/1, primary: int, str or list of ints, work IRI): what :func:`_sort_key`
    makes; anything else did not come from this service (and could not be compared)."""
    if not isinstance(after, list) or len(after) != 3:
        return False
    missing, primary, work = after
    primary_ok = (isinstance(primary, int | str) and not isinstance(primary, bool)) or (
        isinstance(primary, list) and all(isinstance(p, int) for p in primary))
    return missing in (0, 1) and not isinstance(missing, bool) and primary_ok \
        and isinstance(work, str)


def decode_cursor(text: str, sort: tuple[str, bool] | None = None
                  ) -> tuple[int, tuple[Any, ...]]:
    """(sequence limit, last sort key) of a cursor made by :func:`encode_cursor` for the same
    ``sort``; anything else is a 400."""
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        seq, after = data["seq"], data["after"]
        if data.get("v") != 1 or not isinstance(seq, int) or isinstance(seq, bool) \
                or not _valid_after(after):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _bad("The cursor is not one this service returned: start again with cursor=* "
                   "and follow meta.next_cursor.") from None
    if data.get("sort") != _sort_text(sort):
        raise _bad("This cursor belongs to another sort order: keep the sort of the first "
                   "page, or start again with cursor=*.")
    primary = after[1]
    if sort is not None and sort[0] != "issued" and not isinstance(primary, int):
        # a metric sort's key is a number: anything else could not be compared (500)
        raise _bad("The cursor is not one this service returned: start again with cursor=* "
                   "and follow meta.next_cursor.")
    return seq, tuple(tuple(a) if isinstance(a, list) else a for a in after)


def parse_works_query(*, filter: str | None = None, sort: str | None = None,
                      per_page: str | None = None, cursor: str | None = None,
                      select: str | None = None, group_by: str | None = None) -> WorksQuery:
    """The request parameters as a :class:`WorksQuery`; every fault is a 400 saying what to
    send instead."""
    size = DEFAULT_PER_PAGE
    if per_page:
        if not _WHOLE.fullmatch(per_page) or not 1 <= int(per_page) <= MAX_PER_PAGE:
            raise _bad(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}.")
        size = int(per_page)
    order = parse_sort(sort)
    limit = after = None
    if cursor and cursor != "*":
        limit, after = decode_cursor(cursor, order)
    if select not in (None, "", "metrics_by_source"):
        raise _bad("select accepts only metrics_by_source.")
    if group_by and group_by not in GROUP_KEYS:
        raise _bad(f"group_by {group_by!r}: use one of {', '.join(GROUP_KEYS)}.",
                   groupKeys=list(GROUP_KEYS))
    return WorksQuery(parse_filter(filter), order, size, limit, after,
                      by_source=select == "metrics_by_source", group_by=group_by or None)


# ---------------------------------------------------------------------------------------------
# Reading the store


_PATTERNS = {
    "ror": "?work schema:author ?fa_ror . ?fa_ror schema:affiliation ?f_ror .",
    "orcid": "?work schema:author ?fa_orcid . ?fa_orcid schema:sameAs ?f_orcid .",
    "issn": "?work schema:isPartOf ?fc_issn . ?fc_issn schema:issn ?f_issn_l . "
            "BIND (STR(?f_issn_l) AS ?f_issn)",
    "funder": "?work schema:funder ?f_funder .",
    "publisher": "?work schema:publisher ?f_pub_l . BIND (LCASE(STR(?f_pub_l)) AS ?f_publisher)",
    "type": "?work schema:additionalType ?f_type_l . BIND (STR(?f_type_l) AS ?f_type)",
    "issued_year": "?work dcterms:issued ?f_issued_l . "
                   "BIND (SUBSTR(STR(?f_issued_l), 1, 4) AS ?f_issued_year)",
}
_IRI_KEYS = ("ror", "orcid", "funder")


def _metadata_clause(key: str, options: tuple[str, ...]) -> str:
    pattern = _PATTERNS[key]
    if key in _IRI_KEYS:
        return pattern + " " + values(f"f_{key}", options)
    if key == "issued_year":
        ranges = " || ".join(
            f"(?f_issued_year >= {literal(r[:4])} && ?f_issued_year <= {literal(r[5:])})"
            for r in options)
        return f"{pattern} FILTER ({ranges})"
    listed = ", ".join(literal(v) for v in options)
    return f"{pattern} FILTER (?f_{key} IN ({listed}))"


def _sequence_filter(var: str, limit: int | None) -> str:
    return "" if limit is None else f"FILTER ({var} <= {int(limit)})"


def _descriptions(store: Store, filters: dict[str, tuple[str, ...]], limit: int | None,
                  timeout: float | None, *, works: list[str] | None = None
                  ) -> dict[str, tuple[str | None, str | None]]:
    """work → (title, issued) of its current description, for the works whose current
    description passes every metadata filter (all described works when there is none;
    only ``works`` when given)."""
    clauses = "\n    ".join(_metadata_clause(k, v) for k, v in filters.items() if k in _PATTERNS)
    query = _PREFIXES + f"""SELECT ?work ?title ?issued WHERE {{
  {{ SELECT ?work (MAX(?seq) AS ?cur) WHERE {{
       {values("work", works) if works is not None else ""}
       GRAPH ?g {{ ?work a alm:Work ; ?p ?o . ?g alm:sequence ?seq }}
       FILTER (?p IN ({_DESCRIBING})) {_sequence_filter("?seq", limit)}
     }} GROUP BY ?work }}
  GRAPH ?d {{
    ?d alm:sequence ?cur .
    {clauses}
    OPTIONAL {{ ?work dcterms:title ?title }}
    OPTIONAL {{ ?work dcterms:issued ?issued }}
  }}
}}"""
    out: dict[str, tuple[str | None, str | None]] = {}
    for row in store.query(query, timeout=timeout).rows:
        work = str(row["work"])
        title, issued = row.get("title"), row.get("issued")
        seen = out.get(work, (None, None))
        out[work] = (seen[0] or (str(title) if title is not None else None),
                     seen[1] or (str(issued) if issued is not None else None))
    return out


def _all_works(store: Store, limit: int | None, timeout: float | None) -> set[str]:
    query = _PREFIXES + f"""SELECT DISTINCT ?work WHERE {{
  GRAPH ?g {{ ?work a alm:Work . ?g alm:sequence ?seq }} {_sequence_filter("?seq", limit)}
}}"""
    return {str(row["work"]) for row in store.query(query, timeout=timeout).rows}


def _current_values(store: Store, sources: tuple[str, ...] | None, limit: int | None,
                    timeout: float | None, *, works: list[str] | None = None
                    ) -> dict[str, dict[str, dict[str, int]]]:
    """work → metric IRI → source IRI → current cumulative value (see the module docstring).

    Read from the current-value view (one row per series, nothing to deduplicate) when the
    view holds the store as of ``limit``; a cursor from before a later feed reads the feeds
    up to its limit instead (the view only knows now)."""
    from alm_ld.analytics.current_view import VIEW_GRAPH, ensure_current_view

    if limit is None or ensure_current_view(store) == limit:
        rows = store.query(_PREFIXES + f"""SELECT ?work ?metric ?source ?value WHERE {{
  {values("source", sources) if sources else ""}
  {values("work", works) if works is not None else ""}
  GRAPH <{VIEW_GRAPH}> {{
    ?e alm:forAggregation alm:cumulative ; alm:forWork ?work ; alm:forMetric ?metric ;
       alm:forSource ?source ; alm:currentValue ?value }}
}}""", timeout=timeout).rows
        view: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for row in rows:
            view[str(row["work"])][str(row["metric"])][str(row["source"])] = int(row["value"])
        return view
    query = _PREFIXES + f"""SELECT ?work ?metric ?source ?value ?end ?seq WHERE {{
  {values("source", sources) if sources else ""}
  GRAPH ?g {{
    ?obs alm:work ?work ; alm:metric ?metric ; alm:source ?source ; alm:value ?value ;
         alm:aggregation alm:cumulative ; alm:periodEnd ?end .
    ?g alm:sequence ?seq }}
  {_sequence_filter("?seq", limit)}
}}"""
    best: dict[tuple[str, str, str], tuple[tuple[str, int], int]] = {}
    for row in store.query(query, timeout=timeout).rows:
        key = (str(row["work"]), str(row["metric"]), str(row["source"]))
        rank = (str(row["end"]), int(row["seq"]))
        if key not in best or rank > best[key][0]:
            best[key] = (rank, int(row["value"]))
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for (work, metric, source), (_, value) in best.items():
        out[work][metric][source] = value
    return out


def _max_sequence(store: Store, timeout: float | None) -> int:
    query = _PREFIXES + "SELECT (MAX(?seq) AS ?max) WHERE { GRAPH ?g { ?g alm:sequence ?seq } }"
    rows = store.query(query, timeout=timeout).rows
    value = rows[0].get("max") if rows else None
    return int(value) if value is not None else 0


def _short_metric(metric: str) -> str:
    return metric[len(METRICS_NS):] if metric.startswith(METRICS_NS) else metric


def _short_source(source: str) -> str:
    return source[len(SOURCES_NS):] if source.startswith(SOURCES_NS) else source


def _issued_key(issued: str | None) -> str:
    """``2005-08`` → ``2005-08-00``: every issued value as ten comparable characters."""
    text = (issued or "")[:10]
    return text + "-00-00"[len(text) - 4:] if len(text) in (4, 7) else text


def _sort_key(sort: tuple[str, bool] | None, work: str, issued: str | None,
              metrics: dict[str, int]) -> tuple[Any, ...]:
    """An ascending key: (missing last, primary, IRI). Descending primaries are negated
    (numbers) or code-point-negated (dates), so one ordering serves cursors both ways."""
    if sort is None:
        return (0, 0, work)
    name, descending = sort
    if name == "issued":
        if not issued:
            return (1, 0, work)
        text = _issued_key(issued)
        return (0, [-ord(c) for c in text] if descending else text, work)
    value = metrics.get(_short_metric(_metric(name)))
    if value is None:
        return (1, 0, work)
    return (0, -value if descending else value, work)


def _comparable(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(tuple(k) if isinstance(k, list) else k for k in key)


@dataclass
class _Selection:
    """The works a query selects, with what ranking and grouping need."""

    limit: int
    works: set[str]
    described: dict[str, tuple[str | None, str | None]]
    values: dict[str, dict[str, dict[str, int]]]


def _select(store: Store, query: WorksQuery, timeout: float | None) -> _Selection:
    limit = query.sequence_limit if query.sequence_limit is not None \
        else _max_sequence(store, timeout)
    filters = query.filters
    sources = filters.get("source")
    described = _descriptions(store, filters, limit, timeout)
    metadata_filtered = any(key in _PATTERNS for key in filters)
    works = set(described) if metadata_filtered else set(described) | _all_works(
        store, limit, timeout)
    values_by_work = _current_values(store, sources, limit, timeout)
    if sources:
        works &= set(values_by_work)
    for metric in filters.get("has_metric", ()):
        works = {w for w in works if metric in values_by_work.get(w, {})}
    return _Selection(limit, works, described, values_by_work)


def _metrics(per_metric: dict[str, dict[str, int]]) -> dict[str, int]:
    """metric id → the highest value among the (selected) sources."""
    return {_short_metric(m): max(by_source.values())
            for m, by_source in sorted(per_metric.items())}


def _result(work: str, title: Any, issued: Any, metrics: dict[str, int],
            per_metric: dict[str, dict[str, int]], by_source: bool) -> dict[str, Any]:
    """One entry of ``results`` (both the computed and the ranked path answer with it)."""
    result: dict[str, Any] = {"id": work, "title": title, "issued": issued, "metrics": metrics}
    if by_source:
        result["metricsBySource"] = {
            _short_metric(m): {_short_source(s): v for s, v in sorted(by.items())}
            for m, by in sorted(per_metric.items())}
    return result


def list_works(store: Store, query: WorksQuery, *,
               timeout: float | None = None) -> dict[str, Any]:
    """``{"meta": {"count", "per_page", "next_cursor"}, "results": [{"id", "title", "issued",
    "metrics"[, "metricsBySource"]}]}`` for ``query`` (see the module docstring); with
    ``group_by``, :func:`group_works`' answer instead."""
    metadata_filtered = any(key in _PATTERNS for key in query.filters)
    if query.group_by:
        if metadata_filtered:
            return group_works(store, query, timeout=timeout)
        from alm_ld.analytics.current_view import kept_answer

        # Like a first page: kept with the view's mark, a lookup until the next feed.
        name = f"groups|{query.group_by}|{_filters_name(query)}"
        return dict(kept_answer(store, name,
                                lambda: group_works(store, query, timeout=timeout)))
    if query.after is None and query.sequence_limit is None and not metadata_filtered:
        # A first page without metadata filters is kept in the current-value view with the
        # view's mark: the same page is a lookup until the next feed (issue 15). Pages after
        # a cursor and metadata filters (unbounded combinations) are computed every time.
        from alm_ld.analytics.current_view import kept_answer

        name = "works|" + json.dumps(
            [sorted((key, list(options)) for key, options in query.filters.items()),
             list(query.sort) if query.sort else None, query.per_page, query.by_source],
            separators=(",", ":"))
        return dict(kept_answer(store, name, lambda: _list_works(store, query, timeout)))
    return _list_works(store, query, timeout)


def _list_works(store: Store, query: WorksQuery, timeout: float | None) -> dict[str, Any]:
    ranked = _ranked_page(store, query, timeout)
    if ranked is not None:
        return ranked
    selection = _select(store, query, timeout)
    rows = []
    for work in selection.works:
        per_metric = selection.values.get(work, {})
        metrics = _metrics(per_metric)
        title, issued = selection.described.get(work, (None, None))
        rows.append((_comparable(_sort_key(query.sort, work, issued, metrics)),
                     work, title, issued, metrics, per_metric))
    rows.sort(key=lambda row: row[0])
    count = len(rows)
    if query.after is not None:
        after = _comparable(query.after)
        rows = [row for row in rows if row[0] > after]
    page = rows[:query.per_page]
    results = []
    for _, work, title, issued, metrics, per_metric in page:
        results.append(_result(work, title, issued, metrics, per_metric, query.by_source))
    next_cursor = (encode_cursor(selection.limit, query.sort, page[-1][0])
                   if len(rows) > query.per_page else None)
    return {"meta": {"count": count, "per_page": query.per_page, "next_cursor": next_cursor},
            "results": results}


# ---------------------------------------------------------------------------------------------
# The lookup path: ONE ranked query over the current-value view (issue 16 at 100k works)
#
# When every filter is about values (``source``, ``has_metric``), the order is the IRI or a
# metric the filter requires, and the page is read as of the view's mark (a first page, or a
# cursor made since the last feed), the view answers with ORDER BY + LIMIT and a keyset on the
# sort key: no work outside the page is read into Python. Everything else (metadata filters,
# ``sort=issued``, a metric sort that keeps works without the metric, a cursor older than the
# last feed: the view only knows now) takes the computed path above, with the same sort keys,
# so a cursor made here is followed there after an ingest.


def _view_metrics(query: WorksQuery) -> tuple[str, ...] | None:
    """The metrics of the work set in the order the ranked query joins them (the sort metric
    first), or None when the page cannot be one query over the view."""
    filters = query.filters
    if any(key in _PATTERNS for key in filters) or not (
            filters.get("has_metric") or filters.get("source")):
        return None
    required = filters.get("has_metric", ())
    if query.sort is None:
        return required
    if query.sort[0] == "issued" or _metric(query.sort[0]) not in required:
        return None
    first = _metric(query.sort[0])
    return (first, *(m for m in required if m != first))


def _work_set(metrics: tuple[str, ...], sources: tuple[str, ...] | None) -> str:
    """A pattern binding ``?work`` (and ``?v0``…: each metric's value, the highest among the
    selected sources) for every work the value filters select."""
    from alm_ld.analytics.current_view import VIEW_GRAPH

    graph = f"<{VIEW_GRAPH}>"
    if not metrics:  # sources only: a cumulative value from one of them
        return (f"{{ SELECT DISTINCT ?work WHERE {{ {values('src', sources or ())} GRAPH {graph} "
                "{ ?e alm:forSource ?src ; alm:forAggregation alm:cumulative ; "
                "alm:forWork ?work } } }")
    parts = []
    for i, metric in enumerate(metrics):
        if sources:
            parts.append(
                f"{{ SELECT ?work (MAX(?x{i}) AS ?v{i}) WHERE {{ {values(f's{i}', sources)} "
                f"GRAPH {graph} {{ ?e{i} alm:forMetric <{metric}> ; alm:forSource ?s{i} ; "
                f"alm:forAggregation alm:cumulative ; alm:currentValue ?x{i} ; "
                f"alm:forWork ?work }} }} GROUP BY ?work }}")
        else:
            parts.append(f"GRAPH {graph} {{ ?t{i} alm:forMetric <{metric}> ; "
                         f"alm:highestValue ?v{i} ; alm:forWork ?work }}")
    return "\n  ".join(parts)


def _keyset(query: WorksQuery) -> str:
    """The FILTER keeping the rows after the cursor's sort key (the keys of _sort_key)."""
    if query.after is None:
        return ""
    _, primary, work = query.after
    after_work = f"STR(?work) > {literal(str(work))}"
    if query.sort is None:
        return f"FILTER ({after_work})"
    value = -int(primary) if query.sort[1] else int(primary)
    beyond = "<" if query.sort[1] else ">"
    return f"FILTER (?v0 {beyond} {value} || (?v0 = {value} && {after_work}))"


def _view_count(store: Store, pattern: str, name: str | None, timeout: float | None) -> int:
    """How many works ``pattern`` selects; with a ``name``, kept in the view with its mark
    (the count does not change between feeds, and each page of a paging client would count
    again). A first page is kept whole (count included), so it passes no name."""
    from alm_ld.analytics.current_view import kept_answer

    def compute() -> int:
        rows = store.query(_PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{\n  {pattern}\n}}",
                           timeout=timeout).rows
        return int(rows[0]["n"]) if rows else 0

    return int(kept_answer(store, "works-count|" + name, compute)) if name else compute()


def _filters_name(query: WorksQuery) -> str:
    return json.dumps(sorted((key, list(options)) for key, options in query.filters.items()),
                      separators=(",", ":"))


def _ranked_page(store: Store, query: WorksQuery, timeout: float | None
                 ) -> dict[str, Any] | None:
    """The page as one ranked query over the view (see above), or None for the computed
    path."""
    from alm_ld.analytics.current_view import VIEW_GRAPH, ensure_current_view

    metrics = _view_metrics(query)
    if metrics is None or (query.after is not None and query.after[0] != 0):
        return None
    mark = ensure_current_view(store)
    if query.sequence_limit is not None and query.sequence_limit != mark:
        return None  # a cursor from before the last feed: the feeds as of its sequence
    sources = query.filters.get("source")
    pattern = _work_set(metrics, sources)
    order, bound = "STR(?work)", ""
    if query.sort is not None:
        by_value = "DESC(?v0)" if query.sort[1] else "?v0"
        order = f"{by_value} {order}"
        # Two steps: the page's last value first (a sort on integers only), then the works
        # up to that value sorted with their IRIs — ordering every work by IRI as well cost
        # 2x (each IRI comparison decodes two strings).
        edge = store.query(_PREFIXES + f"""SELECT ?v0 WHERE {{
  {pattern}
  {_keyset(query)}
}} ORDER BY {by_value} LIMIT {query.per_page + 1}""", timeout=timeout).rows
        if len(edge) > query.per_page:
            last = int(edge[-1]["v0"])
            bound = f"FILTER (?v0 {'>=' if query.sort[1] else '<='} {last})"
    rows = store.query(_PREFIXES + f"""SELECT ?work ?v0 ?mark WHERE {{
  {pattern}
  {_keyset(query)}
  {bound}
  OPTIONAL {{ GRAPH <{VIEW_GRAPH}> {{ <{VIEW_GRAPH}> alm:viewSequence ?mark }} }}
}} ORDER BY {order} LIMIT {query.per_page + 1}""", timeout=timeout).rows
    if any(int(row.get("mark") or 0) != mark for row in rows):
        return None  # a feed was folded in meanwhile: the cursor would name the wrong state
    page = [str(row["work"]) for row in rows[:query.per_page]]
    values_by_work = _current_values(store, sources, mark, timeout, works=page)
    described = _descriptions(store, {}, mark, timeout, works=page) if page else {}
    results = []
    key: tuple[Any, ...] = ()
    for work in page:
        per_metric = values_by_work.get(work, {})
        metrics_now = _metrics(per_metric)
        title, issued = described.get(work, (None, None))
        key = _sort_key(query.sort, work, issued, metrics_now)
        results.append(_result(work, title, issued, metrics_now, per_metric, query.by_source))
    next_cursor = (encode_cursor(mark, query.sort, key) if len(rows) > query.per_page
                   else None)
    count = _view_count(store, pattern,
                        None if query.after is None else _filters_name(query), timeout)
    return {"meta": {"count": count, "per_page": query.per_page, "next_cursor": next_cursor},
            "results": results}


# ---------------------------------------------------------------------------------------------
# group_by

GROUP_KEYS = ("ror", "issn", "funder", "orcid", "publisher", "type", "issued_year", "source")
MAX_GROUPS = 1000

# (pattern binding ?key and ?label in the describing graph) per group key
_GROUP_PATTERNS = {
    "ror": "?work schema:author/schema:affiliation ?key . "
           "OPTIONAL { ?key schema:name ?label } FILTER (isIRI(?key) && "
           "STRSTARTS(STR(?key), \"https://ror.org/\"))",
    "issn": "?work schema:isPartOf ?c . ?c schema:issn ?key . "
            "OPTIONAL { ?c dcterms:title ?label }",
    "funder": "?work schema:funder ?key . OPTIONAL { ?key schema:name ?label } "
              "FILTER (!STRSTARTS(STR(?key), \"https://w3id.org/alm-ld/id/\"))",
    "orcid": "?work schema:author ?a . ?a schema:sameAs ?key . "
             "OPTIONAL { ?a schema:name ?label } "
             "FILTER (STRSTARTS(STR(?key), \"https://orcid.org/\"))",
    "publisher": "?work schema:publisher ?label . BIND (LCASE(STR(?label)) AS ?key)",
    "type": "?work schema:additionalType ?key .",
    "issued_year": "?work dcterms:issued ?issued . BIND (SUBSTR(STR(?issued), 1, 4) AS ?key)",
}


def _group_keys(store: Store, group_by: str, limit: int, timeout: float | None
                ) -> dict[str, dict[str, str | None]]:
    """work → group key → display name, from each work's current description."""
    query = _PREFIXES + f"""SELECT ?work ?key ?label WHERE {{
  {{ SELECT ?work (MAX(?seq) AS ?cur) WHERE {{
       GRAPH ?g {{ ?work a alm:Work ; ?p ?o . ?g alm:sequence ?seq }}
       FILTER (?p IN ({_DESCRIBING})) {_sequence_filter("?seq", limit)}
     }} GROUP BY ?work }}
  GRAPH ?d {{ ?d alm:sequence ?cur . {_GROUP_PATTERNS[group_by]} }}
}}"""
    out: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in store.query(query, timeout=timeout).rows:
        key = str(row["key"])
        label = row.get("label")
        known = out[str(row["work"])].get(key)
        out[str(row["work"])][key] = known or (str(label) if label is not None else None)
    return out


def group_works(store: Store, query: WorksQuery, *,
                timeout: float | None = None) -> dict[str, Any]:
    """``{"meta": {"count", "groups_count"}, "group_by": [{"key", "key_display_name", "count",
    "sum"}]}``: the selected works grouped by ``query.group_by`` (a work in every group it
    belongs to, once; works without the key in the group ``null``). ``sum`` adds, over the
    group's works, each work's value of each metric — the highest among the selected
    sources, so a work counted by two sources is never counted twice. For ``source`` the
    groups are the sources and the sum is that source's own values. Groups by count, then
    key; at most :data:`MAX_GROUPS`."""
    group_by = query.group_by or ""
    if group_by == "source" and not any(key in _PATTERNS for key in query.filters):
        return _source_groups(store, query, timeout)
    selection = _select(store, query, timeout)
    members: dict[str | None, set[str]] = defaultdict(set)
    names: dict[str | None, str | None] = {}
    sums: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if group_by == "source":
        for work in selection.works:
            for metric, by_source in selection.values.get(work, {}).items():
                for source, value in by_source.items():
                    key = _short_source(source)
                    members[key].add(work)
                    names[key] = key
                    sums[key][_short_metric(metric)] += value
    else:
        keys = _group_keys(store, group_by, selection.limit, timeout)
        for work in selection.works:
            metrics = _metrics(selection.values.get(work, {}))
            for key, label in (keys.get(work) or {None: None}).items():
                members[key].add(work)
                names[key] = names.get(key) or label
                for metric, value in metrics.items():
                    sums[key][metric] += value
    groups = sorted(members, key=lambda k: (-len(members[k]), k is None, k or ""))
    return {"meta": {"count": len(selection.works), "groups_count": len(groups)},
            "group_by": [{"key": key, "key_display_name": names.get(key) or key,
                          "count": len(members[key]), "sum": dict(sorted(sums[key].items()))}
                         for key in groups[:MAX_GROUPS]]}


def _source_groups(store: Store, query: WorksQuery, timeout: float | None) -> dict[str, Any]:
    """``group_by=source`` without metadata filters: one GROUP BY over the view's entries
    (each source's own current cumulative values: per source nothing is counted twice) and
    one for the works per source; the selected works are counted as by the list."""
    from alm_ld.analytics.current_view import VIEW_GRAPH, ensure_current_view

    mark = ensure_current_view(store)
    metrics = _view_metrics(replace(query, sort=None))
    sources = query.filters.get("source")
    if metrics is None:  # no filter: every work, with values or not
        pattern = ""
        count = _view_count(store, "{ SELECT DISTINCT ?work WHERE { GRAPH ?g { ?work a "
                            f"alm:Work . ?g alm:sequence ?seq }} FILTER (?seq <= {mark}) }} }}",
                            None, timeout)
    else:
        pattern = _work_set(metrics, sources)
        count = _view_count(store, pattern, None, timeout)
    where = f"""{pattern}
  {values("gsource", sources) if sources else ""}
  GRAPH <{VIEW_GRAPH}> {{ ?ge alm:forAggregation alm:cumulative ; alm:forSource ?gsource ;
    alm:forMetric ?gmetric ; alm:currentValue ?gx ; alm:forWork ?work }}"""
    sums: dict[str, dict[str, int]] = defaultdict(dict)
    for row in store.query(_PREFIXES + f"""SELECT ?gsource ?gmetric (SUM(?gx) AS ?sum)
WHERE {{ {where} }} GROUP BY ?gsource ?gmetric""", timeout=timeout).rows:
        sums[_short_source(str(row["gsource"]))][_short_metric(str(row["gmetric"]))] = \
            int(row["sum"])
    members = {_short_source(str(row["gsource"])): int(row["n"]) for row in store.query(
        _PREFIXES + f"""SELECT ?gsource (COUNT(DISTINCT ?work) AS ?n)
WHERE {{ {where} }} GROUP BY ?gsource""", timeout=timeout).rows}
    groups = sorted(members, key=lambda k: (-members[k], k))
    return {"meta": {"count": count, "groups_count": len(groups)},
            "group_by": [{"key": key, "key_display_name": key, "count": members[key],
                          "sum": dict(sorted(sums[key].items()))}
                         for key in groups[:MAX_GROUPS]]}


# ---------------------------------------------------------------------------------------------
# POST /works/batch

MAX_BATCH = 1000


def batch_works(store: Store, ids: object, *, timeout: float | None = None) -> dict[str, Any]:
    """``{"meta": {"count", "found"}, "results": [...]}``, one result per requested id in
    request order: ``{"input", "id", "title", "issued", "metrics"}`` for a known work, or
    ``{"input", "id"?, "error": {"status", "title", "detail"}}`` for an invalid id (400) or an
    unknown work (404) — reported in place, never failing the whole call. Ids in any form the
    feed format accepts; repeats are answered again."""
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BATCH:
        raise _bad(f"The body is {{\"ids\": [...]}} with 1 to {MAX_BATCH} work ids.")
    selection = _select(store, WorksQuery(), timeout)
    results: list[dict[str, Any]] = []
    found = 0
    for raw in ids:
        entry: dict[str, Any] = {"input": raw}
        try:
            work = parse_work_id(raw).iri
        except InvalidIdentifier as error:
            entry["error"] = {"status": 400, "title": "Invalid identifier",
                              "detail": error.detail}
            results.append(entry)
            continue
        entry["id"] = work
        if work not in selection.works:
            entry["error"] = {"status": 404, "title": "Not found",
                              "detail": f"No work {work} is known to this service."}
        else:
            found += 1
            title, issued = selection.described.get(work, (None, None))
            entry.update(title=title, issued=issued,
                         metrics=_metrics(selection.values.get(work, {})))
        results.append(entry)
    return {"meta": {"count": len(results), "found": found}, "results": results}
