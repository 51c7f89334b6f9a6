"""The current-value view (issue 15): the values it holds are the ones the series rule computes
from the union graph, on every backend, after revisions, after a stopped process, for a store
ingested before the view existed, after a restart, and with several store clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef

from alm_ld.analytics import aggregates as agg
from alm_ld.analytics import current_view as cv
from alm_ld.analytics.observation_rows import Observation
from alm_ld.analytics.series import SeriesRequest, work_series
from alm_ld.analytics.sparql import select
from alm_ld.config import Settings
from alm_ld.mapping import content_hash, feed_iri
from alm_ld.pipeline import _mapped, checked_feed, ingest_feed, max_sequence
from alm_ld.sparql_text import iri
from alm_ld.store import open_store
from alm_ld.vocab import ALM_NS, METRICS_NS, SOURCES_NS
from tests.analytics.feeds import count, feed

DEMO = sorted((Path(__file__).resolve().parents[2] / "alm_ld" / "data" / "demo").glob("*.json"))
A = "https://doi.org/10.5555/view-a"
B = "https://doi.org/10.5555/view-b"
CITATIONS, VIEWS = METRICS_NS + "citations", METRICS_NS + "views"
CROSSREF, OPENALEX = SOURCES_NS + "crossref", SOURCES_NS + "openalex"


def demo_feeds() -> list[bytes]:
    return [path.read_bytes() for path in DEMO]


def revisions() -> list[dict[str, Any]]:
    """Three feeds: a first report, a revision (down) plus a second source, and a late revision
    of an older period (which must not become current)."""
    return [
        feed([count(A, 10, "2026-01-31"), count(A, 12, "2026-02-28"), count(B, 5, "2026-02-28"),
              count(A, 7, "2026-01-31", metric="views", aggregation="interval",
                    start="2026-01-01"),
              count(A, 4, "2026-02-28", metric="views", aggregation="interval",
                    start="2026-02-01")]),
        feed([count(A, 11, "2026-02-28"), count(A, 20, "2026-02-28", source="openalex"),
              count(A, 6, "2026-02-28", metric="views", aggregation="interval",
                    start="2026-02-01")]),
        feed([count(A, 9, "2026-01-31"), count(B, 5, "2026-02-28")]),
    ]


@pytest.fixture(params=["memory", "oxigraph", "sparql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    if request.param == "memory":
        spec = "memory:"
    elif request.param == "oxigraph":
        spec = f"oxigraph:{tmp_path / 'store'}"
    else:
        spec = request.getfixturevalue("sparql_store_spec")
    yield spec, Settings(store=spec)


def by_rule(store: Any) -> dict[tuple[str, str, str, str], int]:
    """(work, metric, source, aggregation) → current value, by analytics.series from the union
    graph (the query path the view replaces)."""
    works = {r["w"] for r in select(store, "SELECT DISTINCT ?w WHERE { GRAPH ?g { "
                                           "?g alm:sequence ?s . ?o alm:work ?w } }")}
    found = {}
    for work in works:
        for series in work_series(store, SeriesRequest(work)):
            found[(work, series.metric, series.source, series.aggregation)] = \
                series.current_value
    return found


def in_view(store: Any) -> dict[tuple[str, str, str, str], int]:
    rows = select(store, f"""SELECT ?w ?m ?s ?a ?v WHERE {{ GRAPH {iri(cv.VIEW_GRAPH)} {{
      ?e alm:forWork ?w ; alm:forMetric ?m ; alm:forSource ?s ;
         alm:forAggregation ?a ; alm:currentValue ?v }} }}""")
    found: dict[tuple[str, str, str, str], int] = {}
    for r in rows:
        key = (r["w"], r["m"], r["s"], r["a"])
        assert key not in found, f"two entries for {key}"
        found[key] = int(r["v"])
    return found


def ingest_all(store: Any, settings: Settings, docs: list[Any]) -> None:
    for doc in docs:
        ingest_feed(store, doc, settings=settings)


def test_view_holds_the_series_rule_after_revisions_on_every_backend(backend) -> None:
    spec, settings = backend
    with open_store(spec) as store:
        ingest_all(store, settings, [*demo_feeds(), *revisions()])
        view = in_view(store)
        assert view == by_rule(store)
        cumulative, interval = ALM_NS + "cumulative", ALM_NS + "interval"
        assert view[(A, CITATIONS, CROSSREF, cumulative)] == 11  # revised down, latest period
        assert view[(A, CITATIONS, OPENALEX, cumulative)] == 20
        assert view[(A, VIEWS, CROSSREF, interval)] == 13  # 7 + the revised 6
        top = agg.top_works(store, CITATIONS, 100)
        assert (A, 20) in top and top == sorted(top, key=lambda t: (-t[1], t[0]))
        assert cv.view_sequence(store) == max_sequence(store)
        totals = {(t["source"], t["metric"]): t for t in agg.source_totals(store)}
        crossref = totals[(CROSSREF, CITATIONS)]
        expected = sum(v for (_, m, s, a), v in view.items()
                       if (m, s, a) == (CITATIONS, CROSSREF, cumulative))
        assert crossref["total"] == expected
        # the totals (the works index's) follow the next feed
        ingest_feed(store, feed([count(B, 105, "2026-03-31")]), settings=settings)
        totals = {(t["source"], t["metric"]): t for t in agg.source_totals(store)}
        assert totals[(CROSSREF, CITATIONS)]["total"] == expected - 5 + 105
        # so does the top-100 ranking (B was at 5 when it was last read)
        top = dict(agg.top_works(store, CITATIONS, 100))
        assert top[B] == 105 and agg.top_works(store, CITATIONS, 100) == list(top.items())
        totals_by_metric = agg.metric_totals(store)
        assert totals_by_metric[CITATIONS] == sum(
            v for w, v in top.items()) if len(top) < 100 else True


def values_read(store: Any, work: str) -> dict[tuple[str, str, str, str], int]:
    """What a reader gets for ``work`` (current_values: the view, or the rule while behind)."""
    return {(e.work, e.metric, e.source, e.aggregation): e.value
            for e in cv.current_values(store, work)}


def of_work(values: dict[tuple[str, str, str, str], int], work: str) -> dict[Any, int]:
    return {key: value for key, value in values.items() if key[0] == work}


def test_feed_stored_without_its_view_is_read_by_the_rule_until_the_next_writer() -> None:
    """A feed stored without its view lines (an older version, or the shared path stopped
    before its fold) leaves the mark behind: readers answer by the union-graph rule and write
    nothing; the next writer folds it in before its own feed."""
    settings = Settings(store="oxigraph:")
    with open_store("oxigraph:") as store:
        first, second, third = revisions()
        ingest_all(store, settings, [first, second])
        doc = checked_feed(third, settings=settings)
        sequence = max_sequence(store) + 1
        data, _, _ = _mapped(store, doc, feed_iri(doc), content_hash(doc), sequence)
        store.add_graph(URIRef(feed_iri(doc)), data)
        assert not cv.view_is_current(store)
        rule = by_rule(store)
        assert values_read(store, A) == of_work(rule, A)
        assert cv.ensure_current_view(store) == sequence - 1  # readers never write
        ingest_feed(store, feed([count(B, 105, "2026-03-31")]), settings=settings)
        assert cv.view_sequence(store) == sequence + 1
        assert in_view(store) == by_rule(store)


def test_feed_written_with_its_view_lines_but_not_its_mark_is_repaired() -> None:
    """A process stopped between the feed's load (feed, view lines, alerts) and the update
    that moves the mark leaves old and new lines side by side: readers see the mark behind
    and use the rule; the next writer refolds the feed and the view is exact again."""
    from alm_ld.analytics.feed_derived import derive_feed
    from alm_ld.mapping import IngestContext, feed_counts, map_feed_ntriples

    settings = Settings(store="oxigraph:")
    with open_store("oxigraph:") as store:
        first, second, third = revisions()
        ingest_all(store, settings, [first, second])
        doc = checked_feed(third, settings=settings)
        sequence = max_sequence(store) + 1
        derived = derive_feed(store, feed_iri(doc), sequence, feed_counts(doc), settings)
        assert derived.view_removed[1:], "the feed changes pairs the view held"
        data, _ = map_feed_ntriples(doc, IngestContext(
            sequence=sequence, ingested_at="2026-06-30T12:00:00Z",
            content_hash=content_hash(doc), ingest_iri="https://w3id.org/alm-ld/id/ingest/x",
            previous=derived.previous))
        view = "".join(line + "\n" for line in derived.view_added).encode()
        store.add_graphs([(feed_iri(doc), data), (cv.VIEW_GRAPH, view)])  # no mark update
        assert not cv.view_is_current(store)
        assert values_read(store, A) == of_work(by_rule(store), A)
        ingest_feed(store, feed([count(B, 105, "2026-03-31")]), settings=settings)
        assert cv.view_sequence(store) == sequence + 1
        assert in_view(store) == by_rule(store)


def test_store_without_a_view_gets_one_built_whole() -> None:
    settings = Settings(store="oxigraph:")
    with open_store("oxigraph:") as store:
        ingest_all(store, settings, [*demo_feeds(), *revisions()])
        expected = in_view(store)
        totals = agg.source_totals(store)
        top = agg.top_works(store, CITATIONS, 100)
        store.update(f"DROP GRAPH {iri(cv.VIEW_GRAPH)}")  # as a store from before issue 15
        assert cv.view_sequence(store) == 0
        # the aggregates (the works index's) do not depend on the view; reads write nothing
        assert agg.source_totals(store) == totals and agg.top_works(store, CITATIONS, 100) == top
        assert cv.view_sequence(store) == 0 and in_view(store) == {}
        cv.refresh_current_view(store)  # what serve start or the next writer runs
        assert in_view(store) == expected
        assert cv.view_sequence(store) == max_sequence(store)


def test_view_survives_a_restart_without_recomputing(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'store'}"
    settings = Settings(store=spec)
    with open_store(spec) as store:
        ingest_all(store, settings, revisions())
        expected = in_view(store)
    with open_store(spec) as store:
        assert cv.refresh_current_view(store) == 0  # nothing to fold: it was kept
        assert in_view(store) == expected


def test_two_clients_of_one_sparql_store_share_the_view(sparql_store_spec: str) -> None:
    settings = Settings(store=sparql_store_spec)
    with open_store(sparql_store_spec) as writer, open_store(sparql_store_spec) as reader:
        ingest_all(writer, settings, revisions()[:2])
        assert in_view(reader) == by_rule(reader)
        ingest_feed(reader, revisions()[2], settings=settings)
        assert in_view(writer) == by_rule(writer)


def test_an_older_computation_never_overwrites_a_newer_one(sparql_store_spec: str) -> None:
    """On a shared store a slow refresh (its newest feed for a pair older than the one the
    stored entries came from) that writes after a newer one leaves those entries alone, pair
    by pair, and still writes the pairs nobody else wrote."""
    settings = Settings(store=sparql_store_spec)
    with open_store(sparql_store_spec) as store:
        ingest_all(store, settings, revisions())
        other = "https://doi.org/10.5555/view-c"
        stale = {(A, CITATIONS): [Observation(
                     "https://w3id.org/alm-ld/id/obs/stale", A, CITATIONS, CROSSREF,
                     ALM_NS + "cumulative", 1, "", "2026-12-31", 1, (1,))],
                 (other, CITATIONS): [Observation(
                     "https://w3id.org/alm-ld/id/obs/other", other, CITATIONS, CROSSREF,
                     ALM_NS + "cumulative", 3, "", "2026-01-31", 1, (1,))]}
        cv._fold_shared(store, 1, stale)
        view = in_view(store)
        assert view[(A, CITATIONS, CROSSREF, ALM_NS + "cumulative")] == 11
        assert view[(other, CITATIONS, CROSSREF, ALM_NS + "cumulative")] == 3
        assert cv.view_sequence(store) == 3  # the mark never moves down


def test_first_ingest_after_opening_repairs_missing_alerts_and_view(tmp_path: Path) -> None:
    """Derived data is recomputed on open, not only on a re-send: a store whose alerts and view
    were lost (a stopped process, an older version) is repaired by the next process's first
    ingest, for every feed."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    settings = Settings(store=spec)
    first, second, third = revisions()
    with open_store(spec) as store:
        ingest_all(store, settings, [first, second])
        marks = """SELECT ?f WHERE { GRAPH ?g { ?g alm:alertsComputedFor ?f } }"""
        assert len(select(store, marks)) == 2
        for graph in store.graph_names():
            if str(graph).startswith(cv.VIEW_GRAPH) or "/alerts/" in str(graph):
                store.update(f"DROP GRAPH {iri(str(graph))}")
        assert select(store, marks) == [] and cv.view_sequence(store) == 0
    with open_store(spec) as store:  # the next process
        ingest_feed(store, third, settings=settings)
        assert len(select(store, marks)) == 3
        assert cv.view_sequence(store) == 3
        assert in_view(store) == by_rule(store)


def test_first_page_of_works_follows_the_next_feed() -> None:
    """GET /works reads the works index (analytics.works_index), caught up with every feed:
    a page asked again after an ingest ranks the new value, and nothing is kept in the view."""
    from alm_ld.analytics import works_list as wl

    settings = Settings(store="oxigraph:")
    with open_store("oxigraph:") as store:
        ingest_all(store, settings, revisions()[:2])
        query = wl.parse_works_query(filter="has_metric:citations", sort="citations:desc",
                                     per_page="1")
        first = wl.list_works(store, query)
        assert first["results"][0]["id"] == A and first["results"][0]["metrics"]["citations"] == 20
        assert wl.list_works(store, query) == first
        ingest_feed(store, feed([count(B, 50, "2026-03-31")]), settings=settings)
        after = wl.list_works(store, query)
        assert after["results"][0]["id"] == B and after["results"][0]["metrics"]["citations"] == 50
        kept = "SELECT ?a WHERE { GRAPH ?g { ?a alm:keptAnswer ?x } }"
        assert select(store, kept) == []
