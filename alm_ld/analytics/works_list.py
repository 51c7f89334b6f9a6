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
               a selected source; ``a|b`` requires both (AND, unlike the other keys)
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

**How it is answered**: from the works index (:mod:`alm_ld.analytics.works_index`), a
SQLite copy of the current values and descriptions kept ordered by every sort key and caught up
from the store feed by feed: a page is one ordered index scan with a LIMIT and a keyset on the
cursor's sort key; a count and a ``group_by`` are vector sums over the index's in-memory
columns (:mod:`alm_ld.analytics.works_columns`; a cursor's older count is a COUNT there).
Rows carry the range of feed sequences they hold for, so a cursor reads the index as of its
own sequence. A request (``timeout`` given) waits for the index at most its timeout,
else answers 503 ``index-building`` while one background thread builds it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from alm_ld.analytics.works_index import freshness, issued_key, works_index
from alm_ld.errors import InvalidIdentifier, UsageError
from alm_ld.identifiers import (
    funder_iri,
    is_absolute_iri,
    issn_value,
    orcid_iri,
    parse_work_id,
    ror_iri,
)
from alm_ld.store.base import Store
from alm_ld.vocab import METRICS_NS, SOURCES_NS

FILTER_KEYS = ("ror", "orcid", "issn", "funder", "publisher", "type", "issued_year", "source",
               "has_metric")
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25
MAX_VALUES = 50  # values in one filter key (OR); a longer list is a batch lookup, not a filter


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


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        if not raw.isascii() and not _encodable(raw):
            raise _bad(f"The filter {key!r} holds characters that are not text (an unpaired "
                       "surrogate): send UTF-8.")
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
    if isinstance(primary, list):  # code-point-negated date: each a character's negation
        primary_ok = all(isinstance(p, int) and not isinstance(p, bool)
                         and -0x10FFFF <= p <= 0 and not 0xD800 <= -p <= 0xDFFF
                         for p in primary)
    elif isinstance(primary, str):
        primary_ok = primary_ok and _encodable(primary)
    return missing in (0, 1) and not isinstance(missing, bool) and primary_ok \
        and isinstance(work, str) and _encodable(work)


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
# Answering from the works index (alm_ld.analytics.works_index)
#
# Every answer is read from the index as of ONE feed sequence S: the index's mark for a first
# page or a group, the cursor's sequence for a later page (rows are valid over a range of
# sequences, so the ranking of S is still there after later feeds). A page is one ordered
# index scan with LIMIT (a keyset on the cursor's sort key), never a read of every work.

_METADATA_KEYS = ("ror", "orcid", "issn", "funder", "publisher", "type", "issued_year")


class _Sql:
    """Named parameters of one statement (``:s`` is the sequence read as of)."""

    def __init__(self, sequence: int) -> None:
        self.params: dict[str, Any] = {"s": sequence}

    def add(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return ":" + name

    def many(self, items: Iterable[Any]) -> str:
        return ", ".join(self.add(v) for v in items)


def _valid(alias: str) -> str:
    """The row holds at sequence ``:s``."""
    return f"{alias}.vfrom <= :s AND {alias}.vto > :s"


def _metadata_match(key: str, options: tuple[str, ...], sql: _Sql) -> str:
    if key == "issued_year":
        return " OR ".join(f"k.key BETWEEN {sql.add(r[:4])} AND {sql.add(r[5:])}"
                           for r in options)
    return f"k.key IN ({sql.many(options)})"


def _conditions(query: WorksQuery, sql: _Sql, col: str, skip: tuple[str, ...] = ()
                ) -> list[str]:
    """SQL conditions on the work column ``col`` for every filter of ``query`` but those
    named in ``skip`` (``meta:<key>``, ``source``, ``has_metric:<metric>``: what the driving
    table of the statement already ensures)."""
    filters, out = query.filters, []
    for key in _METADATA_KEYS:
        options = filters.get(key)
        if not options or f"meta:{key}" in skip:
            continue
        out.append(f"{col} IN (SELECT k.work FROM mkey k WHERE k.kind = {sql.add(key)} "
                   f"AND ({_metadata_match(key, options, sql)}) AND {_valid('k')})")
    sources = filters.get("source")
    if sources and "source" not in skip:
        out.append(f"{col} IN (SELECT v.work FROM val v WHERE v.source IN "
                   f"({sql.many(sources)}) AND {_valid('v')})")
    for metric in filters.get("has_metric", ()):
        if f"has_metric:{metric}" in skip:
            continue
        if sources:
            out.append(f"{col} IN (SELECT v.work FROM val v WHERE v.metric = {sql.add(metric)} "
                       f"AND v.source IN ({sql.many(sources)}) AND {_valid('v')})")
        else:
            out.append(f"{col} IN (SELECT t.work FROM top t WHERE t.metric = {sql.add(metric)} "
                       f"AND {_valid('t')})")
    return out


def _selected(query: WorksQuery, sql: _Sql) -> str:
    """A SELECT of the works the filters select, each once, driven by the most selective
    filter's own index (a metadata key, then a required metric, then the sources; every work
    typed ``alm:Work`` by S when there is no filter). Values and descriptions exist only for
    works a feed typed, so only the unfiltered set reads the ``work`` table."""
    filters = query.filters
    sources = filters.get("source")
    metadata = [key for key in _METADATA_KEYS if filters.get(key)]
    metrics = filters.get("has_metric", ())
    if metadata:
        key = metadata[0]
        head = (f"SELECT DISTINCT k.work FROM mkey k WHERE k.kind = {sql.add(key)} AND "
                f"({_metadata_match(key, filters[key], sql)}) AND {_valid('k')}")
        col, skip = "k.work", (f"meta:{key}",)
    elif metrics and not sources:
        head = f"SELECT t.work FROM top t WHERE t.metric = {sql.add(metrics[0])} AND " \
            f"{_valid('t')}"
        col, skip = "t.work", (f"has_metric:{metrics[0]}",)
    elif metrics:
        head = (f"SELECT DISTINCT v.work FROM val v WHERE v.metric = {sql.add(metrics[0])} "
                f"AND v.source IN ({sql.many(sources or ())}) AND {_valid('v')}")
        col, skip = "v.work", (f"has_metric:{metrics[0]}", "source")
    elif sources:
        head = (f"SELECT DISTINCT v.work FROM val v WHERE v.source IN ({sql.many(sources)}) "
                f"AND {_valid('v')}")
        col, skip = "v.work", ("source",)
    else:
        return "SELECT w.work FROM work w WHERE w.since <= :s"
    return head + "".join(f" AND {c}" for c in _conditions(query, sql, col, skip))


def _work_values(query: WorksQuery, sql: _Sql, works: str) -> str:
    """A SELECT of (work, metric, value) for the works of the SELECT ``works``: each work's
    value of each metric, the highest among the selected sources."""
    sources = query.filters.get("source")
    if not sources:
        return (f"SELECT t.work, t.metric, t.value FROM top t WHERE t.work IN ({works}) "
                f"AND {_valid('t')}")
    return (f"SELECT v.work, v.metric, MAX(v.value) AS value FROM val v WHERE v.work IN "
            f"({works}) AND v.source IN ({sql.many(sources)}) AND {_valid('v')} "
            "GROUP BY v.work, v.metric")


def _count(index: Any, query: WorksQuery, sequence: int) -> int:
    """How many works the filters select as of ``sequence`` (kept until the next feed): a
    mask over the in-memory columns when the index is at ``sequence`` (milliseconds, where a
    COUNT over a million selected works takes seconds in SQLite), else that COUNT as of the
    cursor's older sequence."""
    def compute() -> int:
        with index.reading() as now:
            if now == sequence:
                return int(index.columns(now).selection(query.filters, _METADATA_KEYS).sum())
        sql = _Sql(sequence)
        text = f"SELECT COUNT(*) FROM ({_selected(query, sql)})"
        return int(index.rows(text, sql.params)[0][0])

    return int(index.kept(sequence, ("count", _filters_name(query), sequence), compute))


def _filters_name(query: WorksQuery) -> str:
    return json.dumps(sorted((key, list(options)) for key, options in query.filters.items()),
                      separators=(",", ":"))


def _ranked(index: Any, query: WorksQuery, sequence: int, limit: int) -> list[str]:
    """Up to ``limit`` works after the cursor's key, in the order of :func:`_sort_key`."""
    after = query.after
    if query.sort is None:
        sql = _Sql(sequence)
        where = ["w.since <= :s", *_conditions(query, sql, "w.work")]
        if after is not None:
            where.append(f"w.work > {sql.add(after[2])}")
        return [r[0] for r in index.rows(
            f"SELECT w.work FROM work w WHERE {' AND '.join(where)} ORDER BY w.work "
            f"LIMIT {int(limit)}", sql.params)]
    name, descending = query.sort
    found: list[str] = []
    if after is None or after[0] == 0:
        found = _with_key(index, query, sequence, limit)
    if len(found) < limit:
        found += _without_key(index, query, sequence, limit - len(found))
    return found


def _with_key(index: Any, query: WorksQuery, sequence: int, limit: int) -> list[str]:
    """The works having the sort key (a value of the sort metric from a selected source, or
    an issue date), by key then IRI."""
    assert query.sort is not None
    name, descending = query.sort
    sql = _Sql(sequence)
    direction = "DESC" if descending else "ASC"
    after = query.after
    if name == "issued":
        column, work = "d.issued_key", "d.work"
        source = f"descr d WHERE d.issued_key IS NOT NULL AND {_valid('d')}"
        bound = None
        if after is not None:
            primary = after[1]
            bound = "".join(chr(-c) for c in primary) if descending else str(primary)
        group = having = ""
    else:
        metric = _metric(name)
        sources = query.filters.get("source")
        if sources and len(sources) > 1:
            column, work = "MAX(v.value)", "v.work"
            source = (f"val v WHERE v.metric = {sql.add(metric)} AND v.source IN "
                      f"({sql.many(sources)}) AND {_valid('v')}")
            group = " GROUP BY v.work"
        elif sources:
            column, work = "v.value", "v.work"
            source = (f"val v WHERE v.metric = {sql.add(metric)} AND v.source = "
                      f"{sql.add(sources[0])} AND {_valid('v')}")
            group = ""
        else:
            column, work = "t.value", "t.work"
            source = f"top t WHERE t.metric = {sql.add(metric)} AND {_valid('t')}"
            group = ""
        bound = None if after is None else (-int(after[1]) if descending else int(after[1]))
        having = ""
    # what the driving rows already ensure: a value of the sort metric from a selected source
    skip = ("source", f"has_metric:{_metric(name)}") if name != "issued" else ()
    where = _conditions(query, sql, work, skip)
    keyset = ""
    if bound is not None:
        b, w = sql.add(bound), sql.add(after[2])  # type: ignore[index]
        beyond = "<" if descending else ">"
        keyset = f"({column} {beyond} {b} OR ({column} = {b} AND {work} > {w}))"
        if not group:  # a sargable bound first, so the scan starts at the cursor
            where.append(f"{column} {beyond}= {b}")
    if group:
        having = f" HAVING {keyset}" if keyset else ""
    elif keyset:
        where.append(keyset)
    extra = "".join(f" AND {c}" for c in where)
    text = (f"SELECT {work}, {column} AS key FROM {source}{extra}{group}{having} "
            f"ORDER BY key {direction}, {work} LIMIT {int(limit)}")
    return [r[0] for r in index.rows(text, sql.params)]


def _without_key(index: Any, query: WorksQuery, sequence: int, limit: int) -> list[str]:
    """The selected works without the sort key (they come last), by IRI."""
    assert query.sort is not None
    name, _ = query.sort
    sql = _Sql(sequence)
    if name == "issued":
        lacks = (f"NOT EXISTS (SELECT 1 FROM descr d WHERE d.work = w.work AND "
                 f"d.issued_key IS NOT NULL AND {_valid('d')})")
    else:
        metric = _metric(name)
        if metric in query.filters.get("has_metric", ()):
            return []  # every selected work has it
        sources = query.filters.get("source")
        if sources:
            lacks = (f"NOT EXISTS (SELECT 1 FROM val v WHERE v.work = w.work AND v.metric = "
                     f"{sql.add(metric)} AND v.source IN ({sql.many(sources)}) "
                     f"AND {_valid('v')})")
        else:
            lacks = (f"NOT EXISTS (SELECT 1 FROM top t WHERE t.work = w.work AND t.metric = "
                     f"{sql.add(metric)} AND {_valid('t')})")
    where = ["w.since <= :s", *_conditions(query, sql, "w.work"), lacks]
    if query.after is not None and query.after[0] == 1:
        where.append(f"w.work > {sql.add(query.after[2])}")
    return [r[0] for r in index.rows(
        f"SELECT w.work FROM work w WHERE {' AND '.join(where)} ORDER BY w.work "
        f"LIMIT {int(limit)}", sql.params)]


def _page_details(index: Any, query: WorksQuery, sequence: int, works: list[str]
                  ) -> tuple[dict[str, dict[str, dict[str, int]]],
                             dict[str, tuple[str | None, str | None]]]:
    """(work → metric → source → value, work → (title, issued)) of the page's works."""
    values: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    described: dict[str, tuple[str | None, str | None]] = {}
    if not works:
        return values, described
    sql = _Sql(sequence)
    listed = sql.many(works)
    sources = query.filters.get("source")
    by_source = f" AND v.source IN ({sql.many(sources)})" if sources else ""
    for work, metric, source, value in index.rows(
            f"SELECT v.work, v.metric, v.source, v.value FROM val v WHERE v.work IN ({listed})"
            f"{by_source} AND {_valid('v')}", sql.params):
        values[work][metric][source] = value
    for work, title, issued in index.rows(
            f"SELECT d.work, d.title, d.issued FROM descr d WHERE d.work IN ({listed}) "
            f"AND {_valid('d')}", sql.params):
        described[work] = (title, issued)
    return values, described


def _short_metric(metric: str) -> str:
    return metric[len(METRICS_NS):] if metric.startswith(METRICS_NS) else metric


def _short_source(source: str) -> str:
    return source[len(SOURCES_NS):] if source.startswith(SOURCES_NS) else source


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
        text = issued_key(issued)
        return (0, [-ord(c) for c in text] if descending else text, work)
    value = metrics.get(_short_metric(_metric(name)))
    if value is None:
        return (1, 0, work)
    return (0, -value if descending else value, work)


def _metrics(per_metric: dict[str, dict[str, int]]) -> dict[str, int]:
    """metric id → the highest value among the (selected) sources."""
    return {_short_metric(m): max(by_source.values())
            for m, by_source in sorted(per_metric.items())}


def _result(work: str, title: Any, issued: Any, metrics: dict[str, int],
            per_metric: dict[str, dict[str, int]], by_source: bool) -> dict[str, Any]:
    """One entry of ``results``."""
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
    ``group_by``, :func:`group_works`' answer instead. ``timeout`` bounds the wait for the
    index: one that cannot be caught up within it is left to its background builder and the
    call raises :class:`~alm_ld.errors.IndexBuilding` (503, Retry-After), so a request never
    pays a rebuild (minutes at 100k works); None catches up here (the command line)."""
    if query.group_by:
        return group_works(store, query, timeout=timeout)
    return _list_works(store, query, timeout)


def _list_works(store: Store, query: WorksQuery, timeout: float | None) -> dict[str, Any]:
    index, mark = works_index(store, timeout)
    sequence = mark if query.sequence_limit is None else min(query.sequence_limit, mark)
    found = _ranked(index, query, sequence, query.per_page + 1)
    page = found[:query.per_page]
    values, described = _page_details(index, query, sequence, page)
    results = []
    key: tuple[Any, ...] = ()
    for work in page:
        per_metric = values.get(work, {})
        metrics = _metrics(per_metric)
        title, issued = described.get(work, (None, None))
        key = _sort_key(query.sort, work, issued, metrics)
        results.append(_result(work, title, issued, metrics, per_metric, query.by_source))
    next_cursor = (encode_cursor(sequence, query.sort, key) if len(found) > query.per_page
                   else None)
    return {"meta": {"count": _count(index, query, sequence), "per_page": query.per_page,
                     "next_cursor": next_cursor, **freshness(sequence)},
            "results": results}


# ---------------------------------------------------------------------------------------------
# group_by

GROUP_KEYS = ("ror", "issn", "funder", "orcid", "publisher", "type", "issued_year", "source")
MAX_GROUPS = 1000


def group_works(store: Store, query: WorksQuery, *,
                timeout: float | None = None) -> dict[str, Any]:
    """``{"meta": {"count", "groups_count"}, "group_by": [{"key", "key_display_name", "count",
    "sum"}]}``: the selected works grouped by ``query.group_by`` (a work in every group it
    belongs to, once; works without the key in the group ``null``). ``sum`` adds, over the
    group's works, each work's value of each metric — the highest among the selected
    sources, so a work counted by two sources is never counted twice. For ``source`` the
    groups are the sources and the sum is that source's own values. Groups by count, then
    key; at most :data:`MAX_GROUPS`. Vector sums over the works index's in-memory columns,
    kept until the next feed is folded in (like counts): the sums grow with the works a
    filter keeps (~6 ms at 300k works), an answer kept for the index's mark costs a lookup,
    and dashboards ask the same groups again and again between feeds. ``timeout``: as for
    :func:`list_works`."""
    index, mark = works_index(store, timeout)
    answer = index.kept(mark, ("groups", query.group_by, _filters_name(query)),
                        lambda: _groups(index, query))
    at = answer["meta"]["as_of_sequence"]
    return {**answer, "meta": {**answer["meta"], **freshness(at)}}


def _groups(index: Any, query: WorksQuery) -> dict[str, Any]:
    """One algorithm for every ``group_by``, filtered or not: the filters as a mask over the
    index's in-memory columns (:mod:`alm_ld.analytics.works_columns`), counts and sums as
    vector sums. Answered as of the index's own sequence when it reads (the caller's mark or
    a later one, when another process folded a feed in meanwhile: one state, never two)."""
    group_by = query.group_by or ""
    sources = query.filters.get("source")
    with index.reading() as now:
        columns = index.columns(now)
        mask = columns.selection(query.filters, _METADATA_KEYS)
        count = int(mask.sum())
        if group_by == "source":
            found, totals = columns.by_source(mask, sources)
            members: dict[str | None, int] = {_short_source(s): n for s, n in found.items()}
            sums = {_short_source(s): {_short_metric(m): v for m, v in per.items()}
                    for s, per in totals.items()}
            answer = _group_answer(count, members, {k: k for k in members}, sums)
        else:
            members, by_key, keys, labels = columns.by_key(mask, group_by, sources)
            sums = {k: {_short_metric(m): v for m, v in per.items()}
                    for k, per in by_key.items()}
            answer = _group_answer(count, members, {}, sums, lambda shown: columns.least_labels(
                group_by, shown, keys, labels))
    answer["meta"].update(freshness(now))
    return answer


def _group_answer(count: int, members: dict[str | None, int],
                  names: dict[str | None, str | None],
                  sums: dict[str | None, dict[str, int]],
                  label: Any = None) -> dict[str, Any]:
    """The answer: groups by count, then key (``null`` last among equals); ``label(keys)``
    gives the display names of the groups shown when ``names`` does not."""
    groups = sorted(members, key=lambda k: (-members[k], k is None, k or ""))[:MAX_GROUPS]
    if label is not None:
        names = label([k for k in groups if k is not None])
    return {"meta": {"count": count, "groups_count": len(members)},
            "group_by": [{"key": key, "key_display_name": names.get(key) or key,
                          "count": members[key], "sum": dict(sorted(sums[key].items()))}
                         for key in groups]}


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
    parsed: list[tuple[object, str | None, InvalidIdentifier | None]] = []
    for raw in ids:
        try:
            parsed.append((raw, parse_work_id(raw).iri, None))
        except InvalidIdentifier as error:
            parsed.append((raw, None, error))
    index, mark = works_index(store, timeout)
    asked = sorted({work for _, work, _ in parsed if work is not None})
    sql = _Sql(mark)
    known = {r[0] for r in index.rows(
        f"SELECT w.work FROM work w WHERE w.since <= :s AND w.work IN ({sql.many(asked)})",
        sql.params)} if asked else set()
    values, described = _page_details(index, WorksQuery(), mark, sorted(known))
    results: list[dict[str, Any]] = []
    found = 0
    for raw, work, error in parsed:
        entry: dict[str, Any] = {"input": raw}
        if work is None:
            assert error is not None
            entry["error"] = {"status": 400, "title": "Invalid identifier",
                              "detail": error.detail}
            results.append(entry)
            continue
        entry["id"] = work
        if work not in known:
            entry["error"] = {"status": 404, "title": "Not found",
                              "detail": f"No work {work} is known to this service."}
        else:
            found += 1
            title, issued = described.get(work, (None, None))
            entry.update(title=title, issued=issued, metrics=_metrics(values.get(work, {})))
        results.append(entry)
    return {"meta": {"count": len(results), "found": found, **freshness(mark)},
            "results": results}
