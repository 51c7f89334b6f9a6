"""Ingest reads a held pair's state instead of its history (alm_ld.analytics.pair_state) and
must derive exactly what the whole history gives: the same view lines, revisions and alerts,
feed by feed, through appends, revisions of the latest period, returns to an earlier value,
resent counts, backfills of older periods and interval periods old and new."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from alm_ld.analytics import current_view as cv
from alm_ld.analytics import feed_derived, pair_state
from alm_ld.analytics.alerts import query_alerts
from alm_ld.analytics.sparql import select
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.sparql_text import iri
from alm_ld.store import open_store
from tests.analytics.feeds import count, feed

WORKS = [f"https://doi.org/10.5555/state.{n}" for n in range(3)]
CUMULATIVE = [("citations", "crossref"), ("citations", "openalex"), ("tweets", "crossref")]
INTERVAL = [("views", "crossref")]


class History:
    """What has been sent per series, to make the next feed's items."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sent: dict[tuple[str, ...], dict[tuple[str | None, str], list[int]]] = {}

    def cumulative(self, work: str, metric: str, source: str) -> dict[str, Any]:
        rng, keys = self.rng, self.sent.setdefault((work, metric, source), {})
        ends = sorted(end for _, end in keys)
        move = rng.choice(["append"] * 4 + ["revise", "revert", "resend", "backfill"])
        if not ends or move == "append":
            end = f"2026-01-{len(ends) * 2 + 2:02d}"
            last = keys[(None, ends[-1])][-1] if ends else 10
            value = max(0, last + rng.choice([-4, 3, 9, 25, 4000]))
        elif move == "backfill":
            end = f"2026-01-{rng.randrange(1, len(ends) * 2 + 1):02d}"
            value = rng.randrange(0, 60)
        else:
            end = ends[-1]
            values = keys[(None, end)]
            value = {"revise": values[-1] + rng.choice([-5, 2, 30]),
                     "revert": values[0], "resend": values[-1]}[move]
        value = max(0, value)
        keys.setdefault((None, end), []).append(value)
        return count(work, value, end, metric=metric, source=source)

    def interval(self, work: str, metric: str, source: str) -> dict[str, Any]:
        rng, keys = self.rng, self.sent.setdefault((work, metric, source), {})
        month = rng.randrange(1, 7)
        start, end = f"2026-{month:02d}-01", f"2026-{month:02d}-28"
        values = keys.setdefault((start, end), [])
        value = rng.choice([values[0], rng.randrange(0, 90)]) if values else rng.randrange(0, 90)
        values.append(value)
        return count(work, value, end, metric=metric, source=source,
                     aggregation="interval", start=start)


def feeds(seed: int, how_many: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    history = History(rng)
    for _ in range(how_many):
        items = []
        for work in rng.sample(WORKS, rng.randint(1, len(WORKS))):
            for metric, source in rng.sample(CUMULATIVE, rng.randint(1, len(CUMULATIVE))):
                items.append(history.cumulative(work, metric, source))
            if rng.random() < 0.6:
                items.append(history.interval(work, *INTERVAL[0]))
        yield feed(items)


def view(store: Any) -> set[tuple[str, str, str]]:
    return {(r["s"], r["p"], r["o"]) for r in select(
        store, f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri(cv.VIEW_GRAPH)} {{ ?s ?p ?o }} }}")}


def revisions(store: Any) -> set[tuple[str, str]]:
    return {(r["o"], r["p"]) for r in select(
        store, "SELECT ?o ?p WHERE { GRAPH ?g { ?o prov:wasRevisionOf ?p } }")}


def alerts(store: Any) -> set[tuple[Any, ...]]:
    return {(a.type, a.work, a.metric, a.source, a.other_source, a.value, a.previous_value,
             a.observation, a.previous_observation, tuple(a.feeds), tuple(a.previous_feeds),
             a.message) for a in query_alerts(store, limit=100_000)}


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[list[int]]:
    """Count the calls ``feed_derived`` makes to its helper ``name`` (still running it)."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(feed_derived, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(feed_derived, name, counted)
        yield calls


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_state_gives_what_the_whole_history_gives_feed_by_feed(
        seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_state_spec, by_history_spec = f"oxigraph:{tmp_path / 'a'}", f"oxigraph:{tmp_path / 'b'}"
    histories = states = checks = 0
    with open_store(by_state_spec) as by_state, open_store(by_history_spec) as by_history:
        for number, doc in enumerate(feeds(seed, 18)):
            with counting(monkeypatch, "read_observations") as read, \
                    counting(monkeypatch, "stored_nodes") as looked_up:
                ingest_feed(by_state, doc, settings=Settings(store=by_state_spec))
            histories += len(read)
            states += number > 0 and not read
            checks += len(looked_up)
            with monkeypatch.context() as patch:  # the reference: always the whole history
                patch.setattr(feed_derived, "observations_if_enough", lambda *a: None)
                ingest_feed(by_history, doc, settings=Settings(store=by_history_spec))
            assert view(by_state) == view(by_history), f"view after feed {number}"
            assert revisions(by_state) == revisions(by_history), f"revisions, feed {number}"
            assert alerts(by_state) == alerts(by_history), f"alerts after feed {number}"
        kept = view(by_state)
        by_state.update(f"DROP GRAPH {iri(cv.VIEW_GRAPH)}")
        cv.refresh_current_view(by_state)
        assert view(by_state) == kept  # and both equal the view rebuilt from every feed
        assert alerts(by_state)  # the rules had something to say
    assert states >= 3, "some feeds about held pairs must be derived from states alone"
    assert histories >= 1, "a backfill must still read the history"
    assert checks >= 1, "a revision must look its node up"


def test_a_return_to_an_earlier_value_reads_the_history(
        store: Any, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The earlier node is stored with its first feed, which the state does not list: without
    the lookup the node's feeds would be written short."""
    work = WORKS[0]
    ingest(feed([count(work, 5, "2026-01-02")]))
    ingest(feed([count(work, 6, "2026-01-02")]))
    with counting(monkeypatch, "read_observations") as read:
        ingest(feed([count(work, 7, "2026-01-02")]))
    assert not read  # a new value of the latest period: the state is enough
    with counting(monkeypatch, "read_observations") as read:
        ingest(feed([count(work, 5, "2026-01-02")]))
    assert read  # back to the first value: that node's history is read


def test_state_lists_the_latest_two_cumulative_and_every_interval_period() -> None:
    from alm_ld.analytics.observation_rows import Observation
    from alm_ld.vocab import ALM_NS, ID_NS

    def obs(n: int, end: str, aggregation: str, start: str | None = None) -> Observation:
        return Observation(f"{ID_NS}obs/{n:032x}", "w", "m", "s", ALM_NS + aggregation, n,
                           start, end, n, (n,), [f"urn:feed:{n}"])

    cumulative = [obs(1, "2026-01-01", "cumulative"), obs(2, "2026-01-02", "cumulative"),
                  obs(3, "2026-01-03", "cumulative")]
    periods = [obs(10 + k, f"2026-0{k}-28", "interval", f"2026-0{k}-01") for k in range(1, 4)]
    text = pair_state.encode({("s", ALM_NS + "cumulative"): cumulative,
                              ("s", ALM_NS + "interval"): periods}, cutoff=99, as_of=7)
    feeds = {n: f"urn:feed:{n}" for n in range(20)}
    decoded = pair_state.decode(text, "w", "m", feeds)
    assert decoded is not None
    assert [o.iri for o in decoded[("s", ALM_NS + "cumulative")]] == \
        [o.iri for o in cumulative[-2:]]
    assert decoded[("s", ALM_NS + "interval")] == periods
    assert pair_state.as_of_of(text) == 7
    # More interval periods than listed: the oldest are one rest (sum, latest end, newest
    # sequence), decoded as a stand-in in no feed.
    many = [obs(k, f"2026-{1 + k // 28:02d}-{1 + k % 28:02d}", "interval",
                f"2026-{1 + k // 28:02d}-{1 + k % 28:02d}")
            for k in range(1, pair_state.MAX_PERIODS + 7)]
    feeds = {n: f"urn:feed:{n}" for n in range(100)}
    decoded = pair_state.decode(pair_state.encode({("s", ALM_NS + "interval"): many}, 99, 7),
                                "w", "m", feeds)
    assert decoded is not None
    rest, *listed = decoded[("s", ALM_NS + "interval")]
    assert listed == many[6:]
    assert (rest.start, rest.value, rest.end, rest.sequence, rest.feeds) == (
        pair_state.REST, sum(o.value for o in many[:6]), many[5].end, 6, [])
    assert pair_state.decode(f"7 s {ALM_NS}interval *", "w", "m", feeds) is None  # 1st version
    # the feeds a state names, which ingest looks up (and no others)
    assert pair_state.sequences_of(text) == {2, 3, 11, 12, 13}
    assert pair_state.sequences_of(pair_state.encode(
        {("s", ALM_NS + "interval"): many}, 99, 7)) == {o.sequence for o in many[6:]}
    assert pair_state.sequences_of(None) == pair_state.sequences_of("garbage x") == set()
    assert pair_state.decode("not a state", "w", "m", feeds) is None


def test_a_daily_interval_series_past_the_listed_periods_reads_no_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Daily page views: more periods than a state lists. The oldest become its rest (their
    sum), so new days and revisions of recent ones still read no history — only a revision
    of a day inside the rest does — and everything equals what the whole history gives."""
    from datetime import date, timedelta

    by_state_spec, by_history_spec = f"oxigraph:{tmp_path / 'a'}", f"oxigraph:{tmp_path / 'b'}"
    work, first = WORKS[2], date(2026, 1, 1)

    def day(n: int) -> dict[str, Any]:
        when = (first + timedelta(days=n)).isoformat()
        return count(work, 10 + n % 7 + (n // 10), when, metric="views",
                     aggregation="interval", start=when)

    reads: list[str] = []
    with open_store(by_state_spec) as by_state, open_store(by_history_spec) as by_history:
        for n in range(pair_state.MAX_PERIODS + 16):
            items, kind = [day(n)], "new day"
            if n > pair_state.MAX_PERIODS and n % 5 == 0:
                items.append({**day(n - 3), "value": 99 + n})
                kind = "recent day revised"
            if n > pair_state.MAX_PERIODS and n % 9 == 0:
                items.append({**day(n - pair_state.MAX_PERIODS - 5), "value": 77 + n})
                kind = "old day revised"
            doc = feed(items)
            with counting(monkeypatch, "read_observations") as read:
                ingest_feed(by_state, doc, settings=Settings(store=by_state_spec))
            if n > 0:
                reads.append(f"{kind}: {'history' if read else 'state'}")
            with monkeypatch.context() as patch:
                patch.setattr(feed_derived, "observations_if_enough", lambda *a: None)
                ingest_feed(by_history, doc, settings=Settings(store=by_history_spec))
            assert view(by_state) == view(by_history), f"view after day {n}"
            assert revisions(by_state) == revisions(by_history), f"revisions, day {n}"
            assert alerts(by_state) == alerts(by_history), f"alerts after day {n}"
        states = [o for (_, p, o) in view(by_state) if p == cv._A["pairState"]]
    assert set(reads) == {"new day: state", "recent day revised: state",
                          "old day revised: history"}, reads
    assert len(states) == 1 and "~" in states[0]  # the rest is in the state
    assert len(states[0]) < 64 * 70  # bounded by the listed periods, however many days


def test_an_ingest_from_states_looks_up_only_the_feeds_they_name(
        store: Any, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading every feed's sequence grew with the store (260 ms an ingest at 20,000 feeds);
    the feeds a state names are looked up by their sequences."""
    from alm_ld.analytics import observation_rows

    work = WORKS[0]
    ids = [ingest(feed([count(work, 5 + n, f"2026-01-{2 + n:02d}")])).feed_id for n in range(3)]
    assert observation_rows.feeds_of(store, [3, 1, 99]) == {1: ids[0], 3: ids[2]}
    assert observation_rows.feeds_between(store, 1, 3) == [(ids[1], 2), (ids[2], 3)]

    real_query = store.query

    def query(sparql: str, *args: Any, **kwargs: Any) -> Any:
        assert observation_rows.FEED_SEQUENCES not in sparql, "read every feed's sequence"
        return real_query(sparql, *args, **kwargs)

    monkeypatch.setattr(store, "query", query)
    ingest(feed([count(work, 3, "2026-01-09")]))  # a new period, and a decrease
    assert [(a.previous_value, a.value) for a in query_alerts(store)
            if a.type == "CountDecreased"] == [(7, 3)]
    with counting(monkeypatch, "read_observations") as read:
        ingest(feed([count(work, 6, "2026-01-03")]))  # a backfill: the pair's history ...
    assert read  # ... whose feeds are looked up by their graphs, not all read


def test_a_view_written_before_states_is_read_by_history_and_gets_states(
        store: Any, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose view nodes have no ``alm:pairState`` (written by an older version): its
    pairs are still found held (their old lines deleted), read by their history once, and
    carry a state from then on."""
    work = WORKS[1]
    ingest(feed([count(work, 5, "2026-01-02"), count(work, 3, "2026-01-02", metric="tweets")]))
    graph = iri(cv.VIEW_GRAPH)
    store.update(f"DELETE WHERE {{ GRAPH {graph} {{ ?n <{cv._A['pairState']}> ?s }} }}")
    with counting(monkeypatch, "read_observations") as read:
        ingest(feed([count(work, 8, "2026-01-04")]))
    assert read
    kept = view(store)
    store.update(f"DROP GRAPH {graph}")
    cv.refresh_current_view(store)
    rebuilt = view(store)
    assert kept <= rebuilt  # no old line left behind; the touched pair got its state back,
    # the untouched one (tweets) gets it with its next feed (or here, the rebuild)
    assert [t[1] for t in rebuilt - kept] == [cv._A["pairState"]]
    assert len([t for t in kept if t[1] == cv._A["pairState"]]) == 1
    with counting(monkeypatch, "read_observations") as read:
        ingest(feed([count(work, 9, "2026-01-06")]))
    assert not read


def test_over_http_feeds_about_held_works_are_derived_from_states(
        live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an aggregator and an institution see after ``POST /feeds`` about a work the store
    holds: the alerts (``GET /alerts``) and the current value (SPARQL over the view), from
    feeds whose derived data came from the pair's state — no history read."""
    import requests

    spec = "oxigraph:"
    store = open_store(spec)
    live = live_server(Settings(store=spec, tokens=("secret",)), store)
    work = "https://doi.org/10.5555/state.http"

    def post(value: int, end: str) -> None:
        sent = requests.post(live.url + "/feeds", json=feed([count(work, value, end)]),
                             headers={"Authorization": "Bearer secret"}, timeout=60)
        assert sent.status_code == 201, sent.text

    def current() -> int:
        query = f"""PREFIX alm: <https://w3id.org/alm-ld/vocab#>
SELECT ?v WHERE {{ GRAPH <{cv.VIEW_GRAPH}> {{ ?e alm:forWork <{work}> ;
  alm:forMetric <https://w3id.org/alm-ld/metrics/citations> ; alm:currentValue ?v }} }}"""
        got = requests.get(live.url + "/sparql", params={"query": query}, timeout=30,
                           headers={"Accept": "application/sparql-results+json"})
        assert got.status_code == 200, got.text
        return int(got.json()["results"]["bindings"][0]["v"]["value"])

    post(10, "2026-01-02")
    with counting(monkeypatch, "read_observations") as read:
        post(12, "2026-01-04")  # a new period
        assert current() == 12
        post(8, "2026-01-04")  # the latest period revised down
        assert current() == 8
    assert not read
    got = requests.get(live.url + "/alerts?type=CountDecreased", timeout=30,
                       headers={"Accept": "application/json"})
    assert got.status_code == 200, got.text
    assert sorted((a["previousValue"], a["value"]) for a in got.json()["alerts"]) == \
        [(10, 8), (12, 8)]  # below the period before, and revised down
    store.close()


@pytest.mark.parametrize("chunk", [0, 40])
def test_a_shared_store_publishes_each_feed_with_what_an_owned_store_writes(
        chunk: int, sparql_store_spec: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On a shared ``sparql:`` store (a real ``oxigraph serve``) each feed is published with
    its view lines, alerts and the view's mark in one conditional operation, derived from pair
    states like an owned store's — not published alone and folded after by reading every
    pair's history. ``chunk`` 40 sends the publication through staging graphs (deletions of
    old view lines included), 0 as one request."""
    shared_matches_owned(sparql_store_spec, chunk, tmp_path, monkeypatch)


def shared_matches_owned(spec: str, chunk: int, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Feed by feed, a shared store ``spec`` (emptied) ends as an owned one (also used over
    Virtuoso, tests/virtuoso)."""
    from alm_ld import pipeline

    sparql_store_spec = spec
    owned_spec = f"oxigraph:{tmp_path / 'owned'}"
    settings = Settings(store=sparql_store_spec, update_chunk=chunk)
    published_alone: list[int] = []
    real_mapped = pipeline._mapped
    monkeypatch.setattr(pipeline, "_mapped", lambda *a: published_alone.append(1)
                        or real_mapped(*a))
    states = 0
    with open_store(sparql_store_spec, settings=settings) as shared, \
            open_store(owned_spec) as owned:
        for number, doc in enumerate(feeds(seed=3, how_many=12)):
            with counting(monkeypatch, "read_observations") as read:
                result = ingest_feed(shared, doc, settings=settings)
            states += number > 0 and not read
            assert result.status == "created" and result.sequence == number + 1
            ingest_feed(owned, doc, settings=Settings(store=owned_spec))
            assert cv.view_is_current(shared)
            assert view(shared) == view(owned), f"view after feed {number}"
            assert revisions(shared) == revisions(owned), f"revisions after feed {number}"
            assert alerts(shared) == alerts(owned), f"alerts after feed {number}"
        assert not published_alone  # every feed went with its derived data
        assert not shared.query(  # no staging graph or claim left behind
            "ASK { GRAPH ?g { ?s ?p ?o } FILTER (CONTAINS(STR(?g), 'staging') "
            "|| CONTAINS(STR(?g), 'claims')) }").boolean
        assert alerts(shared)
    assert states >= 3
