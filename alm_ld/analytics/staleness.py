"""Stale-source alerts kept current by each ingest at the cost of that ingest, not of the store.

``StaleSource`` (alert_rules.stale_source_alerts): a (work, source, provider) whose newest feed
of that provider was ingested more than ``STALE_FACTOR`` × the provider's disclosed
``updateFrequency`` ago. Recomputing that set is one aggregate over every observation of the
disclosing providers — linear in the store. It used to run after every ingest as soon as some
feed of a provider was old enough, which in a service running for more than a day and a half
with a daily provider (Europe PMC discloses "daily") is always.

The set changes for two reasons only, and each is handled where it happens:

* **An ingest updates pairs**: the new feed's (work, source) pairs of its provider are fresh, so
  their alerts are deleted (a lookup per pair, and only when that provider has alerts).
* **Time passes**: a pair becomes stale when its newest feed crosses the cutoff
  ``now − STALE_FACTOR × span``. The stale graph records the moment up to which crossings
  were added (``prov:generatedAtTime``) and with which frequencies (``alm:contentHash``); an
  upkeep looks only at the feeds that crossed their cutoff since then (each feed crosses once)
  and adds those of their pairs that no newer feed of the provider updated.

So after each upkeep the graph is exactly the whole recomputation as of that moment
(tests/analytics/test_staleness.py compares them step by step); an upkeep writes only when it
clears alerts or some feed crossed its cutoff (the mark then moves past that feed, so each
feed is checked once, even when a newer feed had updated all its pairs). The
whole recomputation, :func:`refresh_stale_alerts`, runs when there is no mark yet (a new or
older store), when a provider's disclosed frequency changed, or when called. The mark moves by
compare-and-set, so two writers never both add the same window.

What the upkeep knows of the feeds themselves (provider, time of ingest, disclosed frequency)
comes from a per-process log that reads each published feed once (:class:`_FeedLog`), not
from a pass over every feed at every ingest.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rdflib import URIRef

from alm_ld.analytics.alert_rules import STALE_FACTOR, Alert, stale_source_alerts
from alm_ld.analytics.alerts import STALE_GRAPH, alerts_ntriples
from alm_ld.analytics.sparql import iri, iri_rows, literal, select
from alm_ld.analytics.timeutil import moment_of, parse_frequency, rfc3339
from alm_ld.sparql_text import PREFIXES, PROV_NS, XSD_NS, values
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS

_GRAPH = iri(STALE_GRAPH)
_AT = f"<{PROV_NS}generatedAtTime>"
_HASH = f"<{ALM_NS}contentHash>"
_PAIRS_PER_QUERY = 500


@dataclass(frozen=True)
class Frequencies:
    """Per disclosing provider, the ``updateFrequency`` of its latest feed that discloses one
    (``text``, for messages) and what it parses to (``span``); providers whose text names no
    duration are left out of ``span``."""

    text: dict[str, str]
    span: dict[str, timedelta]

    def digest(self) -> str:
        """What the stale graph was computed with: a change means recomputing it whole."""
        lines = sorted(f"{p}\t{self.span[p].total_seconds()}\t{self.text[p]}" for p in self.span)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass
class _Feed:
    sequence: int
    provider: str
    at: datetime
    lexical: str
    """``alm:ingestedAt`` as the store writes it (the whole recomputation's keys use it)."""
    iri: str
    frequency: str | None
    """The ``updateFrequency`` the feed discloses, if any."""

    def quoted(self) -> str:
        """The feed as alerts quote a pair's newest one: "<ingestedAt> <feed IRI>"."""
        return f"{self.lexical} {self.iri}"


@dataclass
class _FeedLog:
    """This process's copy of what the upkeep reads of each feed of one store, by sequence.

    Why: the upkeep needs every feed's provider and time (which feeds crossed their cutoff,
    which are newer) and each provider's latest disclosed frequency. Read from the store at
    every ingest, that cost grew with every feed — ~100 ms an ingest at 1,500 small feeds of a
    disclosing provider. A published feed never changes and sequences are published in order
    without gaps (docs/store.md, "Many writers"), so the log reads each feed once: the first
    upkeep of a process reads them all, each later one only the sequences after the last it
    holds (one lookup of the next ones, usually one feed)."""

    upto: int = 0
    feeds: dict[int, _Feed] = field(default_factory=dict)
    by_iri: dict[str, _Feed] = field(default_factory=dict)
    latest: dict[str, str] = field(default_factory=dict)
    """Per provider, the frequency its latest disclosing feed gave (feeds are added in
    sequence order)."""

    def add(self, sequence: int, feed: _Feed) -> None:
        if sequence in self.feeds:
            return
        self.feeds[sequence] = self.by_iri[feed.iri] = feed
        if feed.frequency is not None:
            self.latest[feed.provider] = feed.frequency

    def sequence(self, feed: str) -> int:
        """The order of feeds the upkeep and the whole recomputation share: the published
        sequence (0 for a feed the log does not hold).

        Why not time: ``alm:ingestedAt`` has milliseconds, so two feeds can share it, and its
        lexical form is not fixed-width (Oxigraph writes ``31.1Z`` for ``31.100Z``): ordering
        "<ingestedAt> <feed IRI>" strings put ``31.1Z`` after ``31.11Z``, and a pair whose
        newest feed was ``31.11Z`` was reported stale since the older one. A sequence is an
        integer, unique, and given in publication order."""
        found = self.by_iri.get(feed)
        return found.sequence if found else 0


_LOGS: weakref.WeakKeyDictionary[Store, _FeedLog] = weakref.WeakKeyDictionary()
_LOG_LOCK = threading.Lock()
_NEXT = 256
"""Sequences looked up per query when catching the log up."""


def _feed_log(store: Store) -> _FeedLog:
    """The store's feed log, caught up with every published feed. A sequence above the
    highest one held cannot be published before it (claims), so the next ones are all that
    can be missing; a gap below it is a store's old gap, never filled."""
    with _LOG_LOCK:
        log = _LOGS.get(store)
        if log is None:
            log = _LOGS[store] = _FeedLog()
        while True:
            batch = ""
            if log.upto:  # the last one held too: a store whose data was replaced rereads
                listed = " ".join(map(str, range(log.upto, log.upto + 1 + _NEXT)))
                batch = f"VALUES ?seq {{ {listed} }}"
            rows = select(store, f"""
SELECT ?seq ?feed ?provider ?at (STR(?at) AS ?lexical) ?freq WHERE {{ {batch}
  GRAPH ?feed {{ ?feed alm:sequence ?seq ; alm:provider ?provider ; alm:ingestedAt ?at .
    OPTIONAL {{ ?feed alm:disclosure ?d . ?d alm:updateFrequency ?freq }} }} }}""")
            if batch and not any(int(row["seq"]) == log.upto
                                 and row["feed"] == log.feeds[log.upto].iri for row in rows):
                log = _LOGS[store] = _FeedLog()  # not the feeds it was read from: start over
                continue
            for row in sorted(rows, key=lambda row: int(row["seq"])):
                log.add(int(row["seq"]), _Feed(int(row["seq"]), row["provider"],
                                               moment_of(row["at"]),
                                               row["lexical"], row["feed"], row.get("freq")))
            log.upto = max([log.upto, *log.feeds])
            if not batch or len(rows) <= _NEXT:
                return log


def frequencies(store: Store) -> Frequencies:
    """Per disclosing provider, the frequency of its latest feed that discloses one (from
    the feed log: no pass over the store)."""
    return _frequencies(_feed_log(store))


def _frequencies(log: _FeedLog) -> Frequencies:
    spans = {p: parse_frequency(f) for p, f in log.latest.items()}
    return Frequencies(dict(log.latest), {p: s for p, s in spans.items() if s})


def _feeds_of(log: _FeedLog, providers: Iterable[str]) -> list[_Feed]:
    """Every feed of ``providers`` (callers compare sequences: no order is needed)."""
    wanted = set(providers)
    return [f for f in log.feeds.values() if f.provider in wanted]


def _stale(now: datetime, at: datetime, span: timedelta) -> bool:
    return now - at > span * STALE_FACTOR  # the rule of alert_rules.stale_source_alerts


def stale_alerts(store: Store, now: datetime | None = None,
                 freq: Frequencies | None = None) -> list[Alert]:
    """The whole set as of ``now``: (work, source) pairs whose last update is older than
    ``STALE_FACTOR`` × the ``updateFrequency`` disclosed in the provider's latest feed;
    providers that disclose no frequency (or one that is not an ISO 8601 duration or a word like
    "daily") are not checked. Linear in the observations of the providers it checks."""
    now = now or datetime.now(UTC)
    log = _feed_log(store)
    freq = freq or _frequencies(log)
    # A (work, source) pair can only be stale if some feed of its provider is older than the
    # provider's threshold: providers whose feeds are all recent (e.g. during a bulk ingest)
    # are dropped before the aggregate, which scans every observation of its providers.
    old = sorted({f.provider for f in _feeds_of(log, freq.span)
                  if _stale(now, f.at, freq.span[f.provider])})
    if not old:
        return []
    # A pair's newest feed is its highest sequence (:meth:`_FeedLog.sequence`), up to the
    # last one the log holds: a feed published since is not in it, and is not stale.
    rows = select(store, f"""
SELECT ?work ?source ?provider (MAX(?seq) AS ?last) WHERE {{
  {values("provider", old)}
  GRAPH ?feed {{ ?feed alm:sequence ?seq ; alm:provider ?provider .
    ?obs alm:work ?work ; alm:source ?source }}
  FILTER(?seq <= {log.upto})
}} GROUP BY ?work ?source ?provider""")
    # (a sequence the log lacks — an old gap filled by a restore — is skipped, as the upkeep
    # skips it: the kept graph and this set stay equal)
    last = [{**row, "last": log.feeds[int(row["last"])].quoted()} for row in rows
            if int(row["last"]) in log.feeds]
    return stale_source_alerts(last, {p: freq.span[p] for p in old}, freq.text, now)


def _mark_lines(now: datetime, digest: str) -> str:
    return (f"{_GRAPH} {_AT} {literal(rfc3339(now), XSD_NS + 'dateTime')} .\n"
            f"{_GRAPH} {_HASH} {literal(digest)} .\n")


def refresh_stale_alerts(store: Store, now: datetime | None = None) -> list[Alert]:
    """Recompute the stale-source alerts whole and replace their graph, with its mark (one
    transaction). Linear in the store: :func:`keep_stale_alerts` is what an ingest runs."""
    now = moment_of(rfc3339(now or datetime.now(UTC)))  # exactly the mark it writes
    freq = frequencies(store)
    alerts = stale_alerts(store, now, freq)
    data = alerts_ntriples(alerts) + _mark_lines(now, freq.digest()).encode("utf-8")
    store.add_graph(URIRef(STALE_GRAPH), data, replace=store.has_graph(URIRef(STALE_GRAPH)))
    return alerts


def _mark(store: Store) -> tuple[datetime, str, str] | None:
    """(time, its lexical form, frequencies digest) the stale graph was last brought up to."""
    rows = select(store, f"""
SELECT ?at (STR(?at) AS ?lexical) ?hash WHERE {{
  GRAPH {_GRAPH} {{ {_GRAPH} {_AT} ?at ; {_HASH} ?hash }} }}""")
    if len(rows) != 1:  # none yet (a store from before the mark), or a torn one: recompute
        return None
    # the store's lexical form (it may drop trailing zeros): what the compare-and-set matches
    return moment_of(rows[0]["at"]), rows[0]["lexical"], rows[0]["hash"]


def _freshened(store: Store, feed: str, provider: str, log: _FeedLog) -> list[str]:
    """The stale alerts of ``provider`` about the (work, source) pairs ``feed`` updates, whose
    last feed is older than ``feed`` by the whole recomputation's order (a lower sequence:
    :meth:`_FeedLog.sequence`). An older feed published late refreshes nothing."""
    if not select(store, f"""
SELECT ?a WHERE {{ GRAPH {_GRAPH} {{ ?a alm:provider {iri(provider)} }} }} LIMIT 1"""):
        return []  # the usual case: nothing of this provider is stale
    mine = log.sequence(feed)
    found: list[str] = []
    for chunk in iri_rows(_pairs_of(store, feed), _PAIRS_PER_QUERY):
        found += [row["a"] for row in select(store, f"""
SELECT ?a ?last WHERE {{ VALUES (?work ?source) {{ {chunk} }}
  GRAPH {_GRAPH} {{ ?a alm:work ?work ; alm:source ?source ; alm:provider {iri(provider)} ;
                     alm:feed ?last }}
}}""") if log.sequence(row["last"]) < mine]
    return found


def _pairs_of(store: Store, feed: str) -> list[tuple[str, str]]:
    return sorted({(row["work"], row["source"]) for row in select(store, f"""
SELECT DISTINCT ?work ?source WHERE {{ GRAPH {iri(feed)} {{
  ?obs alm:work ?work ; alm:source ?source }} }}""")})


def _newly_stale(store: Store, crossed: list[_Feed], feeds: list[_Feed], freq: Frequencies,
                 now: datetime) -> list[Alert]:
    """The alerts of the pairs whose newest feed is one of ``crossed`` (feeds that passed the
    cutoff since the mark): per crossed feed, its pairs, less those a newer feed of the same
    provider updated — found by looking each pair up (the graphs holding it), so the cost is
    the feed's pairs and their history, never the store."""
    alerts: list[Alert] = []
    for crossing in crossed:
        provider, last = crossing.provider, crossing.quoted()
        # the whole recomputation's "newest" feed of a pair: its highest sequence
        newer = [f.iri for f in feeds if f.provider == provider and f.sequence > crossing.sequence]
        pairs = _pairs_of(store, crossing.iri)
        updated: set[tuple[str, str]] = set()
        for chunk in iri_rows(pairs, _PAIRS_PER_QUERY) if newer else ():
            # The filter keeps the answer to the pairs (a returned row costs more than a
            # compared one: 42 ms vs 120 ms for 500 pairs with their history, measured)
            updated |= {(row["work"], row["source"]) for row in select(store, f"""
SELECT DISTINCT ?work ?source WHERE {{ VALUES (?work ?source) {{ {chunk} }}
  GRAPH ?g {{ ?other alm:work ?work ; alm:source ?source }}
  FILTER(?g IN ({", ".join(iri(f) for f in newer)}))
}}""")}
        alerts += stale_source_alerts(
            [{"work": w, "source": s, "provider": provider, "last": last}
             for w, s in pairs if (w, s) not in updated], freq.span, freq.text, now)
    return alerts


def keep_stale_alerts(store: Store, feed: str | None = None,
                      now: datetime | None = None) -> None:
    """After ``feed`` was ingested (or with no feed, as time passes): bring the stale graph
    up to ``now`` at the cost of that feed and of the feeds that crossed their cutoff since
    the graph's mark — never a pass over the store, except when there is no usable mark
    (then :func:`refresh_stale_alerts`)."""
    now = moment_of(rfc3339(now or datetime.now(UTC)))  # exactly the mark it will write
    log = _feed_log(store)
    freq = _frequencies(log)
    mark = _mark(store)
    if mark is None and not freq.span:
        return  # no provider discloses a frequency: nothing can be stale, nothing to keep
    if mark is None or mark[2] != freq.digest():
        refresh_stale_alerts(store, now)
        return
    since, since_text, digest = mark
    feeds = _feeds_of(log, freq.span)
    cleared: list[str] = []
    if feed is not None and feed in log.by_iri and log.by_iri[feed].provider in freq.span:
        cleared = _freshened(store, feed, log.by_iri[feed].provider, log)
    # The feeds that crossed their cutoff in the window (since, now]; and the new feed itself
    # when it is already past its cutoff as of the mark (a mark ahead of this writer's clock:
    # another writer's clock, or a refresh for a later moment) — no later window sees it.
    horizon = max(now, since)
    crossed = [f for f in feeds if _stale(horizon, f.at, freq.span[f.provider])
               and (f.iri == feed or not _stale(since, f.at, freq.span[f.provider]))]
    added = _newly_stale(store, crossed, feeds, freq, horizon)
    if not cleared and not crossed:
        return  # the usual ingest: no write (the graph is exact as of now, whatever its mark)
    operations = []
    if cleared:
        operations.append(f"""DELETE {{ GRAPH {_GRAPH} {{ ?a ?p ?o }} }} WHERE {{
  {values("a", cleared)} GRAPH {_GRAPH} {{ ?a ?p ?o }} }}""")
    inserted = alerts_ntriples(added).decode("utf-8")
    if crossed and now > since:
        # The mark moves past every feed that crossed, whether or not it made an alert (a
        # newer feed updated every pair of it), so each feed is checked once. Compare-and-set:
        # the window (since, now] is added only while the mark still says ``since``; a writer
        # that moved it first has added the same window already.
        operations.append(f"""DELETE {{ GRAPH {_GRAPH} {{ {_GRAPH} {_AT} ?at }} }}
INSERT {{ GRAPH {_GRAPH} {{ {inserted}{_mark_lines(now, digest)} }} }}
WHERE {{ GRAPH {_GRAPH} {{ {_GRAPH} {_AT} ?at }}
  FILTER(STR(?at) = {literal(since_text)}) }}""")
    elif added:
        operations.append(f"INSERT DATA {{ GRAPH {_GRAPH} {{ {inserted} }} }}")
    store.update(PREFIXES + " ;\n".join(operations))


__all__ = ["Frequencies", "frequencies", "keep_stale_alerts", "refresh_stale_alerts",
           "stale_alerts"]
