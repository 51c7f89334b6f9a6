"""GET /changes (in-process: order, cursors, concurrency) and /changes/stream (SSE, over real
HTTP: the stream itself is under test)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from alm_ld.analytics.changes import Cursor
from alm_ld.pipeline import ingest_feed
from tests.analytics.feeds import count, event, feed

WORK = "https://doi.org/10.5555/changes.1"


def _page(app, url, **params):
    response = app.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.get_json()


def _follow(app, first_url, **params):
    """Every item reachable by following `next` until a page has none (it is empty: caught
    up); that page's `id` is where to poll later."""
    items, doc = [], _page(app, first_url, **params)
    for _ in range(1000):
        items += doc["orderedItems"]
        if "next" not in doc:
            assert doc["orderedItems"] == []
            return items, doc["id"]
        doc = _page(app, doc["next"])
    raise AssertionError("following next did not end")


def test_as2_page_in_ingest_order(app_client, store, ingest):
    one = feed([count(WORK, 1, "2026-01-01"), event("https://en.wikipedia.org/wiki/A",
                                                      "references", WORK)])
    two = feed([count(WORK, 2, "2026-01-01")])  # same key, new value: a revision
    ingest(one, two)
    live = app_client(store=store)
    doc = _page(live, "/changes", since="2000-01-01T00:00:00Z")
    assert doc["@context"] == "https://www.w3.org/ns/activitystreams"
    assert doc["type"] == "OrderedCollectionPage"
    assert doc["partOf"] == f"{live.url}/changes"
    kinds = [(a["type"], a["context"], a["object"]["type"]) for a in doc["orderedItems"]]
    assert kinds == [("Create", one["id"], "Event"), ("Create", one["id"], "alm:Observation"),
                     ("Update", two["id"], "alm:Observation")]
    revised = doc["orderedItems"][2]["object"]
    assert revised["value"] == 2 and revised["prov:wasRevisionOf"]["id"] == \
        doc["orderedItems"][1]["object"]["id"]
    assert revised["@context"] == "https://w3id.org/alm-ld/context/v1.jsonld"
    assert doc["orderedItems"][0]["published"].endswith("Z")


def test_since_skips_earlier_feeds_and_repeats_are_not_changes(app_client, store, ingest):
    ingest(feed([count(WORK, 1, "2026-01-01")]))
    # Ingest times are stored to the millisecond: keep `middle` a few ms clear of both ingests,
    # or a second ingest in the same millisecond would sort before a microsecond `middle`.
    time.sleep(0.005)
    middle = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    time.sleep(0.005)
    again = feed([count(WORK, 1, "2026-01-01"), count(WORK, 5, "2026-01-02")])
    ingest(again)
    live = app_client(store=store)
    items, _ = _follow(live, "/changes", since=middle)
    assert [(a["object"]["value"], a["context"]) for a in items] == [(5, again["id"])]


def test_paging_with_small_pages_and_resuming(app_client, store, ingest):
    ingest(*[feed([count(WORK, v, f"2026-01-{d:02d}") for d in range(1, 4)], )
             for v in (10, 20)])
    live = app_client(store=store)
    items, resume = _follow(live, "/changes", since="2000-01-01", limit=2)
    assert len(items) == 6 and len({a["object"]["id"] for a in items}) == 6
    assert _page(live, resume)["orderedItems"] == []
    ingest(feed([count(WORK, 99, "2026-02-01")]))
    later = _page(live, resume)["orderedItems"]
    assert [a["object"]["value"] for a in later] == [99]


def test_the_collection_itself(app_client, store, ingest):
    """GET /changes (what every page's partOf names) is the AS2 OrderedCollection: first walks
    everything, last is the page after the newest change (empty, no next, until an ingest)."""
    ingest(feed([count(WORK, 1, "2026-01-01"), count(WORK, 2, "2026-01-02")]),
           feed([count(WORK, 1, "2026-01-01"), count(WORK, 3, "2026-01-03")]))
    live = app_client(store=store)
    doc = _page(live, "/changes", limit=2)
    assert doc["@context"] == "https://www.w3.org/ns/activitystreams"
    assert doc["type"] == "OrderedCollection" and doc["id"] == f"{live.url}/changes"
    assert doc["totalItems"] == 3  # the repeated observation is not a change
    items, resume = _follow(live, doc["first"])
    assert len(items) == 3
    last = _page(live, doc["last"])
    assert last["orderedItems"] == [] and "next" not in last
    assert last["partOf"] == doc["id"]
    ingest(feed([count(WORK, 4, "2026-01-04")]))
    assert [a["object"]["value"] for a in _page(live, doc["last"])["orderedItems"]] == [4]
    assert [a["object"]["value"] for a in _page(live, resume)["orderedItems"]] == [4]
    assert _page(live, "/changes")["totalItems"] == 4


def test_bad_parameters_are_problems(app_client, store):
    live = app_client(store=store)
    for params in ({"cursor": "!!!"}, {"cursor": Cursor(1).encode()[:-3] + "zzz"},
                   {"since": "last tuesday"}, {"since": "2026-01-01T00:00:00"},
                   {"since": "2026-01-01", "limit": "5000"}):
        response = live.get("/changes", params=params)
        assert response.status_code == 400, params
        assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.slow
def test_concurrent_ingest_no_gaps_no_duplicates(app_client, store, oxigraph_settings):
    live = app_client(store=store)
    feeds = [feed([count(f"https://doi.org/10.5555/conc.{n}", v, f"2026-01-{v:02d}")
                   for v in range(1, 1 + n % 4 + 1)]) for n in range(40)]
    expected = {(doc["id"], item["value"], item["work"]) for doc in feeds
                for item in doc["items"]}
    done = threading.Event()
    failures: list[BaseException] = []

    def writer():
        try:
            for doc in feeds:
                ingest_feed(store, doc, settings=oxigraph_settings)
        except BaseException as error:  # surfaced by the assertion below
            failures.append(error)
        finally:
            done.set()

    seen: list[tuple[str, int, str]] = []
    sequences: list[int] = []
    thread = threading.Thread(target=writer)
    thread.start()
    doc = _page(live, "/changes", since="2000-01-01T00:00:00Z", limit=3)
    while True:
        for activity in doc["orderedItems"]:
            obj = activity["object"]
            seen.append((activity["context"], obj["value"], obj["work"]))
            sequences.append(feeds.index(next(f for f in feeds if f["id"] == activity["context"])))
        if not doc["orderedItems"] and done.is_set():
            doc = _page(live, doc["id"])  # one more read after the writer finished
            if not doc["orderedItems"]:
                break
            continue
        doc = _page(live, doc.get("next", doc["id"]))  # caught up: poll the same position again
    thread.join()
    assert not failures
    assert len(seen) == len(set(seen)), "an item was delivered twice"
    assert set(seen) == expected, "an item was missed"
    assert sequences == sorted(sequences), "items out of ingest order"


def _sse_events(response, wanted):
    """Read `wanted` SSE events (dicts with id/event/data) from a streaming response."""
    events, current = [], {}
    for raw in response.iter_lines(decode_unicode=True):
        if raw == "":
            if "event" in current:
                events.append(current)
                if len(events) == wanted:
                    return events
            current = {}
        elif not raw.startswith(":"):
            field, _, value = raw.partition(":")
            current[field] = value.lstrip(" ")
    return events


def test_server_sent_events_push_each_ingest(live_server, store, oxigraph_settings, ingest):
    first = feed([count(WORK, 1, "2026-01-01")])
    ingest(first)
    live = live_server(store=store)
    with requests.get(f"{live.url}/changes/stream", stream=True, timeout=20) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        second = feed([count(WORK, 2, "2026-01-02"), count(WORK, 3, "2026-01-03")])
        threading.Timer(0.2, lambda: ingest_feed(store, second, settings=oxigraph_settings)).start()
        [pushed] = _sse_events(response, 1)
    assert pushed["event"] == "ingest" and pushed["id"] == "2"
    data = json.loads(pushed["data"])
    assert data["feed"] == second["id"] and data["observations"] == 2
    page = requests.get(data["changes"], timeout=10).json()
    assert {a["context"] for a in page["orderedItems"]} == {second["id"]}


def test_server_sent_events_resume_from_last_event_id(live_server, store, ingest):
    docs = [feed([count(WORK, v, "2026-01-01")]) for v in (1, 2, 3)]
    ingest(*docs)
    live = live_server(store=store)
    with requests.get(f"{live.url}/changes/stream", headers={"Last-Event-ID": "1"},
                      stream=True, timeout=20) as response:
        events = _sse_events(response, 2)
    assert [json.loads(e["data"])["feed"] for e in events] == [docs[1]["id"], docs[2]["id"]]


def _bare_feed(store, sequence, ingested_at):
    from rdflib import URIRef

    name = f"urn:test:feed:{sequence}"
    alm = "https://w3id.org/alm-ld/vocab#"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    data = (f'<{name}> <{alm}sequence> "{sequence}"^^<{xsd}integer> .\n'
            f'<{name}> <{alm}ingestedAt> "{ingested_at}"^^<{xsd}dateTime> .\n')
    store.add_graph(URIRef(name), data.encode())


def test_a_fresh_gap_in_sequences_holds_the_feed_back(store):
    from datetime import timedelta

    from alm_ld.analytics.changes import visible_feeds

    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    _bare_feed(store, 1, "2026-06-01T11:59:00Z")
    _bare_feed(store, 3, "2026-06-01T11:59:50Z")  # 2 is still being written
    assert [f.sequence for f in visible_feeds(store, 0, now=now)] == [1]
    later = now + timedelta(minutes=5)  # 2 never came: the gap is skipped
    assert [f.sequence for f in visible_feeds(store, 0, now=later)] == [1, 3]


def test_changes_page_is_activity_streams_rdf_offline(app_client, store, ingest):
    """A JSON-LD processor reads a /changes page as AS2 triples, with the embedded objects in
    alm-ld terms; alm_ld.jsonld serves both contexts from the package (nothing is fetched)."""
    from rdflib import Dataset, Literal, URIRef
    from rdflib.namespace import RDF, XSD

    from alm_ld.jsonld import to_rdf_nquads

    AS = "https://www.w3.org/ns/activitystreams#"
    ALM = "https://w3id.org/alm-ld/vocab#"
    one = feed([count(WORK, 7, "2026-01-01"),
                event("https://en.wikipedia.org/wiki/A", "references", WORK)])
    ingest(one)
    live = app_client(store=store)
    doc = _page(live, "/changes", since="2000-01-01T00:00:00Z")
    graph = Dataset()
    graph.parse(data=to_rdf_nquads(doc), format="nquads")

    page = URIRef(doc["id"])
    assert (page, RDF.type, URIRef(AS + "OrderedCollectionPage")) in graph
    assert (page, URIRef(AS + "partOf"), URIRef(f"{live.url}/changes")) in graph
    assert (page, URIRef(AS + "next"), URIRef(doc["next"])) in graph
    items = graph.collection(graph.value(page, URIRef(AS + "items")))
    assert len(items) == 2
    objects = {}
    for item in items:
        assert (item, RDF.type, URIRef(AS + "Create")) in graph
        assert (item, URIRef(AS + "actor"), URIRef("https://ror.org/02twcfp32")) in graph
        assert (item, URIRef(AS + "context"), URIRef(one["id"])) in graph
        published = graph.value(item, URIRef(AS + "published"))
        assert isinstance(published, Literal) and published.datatype == XSD.dateTime
        target = graph.value(item, URIRef(AS + "object"))
        objects[graph.value(target, RDF.type)] = target
    observation = objects[URIRef(ALM + "Observation")]
    assert graph.value(observation, URIRef(ALM + "value")).toPython() == 7
    assert (observation, URIRef(ALM + "work"), URIRef(WORK)) in graph
    assert (observation, URIRef(ALM + "source"),
            URIRef("https://w3id.org/alm-ld/sources/crossref")) in graph
    happened = objects[URIRef(ALM + "Event")]
    assert (happened, URIRef(ALM + "relation"),
            URIRef("https://w3id.org/alm-ld/relations/references")) in graph
    assert not list(graph.triples((None, URIRef(AS + "source"), None)))
