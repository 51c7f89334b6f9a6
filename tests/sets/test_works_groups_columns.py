"""``group_by``, filtered or not, is answered from each process's in-memory columns of the
works index, caught up feed by feed from the works each fold touched. These tests hold the
answers to the ones computed by hand from the feeds (counts, sums under the
highest-among-sources rule, the ``null`` group, display names, OR filters) and the columns
caught up feed by feed to columns read whole — after every feed, with works re-described,
counts revised and new works arriving; and check that a feed folded by another process
between a request's mark and its read gives one state's answer, never a mix of two."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest

from alm_ld.analytics import works_index as wi
from alm_ld.analytics import works_list as wl
from alm_ld.analytics.works_list import list_works, parse_works_query
from alm_ld.config import Settings
from alm_ld.identifiers import ror_checksum
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.sets.conftest import BROWN, HARVARD, count, feed, work
from tests.sets.test_works_index import Oracle

OTHER = f"https://ror.org/0{7:02d}aaaa{ror_checksum('007aaaa')}"
RORS = {HARVARD: "Harvard", BROWN: "Brown", OTHER: "Other"}
WORKS = 30
YEARS = ("2018", "2019-04", "2020-02-03", "2021", "2023-07")


def _description(rng: random.Random, w: int, n: int) -> dict[str, Any]:
    """Work ``w`` described in feed ``n``: one or two institutions (named per feed, so the
    display name of a group depends on which feeds describe its works now), mostly an
    article, mostly dated."""
    fields: dict[str, Any] = {}
    if rng.random() < 0.85:
        rors = rng.sample(sorted(RORS), rng.choice((1, 1, 1, 2)))
        fields["authors"] = [{"name": "A", "affiliations": [
            {"ror": r, "name": f"{RORS[r]} {n}"} for r in rors]}]
    if rng.random() < 0.9:
        fields["workType"] = "journal-article" if rng.random() < 0.8 else "posted-content"
    if rng.random() < 0.9:
        fields["issued"] = rng.choice(YEARS)
    return work(w, **fields)


def _feeds(seed: int) -> list[list[dict[str, Any]]]:
    """A first feed describing and counting most works, then revisions: counts up and down
    (later and earlier periods), re-descriptions, new works."""
    rng = random.Random(seed)
    first = [_description(rng, w, 0) for w in range(WORKS) if w % 10 != 3]
    first += [count(w, rng.randrange(50), "crossref") for w in range(WORKS) if w % 9]
    first += [count(w, rng.randrange(60), "openalex") for w in range(WORKS) if w % 3 == 1]
    first += [count(w, rng.randrange(500), "plos", "views") for w in range(0, WORKS, 2)]
    # a type and a source whose views come only from a work without citations: a filter on
    # citations leaves their views out entirely (the sum disappears, not "views: 0")
    first += [work(50, workType="book"), count(50, 7, "events", "views"),
              work(51, workType="book"), count(51, 5, "crossref")]
    out = [first]
    for n in range(1, 6):
        items = [_description(rng, w, n) for w in rng.sample(range(WORKS + 2 * n), 4)]
        keys = set()
        for _ in range(10):
            w = rng.randrange(WORKS + 2 * n)
            source, metric = rng.choice((("crossref", "citations"), ("openalex", "citations"),
                                         ("plos", "views")))
            end = rng.choice(("2026-09-01", "2026-10-01", "2026-11-01"))
            if (w, source, metric, end) not in keys:
                keys.add((w, source, metric, end))
                items.append(count(w, rng.randrange(80), source, metric, end))
        out.append(items)
    return out


def _keys(oracle: Oracle, w: int, kind: str) -> dict[str, str | None]:
    """key → display name of work ``w``'s current description."""
    described = oracle.described.get(w, {})
    if kind == "ror":
        return {a["ror"]: a.get("name") for au in described.get("authors", [])
                for a in au.get("affiliations", [])}
    if kind == "type":
        return {described["workType"]: None} if "workType" in described else {}
    assert kind == "issued_year"
    return {described["issued"][:4]: None} if "issued" in described else {}


def _expected(oracle: Oracle, filters: dict[str, tuple[Any, ...]], group_by: str
              ) -> tuple[int, dict[str | None, tuple[int, dict[str, int], str | None]]]:
    """(selected works, key → (works, sums, display name)) computed from the feeds."""
    sources = filters.get("source")
    chosen = []
    for w in oracle.works:
        if any(oracle.value(w, m, sources) is None for m in filters.get("has_metric", ())):
            continue
        if sources and not any(x == w and s in sources for (x, _, s) in oracle.counts):
            continue
        if any(not set(_keys(oracle, w, kind)) & set(filters[kind])
               for kind in ("ror", "type") if kind in filters):
            continue
        if "issued_year" in filters and not any(
                lo <= year <= hi for year in _keys(oracle, w, "issued_year")
                for lo, hi in filters["issued_year"]):
            continue
        chosen.append(w)
    groups: dict[str | None, list[int]] = defaultdict(list)
    sums: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str | None, set[str]] = defaultdict(set)
    for w in chosen:
        if group_by == "source":
            for source in sorted({s for (x, _, s) in oracle.counts if x == w}):
                if sources and source not in sources:
                    continue
                groups[source].append(w)
                for (x, m, s), (_, v) in oracle.counts.items():
                    if x == w and s == source:
                        sums[source][m] += v
            continue
        keys = _keys(oracle, w, group_by) or {None: None}
        for key, name in keys.items():
            groups[key].append(w)
            if name:
                names[key].add(name)
            for metric in ("citations", "views"):
                value = oracle.value(w, metric, sources)
                if value is not None:
                    sums[key][metric] += value
    return len(chosen), {key: (len(ws), dict(sums[key]),
                               min(names[key]) if names[key] else key)
                         for key, ws in groups.items()}


def _answered(answer: dict[str, Any]
              ) -> tuple[int, dict[str | None, tuple[int, dict[str, int], str | None]]]:
    return answer["meta"]["count"], {g["key"]: (g["count"], g["sum"], g["key_display_name"])
                                     for g in answer["group_by"]}


QUERIES: list[tuple[str, dict[str, tuple[Any, ...]], str]] = [
    ("has_metric:citations", {"has_metric": ("citations",)}, "source"),
    ("has_metric:citations", {"has_metric": ("citations",)}, "ror"),
    ("has_metric:citations", {"has_metric": ("citations",)}, "type"),
    ("has_metric:citations,issued_year:2000-2030",
     {"has_metric": ("citations",), "issued_year": (("2000", "2030"),)}, "issued_year"),
    ("type:journal-article", {"type": ("journal-article",)}, "ror"),
    ("type:journal-article|posted-content", {"type": ("journal-article", "posted-content")},
     "issued_year"),
    (f"ror:{HARVARD}|{BROWN}|{OTHER}", {"ror": (HARVARD, BROWN, OTHER)}, "type"),
    (f"ror:{HARVARD}|{OTHER}", {"ror": (HARVARD, OTHER)}, "ror"),
    ("issued_year:2019|2020-2030", {"issued_year": (("2019", "2019"), ("2020", "2030"))},
     "ror"),
    ("source:crossref", {"source": ("crossref",)}, "source"),
    ("source:crossref,type:journal-article",
     {"source": ("crossref",), "type": ("journal-article",)}, "source"),
    ("has_metric:views", {"has_metric": ("views",)}, "ror"),
]


def _read_whole(store, text: str, group_by: str) -> dict[str, Any]:
    """The answer from a new index built from the store, its columns read whole."""
    fresh = wi.WorksIndex(None)
    fresh.catch_up(store)
    try:
        return wl._groups(fresh, parse_works_query(filter=text, group_by=group_by))
    finally:
        fresh.close()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_groups_match_the_feeds_after_every_feed(seed: int) -> None:
    store, config, oracle = open_store("oxigraph:"), Settings(store="oxigraph:"), Oracle()
    for items in _feeds(seed):
        ingest_feed(store, feed(items), settings=config)
        oracle.add(items)
        for text, filters, group_by in QUERIES:
            answer = list_works(store, parse_works_query(filter=text, group_by=group_by))
            assert _answered(answer) == _expected(oracle, filters, group_by), (text, group_by)
            assert _read_whole(store, text, group_by) == answer, (text, group_by)


def _columns(index: wi.WorksIndex) -> dict[str, Any]:
    """Everything the columns hold, by work IRI (ordinals differ between two builds)."""
    with index.reading() as now:
        columns = index.columns(now)
    works = sorted(columns.ids, key=columns.ids.__getitem__)
    out: dict[str, Any] = {"sequence": columns.sequence}
    for name, values in [*columns.top.items(), *columns.val.items()]:
        has = values.has[:columns.size]
        out[repr(name)] = {works[i]: int(values.value[i]) for i in has.nonzero()[0]}
    for kind, pairs in columns.keys.items():
        w, k, label = pairs.current()
        out[kind] = sorted((works[a], pairs.names[b], columns.labels[c] if c >= 0 else None)
                           for a, b, c in zip(w.tolist(), k.tolist(), label.tolist(),
                                              strict=True))
    # the totals kept feed by feed (source_totals, metric_totals) against those a whole
    # read sums
    out["source_totals"] = sorted(columns.source_totals())
    out["metric_totals"] = columns.metric_totals()
    return {key: value for key, value in out.items() if value}


@pytest.mark.parametrize("keep", [200, 1])
def test_columns_caught_up_feed_by_feed_equal_columns_read_whole(monkeypatch, keep) -> None:
    """What a process catches up from the works each fold touched (and the totals it keeps)
    equals what a rebuild reads; with ``changed`` kept for one feed only, a process two feeds
    behind reads them whole."""
    monkeypatch.setattr(wi, "KEEP_CHANGES", keep)
    store, config = open_store("oxigraph:"), Settings(store="oxigraph:")
    feeds = _feeds(14)
    for n, items in enumerate(feeds):
        ingest_feed(store, feed(items), settings=config)
        if n % 2 == 0:  # columns two feeds behind at the next read
            kept, _ = wi.works_index(store)
            _columns(kept)
    kept, _ = wi.works_index(store)
    rebuilt = wi.WorksIndex(None)
    rebuilt.catch_up(store)
    assert _columns(kept) == _columns(rebuilt)
    assert _columns(kept)["sequence"] == len(feeds)
    assert kept.rows("SELECT MIN(seq) FROM changed")[0][0] == len(feeds) - keep + 1 if \
        keep < len(feeds) else 1


def test_a_feed_folded_meanwhile_by_another_process_is_answered_whole(tmp_path) -> None:
    """A request reads its mark S; another process sharing the index file folds feed S+1
    before the request reads the columns. The answer is then S+1's whole (the columns
    caught up from what the other process's fold recorded), never S's works with S+1's
    values."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    config, oracle, feeds = Settings(store=spec), Oracle(), _feeds(15)
    with open_store(spec) as store:
        for items in feeds[:3]:
            ingest_feed(store, feed(items), settings=config)
            oracle.add(items)
        path = wi.index_path(store)
        serving, other = wi.WorksIndex(path), wi.WorksIndex(path)
        mark = serving.catch_up(store)
        for text, filters, group_by in QUERIES:  # the columns are at S
            query = parse_works_query(filter=text, group_by=group_by)
            assert _answered(wl._groups(serving, query)) == _expected(oracle, filters, group_by)
        ingest_feed(store, feed(feeds[3]), settings=config)
        oracle.add(feeds[3])
        assert other.catch_up(store) == mark + 1
        for text, filters, group_by in QUERIES:
            query = parse_works_query(filter=text, group_by=group_by)
            assert _answered(wl._groups(serving, query)) == _expected(oracle, filters, group_by)
        serving.close()
        other.close()


def test_paging_and_kept_groups_while_feeds_arrive() -> None:
    """While feeds arrive between pages, the pages of ``has_metric:citations`` sorted by
    citations are those of the first page's state (no gap, no repeat) and add up to the
    count the group answer gave then; a group answer kept for one mark is not served after
    the next feed."""
    store, config, oracle = open_store("oxigraph:"), Settings(store="oxigraph:"), Oracle()
    feeds = _feeds(16)
    for items in feeds[:2]:
        ingest_feed(store, feed(items), settings=config)
        oracle.add(items)
    later = iter(feeds[2:])
    grouped = parse_works_query(filter="has_metric:citations", group_by="ror")
    before = list_works(store, grouped)
    params = {"filter": "has_metric:citations", "sort": "citations:desc", "per_page": "4"}
    expected = oracle.order("citations:desc", None, None)
    expected = [d for d in expected
                if oracle.value(int(d.rsplit("w", 1)[1]), "citations", None) is not None]
    page = list_works(store, parse_works_query(**params, cursor="*"))
    seen = [r["id"] for r in page["results"]]
    while page["meta"]["next_cursor"]:
        items = next(later, None)
        if items is not None:
            ingest_feed(store, feed(items), settings=config)
            oracle.add(items)
            after = list_works(store, grouped)
            assert _answered(after) == _expected(oracle, {"has_metric": ("citations",)}, "ror")
        page = list_works(store, parse_works_query(
            **params, cursor=page["meta"]["next_cursor"]))
        seen += [r["id"] for r in page["results"]]
    assert seen == expected
    assert before["meta"]["count"] == len(seen)
