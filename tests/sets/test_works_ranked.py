"""GET /works answered by one ranked query over the current-value view (issue 16 at 100k
works): filters on values (source, has_metric), a sort by a required metric, keyset cursors
and group_by=source — on generated feeds whose answers are computed by hand here, including
ties, the highest-over-selected-sources rule and a cursor followed after an ingest."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from alm_ld.analytics.works_list import list_works, parse_works_query
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store

N = 17
CONFIG = Settings(store="memory:")


def doi(n: int) -> str:
    return f"https://doi.org/10.5555/r{n:02d}"


def _feed(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": "https://w3id.org/alm-ld/context/v1.jsonld", "type": "Feed",
            "id": f"urn:uuid:{uuid.uuid4()}", "provider": {"id": "https://example.org/p",
                                                           "name": "P"},
            "generated": "2026-11-24T10:00:00Z", "items": items}


def _count(n: int, value: int, source: str, metric: str = "citations") -> dict[str, Any]:
    return {"type": "Count", "work": doi(n), "metric": metric, "value": value,
            "aggregation": "cumulative", "periodEnd": "2026-11-01", "source": source}


def _crossref(n: int) -> int:
    return (n * 7) % 5  # 0..4: many ties


def _europepmc(n: int) -> int:
    return (n * 3) % 4  # 0..3


def _feeds() -> list[dict[str, Any]]:
    """Works 0..16: citations from crossref for every work, from europepmc for even works;
    views (plos) for works divisible by 3; work 16 has views only."""
    return [_feed([_count(n, _crossref(n), "crossref") for n in range(N - 1)]),
            _feed([_count(n, _europepmc(n), "europepmc") for n in range(0, N - 1, 2)]
                  + [_count(n, 10 * n, "plos", "views") for n in (*range(0, N - 1, 3), N - 1)])]


@pytest.fixture(scope="module")
def store():
    store = open_store("memory:")
    for feed in _feeds():
        ingest_feed(store, feed, settings=CONFIG)
    return store


def _citations(n: int, sources: tuple[str, ...] = ("crossref", "europepmc")) -> int | None:
    found = []
    if n < N - 1 and "crossref" in sources:
        found.append(_crossref(n))
    if n < N - 1 and n % 2 == 0 and "europepmc" in sources:
        found.append(_europepmc(n))
    return max(found) if found else None


def _expected(descending: bool, sources: tuple[str, ...] = ("crossref", "europepmc"),
              views: bool = False) -> list[str]:
    works = [n for n in range(N) if _citations(n, sources) is not None
             and (not views or n % 3 == 0)]
    sign = -1 if descending else 1
    return [doi(n) for n in sorted(works, key=lambda n: (sign * _citations(n, sources),
                                                         doi(n)))]


def _walk(store, **params: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Every page from cursor=* on: (ids in order, the pages)."""
    ids, pages, cursor = [], [], "*"
    while cursor:
        page = list_works(store, parse_works_query(cursor=cursor, **params))
        pages.append(page)
        ids += [r["id"] for r in page["results"]]
        cursor = page["meta"]["next_cursor"]
    return ids, pages


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_sorted_pages_follow_the_highest_value_with_ties_by_iri(store, direction: str) -> None:
    ids, pages = _walk(store, filter="has_metric:citations", sort=f"citations:{direction}",
                       per_page="4")
    assert ids == _expected(direction == "desc")
    assert len(pages) == 4 and all(p["meta"]["count"] == N - 1 for p in pages)
    first = pages[0]["results"][0]
    n = int(first["id"][-2:])
    assert first["metrics"]["citations"] == _citations(n)


def test_source_filter_ranks_by_the_selected_sources_only(store) -> None:
    ids, pages = _walk(store, filter="has_metric:citations,source:europepmc",
                       sort="citations:desc", per_page="3", select="metrics_by_source")
    assert ids == _expected(True, ("europepmc",))
    for result in (r for p in pages for r in p["results"]):
        n = int(result["id"][-2:])
        assert result["metrics"]["citations"] == _europepmc(n)
        assert result["metricsBySource"]["citations"] == {"europepmc": _europepmc(n)}


def test_two_required_metrics_and_the_default_order(store) -> None:
    ids, _ = _walk(store, filter="has_metric:citations|views", sort="citations:desc",
                   per_page="2")
    assert ids == _expected(True, views=True)
    ids, pages = _walk(store, filter="has_metric:views", per_page="5")
    assert ids == [doi(n) for n in (*range(0, N - 1, 3), N - 1)]
    assert pages[0]["meta"]["count"] == 7


def test_group_by_source_sums_each_sources_own_values(store) -> None:
    answer = list_works(store, parse_works_query(filter="has_metric:citations",
                                                 group_by="source"))
    groups = {g["key"]: g for g in answer["group_by"]}
    assert answer["meta"]["count"] == N - 1
    assert groups["crossref"]["count"] == N - 1
    assert groups["crossref"]["sum"] == {"citations": sum(_crossref(n) for n in range(N - 1))}
    views = sum(10 * n for n in range(0, N - 1, 3))  # work 16 has no citations
    assert groups["plos"]["sum"] == {"views": views}
    assert groups["europepmc"]["sum"] == {
        "citations": sum(_europepmc(n) for n in range(0, N - 1, 2))}
    assert [g["key"] for g in answer["group_by"]] == ["crossref", "europepmc", "plos"]
    every = list_works(store, parse_works_query(group_by="source"))
    assert every["meta"]["count"] == N  # work 16 (views only) counts as a work
    assert {g["key"]: g["count"] for g in every["group_by"]}["plos"] == 7


def test_a_cursor_followed_after_an_ingest_reads_the_state_it_began_with() -> None:
    store = open_store("memory:")
    for feed in _feeds():
        ingest_feed(store, feed, settings=CONFIG)
    expected = _expected(True)
    first = list_works(store, parse_works_query(filter="has_metric:citations",
                                                sort="citations:desc", per_page="5"))
    seen = [r["id"] for r in first["results"]]
    cursor = first["meta"]["next_cursor"]
    # a concurrent ingest: the last work jumps to the top, a new work arrives
    ingest_feed(store, _feed([_count(15, 999, "crossref"), _count(40, 50, "crossref")]),
                settings=CONFIG)
    while cursor:
        page = list_works(store, parse_works_query(filter="has_metric:citations",
                                                   sort="citations:desc", per_page="5",
                                                   cursor=cursor))
        seen += [r["id"] for r in page["results"]]
        cursor = page["meta"]["next_cursor"]
    assert seen == expected
    now = list_works(store, parse_works_query(filter="has_metric:citations",
                                              sort="citations:desc", per_page="2"))
    assert [r["id"] for r in now["results"]] == [doi(15), doi(40)]
    assert now["meta"]["count"] == N


def test_a_forged_cursor_of_a_metric_sort_is_a_400_not_a_500(store) -> None:
    import base64
    import json

    from alm_ld.errors import UsageError

    forged = base64.urlsafe_b64encode(json.dumps(
        {"v": 1, "seq": 2, "sort": "citations:desc", "after": [0, "abc", doi(1)]}).encode()
    ).decode().rstrip("=")
    with pytest.raises(UsageError):
        list_works(store, parse_works_query(filter="has_metric:citations",
                                            sort="citations:desc", cursor=forged))
