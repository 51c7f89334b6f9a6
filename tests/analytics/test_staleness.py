"""Stale-source alerts kept by each ingest equal the whole recomputation, without its scan.

The kept graph (alm_ld.analytics.staleness.keep_stale_alerts, run after every ingest) must hold
exactly what recomputing the whole set at its mark time gives, as feeds are ingested and as
time passes one feed's cutoff at a time; and an ingest must never run the aggregate over every
observation once the graph has a mark.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

import pytest

from alm_ld.analytics import query_alerts
from alm_ld.analytics.alert_rules import STALE_FACTOR
from alm_ld.analytics.sparql import select
from alm_ld.analytics.staleness import keep_stale_alerts, refresh_stale_alerts, stale_alerts
from alm_ld.analytics.timeutil import moment_of
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.pipeline.batch import FeedBatch
from alm_ld.store import open_store
from tests.analytics.feeds import ALTMETRIC, CROSSREF, count, feed
from tests.support.slow_writes import slow_writes

OTHER = {"id": "https://example.org/provider/quiet", "name": "Discloses nothing"}
SPANS = {CROSSREF["id"]: timedelta(days=1), ALTMETRIC["id"]: timedelta(hours=6)}
DISCLOSED = {CROSSREF["id"]: "P1D", ALTMETRIC["id"]: "PT6H"}
# Two providers report crossref's counts: a pair is stale per provider.
SOURCES = {CROSSREF["id"]: ["crossref", "opencitations"], ALTMETRIC["id"]: ["twitter", "crossref"],
           OTHER["id"]: ["wikipedia", "crossref"]}


def _feed(rng: random.Random, provider: dict[str, str], day: int,
          works: list[int] | None = None) -> dict[str, Any]:
    works = works or rng.sample(range(12), rng.randint(2, 6))
    items = [count(f"https://doi.org/10.5555/stale.{w}", rng.randint(1, 50),
                   f"2026-05-{day:02d}", source=rng.choice(SOURCES[provider["id"]]),
                   metric=rng.choice(["citations", "tweets"]))
             for w in works]
    disclosure = ({"updateFrequency": DISCLOSED[provider["id"]]}
                  if provider["id"] in DISCLOSED else None)
    return feed(items, provider=provider, disclosure=disclosure)


def _kept(store: Any) -> set[tuple[Any, ...]]:
    return {(a.iri, a.work, a.source, a.provider, tuple(a.feeds), a.message)
            for a in query_alerts(store, alert_type="StaleSource", limit=100_000)}


def _whole(store: Any, now: Any) -> set[tuple[Any, ...]]:
    return {(a.iri, a.work, a.source, a.provider, tuple(a.feeds), a.message)
            for a in stale_alerts(store, now)}


def _cutoffs(store: Any) -> list[Any]:
    """When each disclosing feed's pairs turn stale, in order (its ingest + 1.5 × span)."""
    rows = select(store, "SELECT ?feed ?provider ?at WHERE { ?feed alm:provider ?provider ; "
                         "alm:ingestedAt ?at }")
    return sorted(moment_of(r["at"]) + SPANS[r["provider"]] * STALE_FACTOR
                  for r in rows if r["provider"] in SPANS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_graph_equals_the_whole_recomputation_as_feeds_come_and_time_passes(
        store, ingest, seed):
    _steps(store, ingest, seed)


def test_kept_graph_equals_the_whole_recomputation_after_a_batch_of_feeds(tmp_path):
    """``alm-ld ingest`` of many files (a FeedBatch) runs each feed's upkeep once the feed is
    durable, while later feeds are prepared and written together: the kept graph must still be
    the whole set. Writes are slowed so that every feed after the first is prepared during a
    write and several land in one load."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    settings = Settings(store=spec)
    with open_store(spec) as store:
        slow_writes(store, pause=0.2)

        def ingest_all(docs: list[dict[str, Any]]) -> None:
            with FeedBatch(store, settings=settings, on_ingested=lambda *_: None) as batch:
                for number, doc in enumerate(docs):
                    batch.add(number, doc)

        _steps(store, None, 5, ingest_all=ingest_all)


@pytest.mark.parametrize("backend", ["memory", "sparql"])
def test_kept_graph_equals_the_whole_recomputation_on_the_other_stores(backend, request):
    """rdflib's store and a shared ``sparql:`` one (writers claim sequences; the hook runs after
    the feed is published) keep the same graph: the compare-and-set and the lexical forms of
    the mark hold on each engine."""
    spec = "memory:" if backend == "memory" else request.getfixturevalue("sparql_store_spec")
    settings = Settings(store=spec)
    with open_store(spec) as other:
        _steps(other, lambda doc: ingest_feed(other, doc, settings=settings), 4)


def _steps(store: Any, ingest: Any, seed: int, ingest_all: Any = None) -> None:
    rng = random.Random(seed)
    providers = [CROSSREF, ALTMETRIC, OTHER]
    first = [_feed(rng, rng.choice(providers), day) for day in range(1, 9)]
    for doc in first if ingest_all is None else ():
        ingest(doc)
    if ingest_all is not None:
        ingest_all(first)
    seen: set[tuple[Any, ...]] = set()
    cleared = 0
    for step, cutoff in enumerate(_cutoffs(store)):
        now = cutoff + timedelta(microseconds=500)  # just past one feed's cutoff
        keep_stale_alerts(store, now=now)
        assert _kept(store) == _whole(store, now), f"after cutoff {step}"
        seen |= _kept(store)
        if step % 3 == 1:  # a provider updates some works later: they are fresh again
            before = _kept(store)
            if ingest_all is None:
                ingest(_feed(rng, rng.choice(providers), 9 + step))
            else:  # several feeds at once on other works (written together), each clearing
                works = rng.sample(range(12), 12)  # what it updated
                ingest_all([_feed(rng, provider, 9 + step, works[4 * n:4 * n + 4])
                            for n, provider in enumerate((CROSSREF, ALTMETRIC, CROSSREF))])
            cleared += len(before - _kept(store))
            # the new feed is younger than the mark: the graph is the whole set at the mark
            # minus what the feed updated, i.e. the whole set at the mark time
            assert _kept(store) == _whole(store, now)
    later = _cutoffs(store)[-1] + timedelta(seconds=1)
    keep_stale_alerts(store, now=later)
    assert _kept(store) == _whole(store, later)
    assert len(seen) >= 5 and cleared >= 1  # the steps did add and clear alerts


def test_kept_graph_survives_a_changed_frequency_and_an_explicit_refresh(store, ingest):
    work = "https://doi.org/10.5555/stale.freq"
    ingest(feed([count(work, 1, "2026-05-01")], disclosure={"updateFrequency": "P1D"}))
    [at] = [moment_of(r["at"]) for r in select(store, "SELECT ?at WHERE { ?f alm:ingestedAt ?at }")]
    keep_stale_alerts(store, now=at + timedelta(hours=30))
    assert len(_kept(store)) == 0  # 30 h < 1.5 × 1 day
    # the provider now says every 12 hours: the same moment is judged by the new span, for
    # both works (30 h > 1.5 × 12 h), though the mark has passed both feeds' old cutoff
    other = "https://doi.org/10.5555/stale.other"
    ingest(feed([count(other, 1, "2026-05-01")], disclosure={"updateFrequency": "PT12H"}))
    keep_stale_alerts(store, now=at + timedelta(hours=30))
    assert {a[1] for a in _kept(store)} == {work, other}
    assert _kept(store) == _whole(store, at + timedelta(hours=30))
    refresh_stale_alerts(store, now=at + timedelta(hours=1))
    assert _kept(store) == set()


def test_an_ingest_does_not_recompute_the_whole_set_once_the_graph_has_a_mark(
        store, ingest, monkeypatch):
    works = [f"https://doi.org/10.5555/stale.scan{n}" for n in range(5)]
    every_second = {"updateFrequency": "PT1S"}  # stale 1.5 s after its feed, in real time
    ingest(feed([count(w, 1, "2026-05-01") for w in works], disclosure=every_second))
    time.sleep(1.6)
    keep_stale_alerts(store)  # as time passes (e.g. from cron)
    assert len(_kept(store)) == 5
    asked: list[str] = []
    real = store.query
    monkeypatch.setattr(store, "query", lambda text, **kw: asked.append(text) or real(text, **kw))
    ingest(feed([count(works[0], 2, "2026-05-02")], disclosure=every_second))
    assert asked and not [q for q in asked if "GROUP BY" in q and "alm:source" in q]
    assert {a[1] for a in _kept(store)} == set(works[1:])  # the updated work is fresh


def test_a_feed_that_crossed_its_cutoff_is_checked_once_even_without_alerts(
        store, ingest, monkeypatch):
    """A daily provider re-harvesting every work: each feed crosses its cutoff with no stale
    pair (a newer feed updated them all). The mark must still move past it — else every later
    upkeep checks it again, and all feeds since the last alert, a pass that grows with time."""
    works = [f"https://doi.org/10.5555/stale.once{n}" for n in range(3)]
    daily = {"updateFrequency": "P1D"}
    ingest(feed([count(w, 1, "2026-05-01") for w in works], disclosure=daily))
    time.sleep(0.01)  # ingestedAt has milliseconds: two feeds of one instant are not ordered
    ingest(feed([count(w, 2, "2026-05-02") for w in works], disclosure=daily))
    first, second = _cutoffs(store)
    assert first < second
    now = first + (second - first) / 2  # the first feed crossed, the second not yet
    keep_stale_alerts(store, now=now)
    assert _kept(store) == set() == _whole(store, now)
    asked: list[str] = []
    real = store.query
    monkeypatch.setattr(store, "query", lambda text, **kw: asked.append(text) or real(text, **kw))
    keep_stale_alerts(store, now=now + (second - now) / 2)
    assert not [q for q in asked if "FILTER(?g IN" in q], "the crossed feed was checked again"


def test_a_trailing_zero_in_the_milliseconds_does_not_reorder_feeds(store, ingest, monkeypatch):
    """The store writes 31.100Z as 31.1Z. Feeds were ordered by "<ingestedAt> <feed>" strings,
    which put 31.1Z after 31.11Z: the pairs the newer feed updated were reported stale since
    the older one (a CI run failed so, by chance of the clock)."""
    from alm_ld import pipeline

    works = [f"https://doi.org/10.5555/stale.zero{n}" for n in range(3)]
    daily = {"updateFrequency": "P1D"}
    second = pipeline._now()[:19]  # this second: the ingests' own upkeep finds nothing stale
    for value, millis in [(1, ".100Z"), (2, ".110Z")]:
        monkeypatch.setattr(pipeline, "_now", lambda instant=second + millis: instant)
        ingest(feed([count(w, value, "2026-05-01") for w in works], disclosure=daily))
    first, second = _cutoffs(store)
    now = first + (second - first) / 2  # the first feed crossed, the second not yet
    keep_stale_alerts(store, now=now)
    assert _whole(store, now) == set()
    assert _kept(store) == set()
    later = second + timedelta(milliseconds=1)
    keep_stale_alerts(store, now=later)
    assert _kept(store) == _whole(store, later)
    assert {(a[1], a[4]) for a in _kept(store)} == {(w, (_feed_iri(store, 2),)) for w in works}


def _feed_iri(store: Any, sequence: int) -> str:
    [row] = select(store, f"SELECT ?f WHERE {{ GRAPH ?f {{ ?f alm:sequence {sequence} }} }}")
    return row["f"]


def test_two_feeds_of_one_millisecond_are_ordered_by_their_sequence(
        store, ingest, monkeypatch):
    """ingestedAt has milliseconds, so two feeds of one provider can share it (fast small
    feeds, concurrent writers). Both the kept graph and the whole recomputation then take the
    one published second as the newer, whatever their IRIs (a string order of IRIs once made
    the kept graph clear an alert the whole set kept)."""
    from alm_ld import pipeline
    from alm_ld.analytics.timeutil import rfc3339

    instant = rfc3339(moment_of(pipeline._now()))
    monkeypatch.setattr(pipeline, "_now", lambda: instant)
    work = "https://doi.org/10.5555/stale.tie"
    late = "urn:uuid:00000000-0000-4000-8000-ffffffffffff"  # the larger IRI, published first
    early = "urn:uuid:00000000-0000-4000-8000-000000000000"
    ingest(feed([count(work, 1, "2026-05-01", source="crossref")], provider=ALTMETRIC,
                disclosure={"updateFrequency": "PT6H"}, feed_id=late))
    (cutoff,) = _cutoffs(store)
    now = cutoff + timedelta(milliseconds=1)
    keep_stale_alerts(store, now=now)
    assert {a[4] for a in _kept(store)} == {(late,)}
    ingest(feed([count(work, 2, "2026-05-01", source="crossref")], provider=ALTMETRIC,
                disclosure={"updateFrequency": "PT6H"}, feed_id=early))
    assert _kept(store) == _whole(store, now)
    assert {a[4] for a in _kept(store)} == {(early,)}  # published second: the newer


def test_an_upkeep_reads_only_the_feeds_published_since_the_last(store, ingest, monkeypatch):
    """The upkeep's feed log: every feed's provider, time and disclosed frequency, read once
    per process; an ingest reads the next sequences only (it read every feed, ~100 ms an ingest
    at 1,500 small feeds of a disclosing provider). A store whose feeds were replaced under the
    same object is read again."""
    from alm_ld.analytics.staleness import frequencies

    daily = {"updateFrequency": "P1D"}
    for n in range(3):
        ingest(feed([count(f"https://doi.org/10.5555/stale.log{n}", 1, "2026-05-01")],
                    disclosure=daily))
    asked: list[str] = []
    real = store.query
    monkeypatch.setattr(store, "query", lambda text, **kw: asked.append(text) or real(text, **kw))
    ingest(feed([count("https://doi.org/10.5555/stale.log9", 1, "2026-05-01")],
                disclosure={"updateFrequency": "PT6H"}))
    reads = [q for q in asked if "alm:ingestedAt ?at ." in q and "?freq" in q]
    assert reads and all("VALUES ?seq" in q for q in reads), "an ingest read every feed"
    assert frequencies(store).text == {CROSSREF["id"]: "PT6H"}  # the latest disclosure wins
    monkeypatch.undo()
    for graph in [str(g) for g in store.graph_names() if str(g).startswith("urn:uuid:")]:
        store.update(f"DROP GRAPH <{graph}>")
    ingest(feed([count("https://doi.org/10.5555/stale.log0", 2, "2026-05-02")]))  # sequence 1
    assert frequencies(store).text == {}  # no longer the dropped feeds' frequencies


def test_over_http_ingests_keep_the_stale_alerts(live_server) -> None:
    """The upkeep each ingest runs, seen by an aggregator over real HTTP: a source that updates
    every second is stale 1.5 s after its feed — reported once the next feed of the provider
    is ingested (no cron), and cleared by the feed that updates the work."""
    import requests

    spec = "oxigraph:"
    store = open_store(spec)
    live = live_server(Settings(store=spec, tokens=("secret",)), store)
    every_second = {"updateFrequency": "PT1S"}
    late, other = "https://doi.org/10.5555/stale.http1", "https://doi.org/10.5555/stale.http2"

    def post(work: str, value: int) -> None:
        sent = requests.post(live.url + "/feeds", timeout=60,
                             json=feed([count(work, value, "2026-05-01")], disclosure=every_second),
                             headers={"Authorization": "Bearer secret"})
        assert sent.status_code == 201, sent.text

    def stale() -> list[str]:
        got = requests.get(live.url + "/alerts?type=StaleSource", timeout=30,
                           headers={"Accept": "application/json"})
        assert got.status_code == 200, got.text
        return sorted(a["work"] for a in got.json()["alerts"])

    post(late, 1)
    time.sleep(1.6)
    post(other, 1)  # its upkeep finds the first feed past its cutoff
    assert stale() == [late]
    post(late, 2)  # the source updated the work
    assert stale() == []
    store.close()
