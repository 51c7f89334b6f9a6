"""Sets of works (issue 16, works API core): filters on the current description, OR, sort,
cursor paging without gaps or duplicates while feeds arrive, and the max-over-sources value —
on generated feeds whose answers are computed by hand."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alm_ld.analytics.works_list import (
    decode_cursor,
    encode_cursor,
    list_works,
    parse_filter,
    parse_works_query,
)
from alm_ld.config import Settings
from alm_ld.errors import UsageError
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.support.set_feeds import BROWN, CARBERRY, HARVARD, NSF, count, doi, feed, work


@pytest.fixture(scope="module")
def store():
    """Six works. w1: Harvard + Carberry, PLOS ONE, NSF, 2019, citations crossref 10 /
    openalex 14 (max 14, never 24); w2: Brown, 2021, journal-article, citations 5 then revised
    to 7 (newest feed wins), older cumulative 9 with an earlier periodEnd (ignored); w3:
    Harvard in an *old* description, Brown in the current one; w4: dataset 2018, views only;
    w5: counts only (no description); w6: Harvard, 2020, citations 3 (crossref)."""
    store = open_store("memory:")
    config = Settings(store="memory:")
    feeds = [
        feed([work(1, issued="2019-05-01", workType="journal-article",
                     container={"title": "PLOS ONE", "issn": ["1932-6203"]},
                     publisher="PLOS",
                     authors=[{"name": "J. Carberry", "orcid": CARBERRY,
                               "affiliations": [{"ror": HARVARD}]}],
                     funders=[{"id": NSF}]),
               work(2, issued="2021", workType="journal-article",
                     authors=[{"name": "B", "affiliations": [{"ror": BROWN}]}]),
               work(3, issued="2017", authors=[{"name": "C", "affiliations": [
                   {"ror": HARVARD}]}]),
               work(4, issued="2018-02", workType="Dataset", publisher="Zenodo"),
               work(6, issued="2020", authors=[{"name": "D", "affiliations": [
                   {"ror": "03vek6s52"}]}])]),
        feed([count(1, 10, "crossref"), count(2, 9, "crossref", end="2025-01-01"),
               count(2, 5, "crossref"), count(4, 100, "datacite", metric="views"),
               count(5, 1, "crossref"), count(6, 3, "crossref")]),
        feed([count(1, 14, "openalex"), count(2, 7, "crossref")]),
        feed([work(3, issued="2017", authors=[{"name": "C", "affiliations": [
            {"ror": BROWN}]}])]),
    ]
    for one in feeds:
        ingest_feed(store, one, settings=config)
    return store


def _ids(answer: dict[str, Any]) -> list[str]:
    return [r["id"] for r in answer["results"]]


def _list(store, **params: str) -> dict[str, Any]:
    return list_works(store, parse_works_query(**params))


def test_every_work_without_filters(store) -> None:
    answer = _list(store)
    assert answer["meta"]["count"] == 6 and answer["meta"]["next_cursor"] is None
    assert _ids(answer) == [doi(n) for n in (1, 2, 3, 4, 5, 6)]  # by IRI


def test_filters_match_the_current_description(store) -> None:
    assert _ids(_list(store, filter=f"ror:{HARVARD}")) == [doi(1), doi(6)]  # not w3 any more
    assert _ids(_list(store, filter="ror:05gq02987")) == [doi(2), doi(3)]
    assert _ids(_list(store, filter="orcid:0000000218250097")) == [doi(1)]
    assert _ids(_list(store, filter="issn:urn:issn:1932-6203")) == [doi(1)]
    assert _ids(_list(store, filter="funder:10.13039/100000001")) == [doi(1)]
    assert _ids(_list(store, filter="publisher:zenodo")) == [doi(4)]
    assert _ids(_list(store, filter="type:Dataset")) == [doi(4)]


def test_or_within_a_key_and_across_keys(store) -> None:
    assert _ids(_list(store, filter=f"ror:{HARVARD}|{BROWN}")) == [doi(n) for n in (1, 2, 3, 6)]
    assert _ids(_list(store, filter=f"ror:{HARVARD}|{BROWN},issued_year:2018-2020")) == [
        doi(1), doi(6)]
    assert _ids(_list(store, filter="issued_year:2017|2021")) == [doi(2), doi(3)]
    assert _ids(_list(store, filter="type:journal-article,issued_year:2021")) == [doi(2)]


def test_metric_value_is_the_highest_current_value_among_selected_sources(store) -> None:
    answer = _list(store, filter="has_metric:citations", sort="citations:desc",
                   select="metrics_by_source")
    assert [(r["id"], r["metrics"]["citations"]) for r in answer["results"]] == [
        (doi(1), 14), (doi(2), 7), (doi(6), 3), (doi(5), 1)]
    first = answer["results"][0]
    assert first["metricsBySource"] == {"citations": {"crossref": 10, "openalex": 14}}
    only_crossref = _list(store, filter="source:crossref,has_metric:citations",
                          sort="citations:desc")
    assert only_crossref["results"][0]["metrics"] == {"citations": 10}
    assert _ids(_list(store, filter="source:datacite")) == [doi(4)]


def test_sorts(store) -> None:
    assert _ids(_list(store, sort="issued:desc")) == [doi(n) for n in (2, 6, 1, 4, 3, 5)]
    assert _ids(_list(store, sort="issued:asc")) == [doi(n) for n in (3, 4, 1, 6, 2, 5)]
    assert _ids(_list(store, sort="citations:asc"))[:4] == [doi(5), doi(6), doi(2), doi(1)]


@pytest.mark.parametrize("sort", [None, "issued:desc", "citations:asc", "citations:desc"])
def test_cursor_pages_have_no_gaps_or_duplicates_while_feeds_arrive(sort: str | None) -> None:
    store = open_store("memory:")
    config = Settings(store="memory:")
    ingest_feed(store, feed([work(n, issued=f"{2000 + n % 7}") for n in range(23)]
                             + [count(n, n % 5, "crossref") for n in range(23)]),
                settings=config)
    expected = _ids(list_works(store, parse_works_query(sort=sort, per_page="200")))
    seen: list[str] = []
    cursor = "*"
    while cursor:
        page = list_works(store, parse_works_query(sort=sort, per_page="4", cursor=cursor))
        seen += _ids(page)
        assert page["meta"]["count"] == 23
        cursor = page["meta"]["next_cursor"]
        # a concurrent ingest: new works and new values must not shift the pages
        ingest_feed(store, feed([work(100 + len(seen), issued="2003"),
                                  count(len(seen) % 23, 1000 + len(seen), "openalex")]),
                    settings=config)
    assert seen == expected


_CURSOR_OF_ANOTHER_SORT = encode_cursor(3, ("citations", True), (0, -5, "https://doi.org/10.1/x"))


@pytest.mark.parametrize(("params", "words"), [
    ({"filter": "colour:blue"}, "Unknown filter"),
    ({"filter": "ror:03vek6s53"}, "checksum"),
    ({"filter": "orcid:0000-0002-1825-0098"}, "check digit"),
    ({"filter": "issued_year:2021-2018"}, "issued_year"),
    ({"filter": "type:a,type:b"}, "twice"),
    ({"sort": "citations:sideways"}, ":asc or :desc"),
    ({"sort": "issued:asc", "cursor": _CURSOR_OF_ANOTHER_SORT}, "another sort"),
    ({"cursor": "eyJ2IjoxLCJzZXEiOjEsInNvcnQiOiIiLCJhZnRlciI6W3siYSI6MX0sMCwieCJdfQ"},
     "cursor"),  # after = [{"a": 1}, 0, "x"]: not a key this service makes
    ({"per_page": "201"}, "per_page"),
    ({"per_page": "\u00b9"}, "per_page"),  # superscript one: str.isdigit() says yes, int() no
    ({"per_page": "\u0663"}, "per_page"),  # Arabic-Indic three: not an ASCII number either
    ({"filter": "issued_year:\u00b2\u00b2\u00b2\u00b2"}, "issued_year"),
    ({"cursor": "bm9wZQ"}, "cursor"),
    ({"select": "everything"}, "select"),
])
def test_bad_requests_say_what_to_send(params: dict[str, str], words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_works_query(**params)
    assert words in caught.value.detail and caught.value.status == 400


def test_filter_values_are_normalised_like_feed_identifiers() -> None:
    assert parse_filter("ror:HTTPS://ROR.ORG/03VEK6S52|ror.org/05gq02987") == {
        "ror": (HARVARD, BROWN)}
    assert parse_filter("issn:19326203,funder:doi:10.13039/100000001") == {
        "issn": ("1932-6203",), "funder": (NSF,)}
    sequence, after = decode_cursor(
        list_works(_empty_store_with_two(), parse_works_query(per_page="1"))["meta"][
            "next_cursor"], None)
    assert sequence == 1 and after[-1] == doi(0)


def _empty_store_with_two():
    store = open_store("memory:")
    ingest_feed(store, feed([work(0), work(1)]), settings=Settings(store="memory:"))
    return store


_ANY = st.one_of(st.text(max_size=30), st.sampled_from(
    ["ror:03vek6s52|x", "issued_year:2020", "type:a\"b", "publisher:\ud800", "source:a b",
     "source:https://e[.org", "has_metric:citations", "issn:1932-6203,orcid:x", "*"]))


@settings(max_examples=200, deadline=None)
@given(filter_=_ANY, sort=_ANY, per_page=_ANY, cursor=_ANY, select=_ANY,
       group_by=st.one_of(_ANY, st.sampled_from(["ror", "issn", "source", "issued_year"])))
def test_any_parameters_give_an_answer_or_a_400(filter_: str, sort: str, per_page: str,
                                                 cursor: str, select: str,
                                                 group_by: str) -> None:
    try:
        query = parse_works_query(filter=filter_, sort=sort, per_page=per_page, cursor=cursor,
                                  select=select, group_by=group_by)
        answer = list_works(_SMALL, query)
    except UsageError as error:
        assert error.status == 400 and error.detail
    else:
        assert answer["meta"]["count"] >= 0
        assert ("group_by" in answer) == bool(group_by)


_SMALL = _empty_store_with_two()


def test_http_answers_json_ld_csv_and_problems(store) -> None:
    from alm_ld.jsonld import to_rdf_nquads
    from alm_ld.web import create_app

    client = create_app(Settings(store="memory:"), store).test_client()
    answer = client.get(f"/works?filter=ror:{HARVARD}&sort=citations:desc&per_page=1",
                        headers={"Accept": "application/ld+json"})
    assert answer.status_code == 200
    assert answer.content_type.startswith("application/ld+json")
    document = answer.get_json()
    assert document["meta"]["count"] == 2
    assert document["results"] == [{"id": doi(1), "title": "Work 1", "issued": "2019-05-01",
                                     "metrics": {"citations": 14}}]
    to_rdf_nquads(document)  # valid JSON-LD under its contexts
    following = client.get("/works", query_string={
        "filter": f"ror:{HARVARD}", "sort": "citations:desc", "per_page": "1",
        "cursor": document["meta"]["next_cursor"]}).get_json()
    assert [r["id"] for r in following["results"]] == [doi(6)]
    assert following["meta"]["next_cursor"] is None
    table = client.get("/works?filter=issued_year:2019-2020&format=csv")
    assert table.content_type.startswith("text/csv")
    assert table.get_data(as_text=True).splitlines() == [
        "id,title,issued,citations", f"{doi(1)},Work 1,2019-05-01,14",
        f"{doi(6)},Work 6,2020,3"]
    groups = client.get("/works?group_by=issn&format=csv").get_data(as_text=True)
    assert groups.splitlines() == ["key,key_display_name,count,citations,views",
                                   ",,5,11,100",  # the works without an ISSN
                                   "1932-6203,PLOS ONE,1,14,"]
    bad = client.get("/works?filter=ror:03vek6s53")
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
    assert "checksum" in bad.get_json()["detail"]


def _groups(store, **params: str) -> list[tuple[Any, ...]]:
    answer = list_works(store, parse_works_query(**params))
    return [(g["key"], g["key_display_name"], g["count"], g["sum"]) for g in answer["group_by"]]


def test_group_by_institution_sums_max_over_sources(store) -> None:
    # w1 (Harvard, 14 = max(10, 14), never 24) and w6 (Harvard, 3); w2 and w3 at Brown (7);
    # w4 and w5 have no affiliation (the null group); w3's old Harvard affiliation is not current
    assert _groups(store, group_by="ror") == [  # by count, then key, the null group last
        (HARVARD, HARVARD, 2, {"citations": 17}),  # 03vek6s52 sorts before 05gq02987
        (BROWN, BROWN, 2, {"citations": 7}),
        (None, None, 2, {"citations": 1, "views": 100}),
    ]


def test_group_by_combines_with_filters_and_names_groups(store) -> None:
    assert _groups(store, group_by="issn", filter="issued_year:2019") == [
        ("1932-6203", "PLOS ONE", 1, {"citations": 14})]
    assert _groups(store, group_by="issued_year", filter=f"ror:{HARVARD}|{BROWN}") == [
        ("2017", "2017", 1, {}), ("2019", "2019", 1, {"citations": 14}),
        ("2020", "2020", 1, {"citations": 3}), ("2021", "2021", 1, {"citations": 7})]
    assert _groups(store, group_by="orcid") == [
        (None, None, 5, {"citations": 11, "views": 100}),
        (CARBERRY, "J. Carberry", 1, {"citations": 14})]
    assert _groups(store, group_by="publisher", filter="type:Dataset") == [
        ("zenodo", "Zenodo", 1, {"views": 100})]


def test_group_by_source_sums_each_sources_own_values(store) -> None:
    assert _groups(store, group_by="source") == [
        ("crossref", "crossref", 4, {"citations": 10 + 7 + 1 + 3}),
        ("datacite", "datacite", 1, {"views": 100}),
        ("openalex", "openalex", 1, {"citations": 14})]


def test_batch_answers_in_request_order_with_bad_ids_in_place(store) -> None:
    from alm_ld.web import create_app

    client = create_app(Settings(store="memory:"), store).test_client()
    ids = ["doi:10.5555/W2", "ISBN 978-3-16", "10.5555/unknown", doi(1), "10.5555/w2", 7]
    answer = client.post("/works/batch", json={"ids": ids})
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [r["input"] for r in results] == ids
    assert results[0] == {"input": "doi:10.5555/W2", "id": doi(2), "title": "Work 2",
                          "issued": "2021", "metrics": {"citations": 7}}
    assert results[1]["error"]["status"] == 400 and "id" not in results[1]
    assert results[2]["id"] == "https://doi.org/10.5555/unknown"
    assert results[2]["error"]["status"] == 404
    assert results[3]["metrics"] == {"citations": 14}  # max over crossref 10, openalex 14
    assert results[4]["id"] == doi(2)  # a repeat is answered again
    assert results[5]["error"]["status"] == 400  # not a string
    meta = answer.get_json()["meta"]
    assert meta == {"count": 6, "found": 3, "as_of_sequence": meta["as_of_sequence"],
                    "feeds_pending": 0}
    assert meta["as_of_sequence"] >= 1  # the feeds' own sequence: what the answer includes


@pytest.mark.parametrize("body", [b"[]", b'{"ids": []}', b'{"ids": "10.1/x"}',
                                  b'{"ids": ["10.5555/w1"], "more": 1}', b"not json"])
def test_batch_refuses_a_malformed_body(store, body: bytes) -> None:
    from alm_ld.web import create_app

    client = create_app(Settings(store="memory:"), store).test_client()
    answer = client.post("/works/batch", data=body, content_type="application/json")
    assert answer.status_code == 400 and "ids" in answer.get_json()["detail"]
    too_many = client.post("/works/batch", json={"ids": ["10.5555/w1"] * 1001})
    assert too_many.status_code == 400
