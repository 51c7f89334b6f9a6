"""The current-value view: one named graph holding, per (work, metric, source, aggregation),
the value that is current now, so that reads cost a lookup instead of deduplicating the union
graph (issue 15; the graph and the SPARQL to write against it are in docs/store.md). The
aggregates over every work (totals per source, rankings) are the works index's
(:mod:`alm_ld.analytics.aggregates`): a read never writes here.

Why a graph in the store and not a cache in memory: every process reading the store (two web
servers over one ``sparql:`` store, a CLI run, a restart) must see the same answer, and the
store is the one thing they share.

What it holds (graph ``almid:current``):

* per (work, metric, source, aggregation) a node with ``alm:currentValue`` by the rule
  of :mod:`alm_ld.analytics.series` — per observation key the revision from the newest feed
  (:func:`~alm_ld.analytics.series.newest_per_key`, the ONE rule of "current"), then for a
  cumulative series the value with the latest ``periodEnd`` (ties: newest feed), for an interval
  series the sum of its periods;
* per (work, metric) a node with ``alm:highestValue``, the highest current cumulative value
  among sources (sources overlap, so they are not summed; analytics.works_list),
  ``alm:asOf`` and ``alm:pairState`` (what the pair's next ingest reads instead of its history:
  :mod:`alm_ld.analytics.pair_state`);
* ``almid:current alm:viewSequence N``: every feed with ``alm:sequence`` ≤ N is folded in.

How it stays right: on a store this process owns, ingest writes each feed WITH its view
lines (:mod:`alm_ld.analytics.feed_derived`: :func:`held_pairs`, :func:`view_delta`, then
:func:`mark_update` moves the mark right after the load). A process stopped between the load
and the mark update, a ``sparql:`` writer between its publication and its fold, or a store from
before the view leaves the mark behind: readers see it (:func:`view_is_current`) and answer by
the union-graph rule without writing; the next writer (:func:`refresh_current_view`) refolds
the missing feeds, and a store without a mark is rebuilt whole. Each (work, metric) node carries
``alm:asOf`` (the newest feed that touched the pair), and on a shared store an update never
replaces a pair's entries computed from a newer feed, so concurrent writers cannot put an older
value back.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from rdflib import URIRef

from alm_ld.analytics import pair_state
from alm_ld.analytics.observation_rows import Observation, feeds_between, read_observations
from alm_ld.analytics.series import newest_per_key
from alm_ld.analytics.sparql import iri, iri_rows, literal, select, select_ids
from alm_ld.sparql_text import RDF_NS, XSD_NS, prefixes
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, CUMULATIVE, ID_NS

_PREFIX = prefixes("alm")
"""The one prefix the view's updates use, from sparql_text's table."""

log = logging.getLogger(__name__)

VIEW_GRAPH = ID_NS + "current"
"""The named graph of the view (also the subject of its ``alm:viewSequence`` mark)."""
_XSD_INT = XSD_NS + "integer"
_RDF_TYPE = RDF_NS + "type"
_PAIRS_PER_UPDATE = 2000
_FOLD_MAX = 8
"""A store without a view but with more feeds than this is rebuilt in one pass (one scan of
every observation); fewer are folded feed by feed (a fresh store's first feed: no scan)."""
_LOCK = threading.Lock()
"""One view refresh at a time in this process (other processes are fenced by ``alm:asOf``)."""

_A = {name: ALM_NS + name for name in (
    "forWork", "forMetric", "forSource", "forAggregation", "currentValue",
    "currentObservation", "highestValue", "asOf", "viewSequence", "pairState")}


@dataclass
class Entry:
    """One current value: a (work, metric, source, aggregation) series of the view."""

    work: str
    metric: str
    source: str
    aggregation: str
    value: int
    observation: str | None

    @property
    def node(self) -> str:
        return _node(self.work, self.metric, self.source, self.aggregation)


@functools.lru_cache(maxsize=1 << 16)
def _node(*parts: str) -> str:
    return f"{VIEW_GRAPH}/{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:32]}"


# ---------------------------------------------------------------------------------------------
# Computing entries (pure)


def _current_series(observations: Iterable[Observation]
                    ) -> dict[tuple[str, str, str, str], list[Observation]]:
    """Per (work, metric, source, aggregation) its current revisions (per observation key the
    one from the newest feed), ordered by (period end, sequence, IRI): latest last."""
    revisions = newest_per_key(
        observations, key=lambda o: (o.work, o.metric, o.source, o.aggregation, o.start, o.end),
        rank=lambda o: (o.sequence, o.iri))
    series: dict[tuple[str, str, str, str], list[Observation]] = {}
    for obs in revisions:
        series.setdefault((obs.work, obs.metric, obs.source, obs.aggregation), []).append(obs)
    for members in series.values():
        members.sort(key=lambda o: (o.end, o.sequence, o.iri))
    return series


def _entries(series: dict[tuple[str, str, str, str], list[Observation]]) -> list[Entry]:
    entries = []
    for (work, metric, source, aggregation), members in series.items():
        latest = members[-1]
        if aggregation == CUMULATIVE:
            entries.append(Entry(work, metric, source, aggregation, latest.value, latest.iri))
        else:
            entries.append(Entry(work, metric, source, aggregation,
                                 sum(o.value for o in members), None))
    return entries


def current_entries(observations: Iterable[Observation]) -> list[Entry]:
    """The view entries of the observations of some (work, metric) pairs (all their feeds)."""
    return _entries(_current_series(observations))


def _highest(entries: list[Entry]) -> int | None:
    """The highest current cumulative value among one pair's sources (None: none is
    cumulative)."""
    values = [e.value for e in entries if e.aggregation == CUMULATIVE]
    return max(values) if values else None


# ---------------------------------------------------------------------------------------------
# Reading the store


def _marks(store: Store) -> tuple[int, int]:
    """(the view's mark or 0 when there is no view, the highest feed sequence or 0)."""
    rows = select(store, f"""
SELECT ?mark ?max WHERE {{
  {{ SELECT (MAX(?seq) AS ?max) WHERE {{ GRAPH ?g {{ ?g alm:sequence ?seq }} }} }}
  OPTIONAL {{ GRAPH {iri(VIEW_GRAPH)} {{ {iri(VIEW_GRAPH)} alm:viewSequence ?mark }} }}
}}""")
    row = rows[0] if rows else {}
    return int(row.get("mark") or 0), int(row.get("max") or 0)


def view_sequence(store: Store) -> int:
    """The view's mark: the highest feed sequence folded into it (0: no view). One triple:
    a writer asking it already knows the top sequence (:func:`_marks` also finds that, with a
    pass over every feed's sequence)."""
    rows = select(store, f"SELECT ?mark WHERE {{ GRAPH {iri(VIEW_GRAPH)} "
                         f"{{ {iri(VIEW_GRAPH)} alm:viewSequence ?mark }} }}")
    return max((int(row["mark"]) for row in rows), default=0)


def _feeds_after(store: Store, after: int, upto: int) -> list[tuple[str, int]]:
    """(feed IRI, sequence) of the feeds ``after < sequence ≤ upto``, in sequence order."""
    return feeds_between(store, after, upto)


def _feed_observations(store: Store, feed: str) -> list[Observation]:
    """Every observation of the (work, metric) pairs ``feed`` observes, with the sequences of
    the feeds holding each: the alerts' read of the same feed (alerts.feed_observations, made
    once per ingest; a subquery over ONE named feed graph, which Oxigraph evaluates first —
    with the feed left a variable it scanned every observation, 8 s at 10k works)."""
    from alm_ld.analytics.alerts import feed_observations

    return feed_observations(store, feed)


def _every_observation(store: Store, upto: int) -> list[Observation]:
    """Every observation in a feed up to ``upto`` (for a rebuild), one packed row each."""
    return read_observations(store, upto=upto)


# ---------------------------------------------------------------------------------------------
# Writing


def _as_of(observations: Iterable[Observation], cutoff: int) -> list[Observation]:
    """The observations as the store held them once feed ``cutoff`` was in: only those in a
    feed up to ``cutoff``, each ranked by the newest such feed."""
    seen = []
    for obs in observations:
        if obs.sequence <= cutoff:  # every feed holding it is in (the usual case): as it is
            seen.append(obs)
            continue
        held = [seq for seq in obs.seqs if seq <= cutoff]
        if held:
            seen.append(replace(obs, sequence=max(held)))
    return seen


def _pair_lines(observations: list[Observation], cutoff: int,
                as_of: int | None = None) -> tuple[int, list[str]]:
    """(``alm:asOf``, N-Triples lines) of one (work, metric) pair's entries as of ``cutoff``.

    ``alm:asOf`` is the newest feed that touched the pair: a function of the data, so the
    lines the view holds for a pair can be recomputed exactly (and deleted with DELETE DATA);
    ``as_of`` gives it when ``observations`` are only those the pair's state holds
    (:mod:`alm_ld.analytics.pair_state`), which need not include that feed's."""
    visible = _as_of(observations, cutoff)
    if not visible:
        return 0, []
    as_of = as_of if as_of is not None else max(obs.sequence for obs in visible)
    series = _current_series(visible)
    entries = _entries(series)
    lines = [line for entry in entries for line in _entry_triples(entry)]
    highest = _highest(entries)
    work, metric = visible[0].work, visible[0].metric
    lines.extend(_total_triples(work, metric, highest, as_of))
    state = pair_state.encode({(s, a): members for (_, _, s, a), members in series.items()},
                              cutoff, as_of)
    lines.append(f"<{_node(work, metric)}> <{_A['pairState']}> {literal(state)} .")
    return as_of, lines


def _entry_triples(entry: Entry) -> Iterator[str]:
    """Six triples per series (the view's size is most of its cost: every one is written at
    ingest): no rdf:type — the predicates say what a node is — and the period end and feed are
    one hop away through ``alm:currentObservation``. The IRIs are stored ones (checked when
    their feed was mapped), so they are written as they are: this runs for every pair a feed
    touches, twice."""
    node = f"<{entry.node}>"
    yield f"{node} <{_A['forWork']}> <{entry.work}> ."
    yield f"{node} <{_A['forMetric']}> <{entry.metric}> ."
    yield f"{node} <{_A['forSource']}> <{entry.source}> ."
    yield f"{node} <{_A['forAggregation']}> <{entry.aggregation}> ."
    yield f"{node} <{_A['currentValue']}> \"{int(entry.value)}\"^^<{_XSD_INT}> ."
    if entry.observation:
        yield f"{node} <{_A['currentObservation']}> <{entry.observation}> ."


def _total_triples(work: str, metric: str, high: int | None, as_of: int) -> Iterator[str]:
    """The pair's node: its highest current cumulative value (when it has one) and
    ``alm:asOf``, the newest feed that touched the pair (what shared stores fence on)."""
    node = f"<{_node(work, metric)}>"
    yield f"{node} <{_A['forWork']}> <{work}> ."
    yield f"{node} <{_A['forMetric']}> <{metric}> ."
    if high is not None:
        yield f"{node} <{_A['highestValue']}> \"{int(high)}\"^^<{_XSD_INT}> ."
    yield f"{node} <{_A['asOf']}> \"{int(as_of)}\"^^<{_XSD_INT}> ."


def mark_line(sequence: int) -> str:
    """The view's mark at ``sequence`` as an N-Triples line."""
    graph = iri(VIEW_GRAPH)
    return f"{graph} <{_A['viewSequence']}> {literal(str(sequence), _XSD_INT)} ."


def _fold_owned(store: Store, previous: int, sequence: int,
                by_pair: dict[tuple[str, str], list[Observation]]) -> None:
    """Fold feed ``sequence`` into the view of a store this process owns: the pairs' lines as
    of the previous feed (what the view holds: it is always exactly the state at its mark) are
    deleted and the lines as of this feed inserted, with the mark, in ONE update of ground
    triples — no pattern to evaluate (a DELETE … WHERE over 2,000 pairs cost ~1 s)."""
    old: set[str] = set()
    new: set[str] = set()
    for observations in by_pair.values():
        old.update(_pair_lines(observations, previous)[1])
        new.update(_pair_lines(observations, sequence)[1])
    old.add(mark_line(previous))
    new.add(mark_line(sequence))
    graph = iri(VIEW_GRAPH)
    gone, added = "\n".join(sorted(old - new)), "\n".join(sorted(new - old))
    store.update(f"DELETE DATA {{ GRAPH {graph} {{\n{gone}\n}} }} ;\n"
                 f"INSERT DATA {{ GRAPH {graph} {{\n{added}\n}} }}")


def _fold_shared(store: Store, sequence: int,
                 by_pair: dict[tuple[str, str], list[Observation]]) -> None:
    """Fold feed ``sequence`` into the view of a store other processes write too: per pair,
    the entries are replaced unless the stored ones come from a newer feed (``alm:asOf``), so
    a slower process can never put an older value back; then the mark moves up (never down)."""
    graph = iri(VIEW_GRAPH)
    pairs = sorted(by_pair)
    for start in range(0, len(pairs), _PAIRS_PER_UPDATE):
        rows, nodes, spo = [], [], []
        for work, metric in pairs[start:start + _PAIRS_PER_UPDATE]:
            as_of, lines = _pair_lines(by_pair[(work, metric)], sequence)
            if not lines:
                continue
            node = iri(_node(work, metric))
            rows.append(f"({iri(work)} {iri(metric)} {node} {as_of})")
            nodes.append(f"({node} {as_of})")
            spo.extend(f"({node} {as_of} {line[:-2]})" for line in lines)
        if not rows:
            continue
        # The pairs whose node says a newer feed touched them, found ONCE per operation (a
        # MINUS is evaluated on its own, then subtracted on ?n ?a): the FILTER NOT EXISTS this
        # replaces was evaluated for every row, and took 1.3 s per 300 pairs on Oxigraph.
        newer = (f"MINUS {{ VALUES (?n ?a) {{ {' '.join(nodes)} }} "
                 f"GRAPH {graph} {{ ?n alm:asOf ?at }} FILTER (?at > ?a) }}")
        store.update(f"""{_PREFIX}DELETE {{ GRAPH {graph} {{ ?e ?p ?o }} }} WHERE {{
  VALUES (?w ?m ?n ?a) {{ {" ".join(rows)} }}
  GRAPH {graph} {{ ?e alm:forWork ?w ; alm:forMetric ?m ; ?p ?o }}
  {newer}
}} ;
INSERT {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{
  VALUES (?n ?a ?s ?p ?o) {{ {" ".join(spo)} }}
  {newer}
}}""")
    _set_mark(store, sequence)


def _set_mark(store: Store, sequence: int) -> None:
    """Move the mark up to ``sequence`` (never down: a slower writer's older mark loses)."""
    # Two operations of one request instead of a DELETE/INSERT over an OPTIONAL, which
    # Virtuoso 7.2 answers with no solution (so its mark never moved).
    graph = iri(VIEW_GRAPH)
    store.update(f"""{_PREFIX}DELETE {{ GRAPH {graph} {{ {graph} alm:viewSequence ?old }} }}
WHERE {{ GRAPH {graph} {{ {graph} alm:viewSequence ?old }} FILTER (?old < {sequence}) }} ;
INSERT {{ GRAPH {graph} {{ {graph} alm:viewSequence {literal(str(sequence), _XSD_INT)} }} }}
WHERE {{ BIND (1 AS ?one)
        FILTER NOT EXISTS {{ GRAPH {graph} {{ {graph} alm:viewSequence ?kept }} }} }}""")


def _rebuild(store: Store, top: int) -> int:
    """Build the whole view from every feed (a store without a view): dropped, then written
    by the store's loader with its mark in one graph write."""
    grouped = by_pair(_every_observation(store, top))
    lines = [line for observations in grouped.values()
             for line in _pair_lines(observations, top)[1]]
    lines.append(mark_line(top))
    store.update(f"DROP SILENT GRAPH {iri(VIEW_GRAPH)}")
    store.add_graph(URIRef(VIEW_GRAPH), ("\n".join(lines) + "\n").encode("utf-8"))
    return len(grouped)


def by_pair(observations: Iterable[Observation]) -> dict[tuple[str, str], list[Observation]]:
    """The observations grouped by (work, metric): the unit the view is written in."""
    by_pair: dict[tuple[str, str], list[Observation]] = {}
    for obs in observations:
        by_pair.setdefault((obs.work, obs.metric), []).append(obs)
    return by_pair


_NODES_PER_QUERY = 2000


def _node_chunks(nodes: list[str]) -> Iterator[str]:
    """``nodes`` as VALUES lists of at most :data:`_NODES_PER_QUERY` IRIs (one query each)."""
    return iri_rows([(node,) for node in nodes], _NODES_PER_QUERY)


def held_pairs(store: Store, pairs: Iterable[tuple[str, str]]
               ) -> dict[tuple[str, str], tuple[int, str | None]]:
    """Of ``pairs`` (work, metric), those the view holds (that have a stored observation, when
    the view is current) → (``alm:asOf``, ``alm:pairState`` or None on a node written before
    it): one lookup of each pair's node, whose IRI is computed here — a new work costs nothing
    more (the ingest's cheap first step, feed_derived). The state carries the asOf, so the
    lookup is one triple pattern; only the nodes it did not find are looked up again by their
    ``alm:asOf`` (a node from before states — a miss is cheap; an OPTIONAL pattern for both
    cost 4× as much, profiled)."""
    by_node = {_node(work, metric): (work, metric) for work, metric in pairs}
    graph = iri(VIEW_GRAPH)
    found: dict[tuple[str, str], tuple[int, str | None]] = {}
    for chunk in _node_chunks(sorted(by_node)):
        for row in select(store, f"""SELECT ?n ?state WHERE {{ VALUES ?n {{ {chunk} }}
  GRAPH {graph} {{ ?n alm:pairState ?state }} }}"""):
            as_of = pair_state.as_of_of(row["state"])
            if as_of is not None:
                found[by_node[row["n"]]] = (as_of, row["state"])
    missing = sorted(node for node, pair in by_node.items() if pair not in found)
    for chunk in _node_chunks(missing):
        for row in select(store, f"""SELECT ?n ?at WHERE {{ VALUES ?n {{ {chunk} }}
  GRAPH {graph} {{ ?n alm:asOf ?at }} }}"""):
            found[by_node[row["n"]]] = (int(row["at"]), None)
    return found


@dataclass
class HeldValues:
    """What the view says, as of its mark, of some cumulative series and (work, metric) pairs."""

    mark: int
    values: dict[tuple[str, str, str], int]
    """(work, metric, source) → the series' current cumulative value"""
    highest: dict[tuple[str, str], int]
    """(work, metric) → the highest current cumulative value among its sources"""


def held_values(store: Store, series: Iterable[tuple[str, str, str]]) -> HeldValues | None:
    """The view's current value of each cumulative (work, metric, source) of ``series`` and
    the highest value of each of their (work, metric) pairs, with the view's mark — one
    lookup per node, whose IRI is computed here (what the works index folds a feed from:
    the answer does not grow with the series' history), or one scan of the view when the
    nodes asked are a large share of it (:func:`_scan_is_cheaper`). None when the reads, one
    per chunk of nodes, did not all see the same mark (a feed was folded in between)."""
    by_node: dict[str, tuple[str, ...]] = {}
    for work, metric, source in series:
        by_node[_node(work, metric, source, CUMULATIVE)] = (work, metric, source)
        by_node.setdefault(_node(work, metric), (work, metric))
    graph = iri(VIEW_GRAPH)
    mark = f"{{ GRAPH {graph} {{ {graph} alm:viewSequence ?mark }} }}"
    if _scan_is_cheaper(store, len(by_node)):
        reads = [f"""SELECT ?n ?v ?mark WHERE {{ {mark}
  UNION {{ GRAPH {graph} {{ ?n alm:currentValue ?v }} }}
  UNION {{ GRAPH {graph} {{ ?n alm:highestValue ?v }} }} }}"""]
    else:
        def lookup(chunk: str) -> str:
            return (f"UNION {{ VALUES ?n {{ {chunk} }} GRAPH {graph} {{ ?n ?p ?v "
                    "FILTER (?p = alm:currentValue || ?p = alm:highestValue) } }")
        reads = [f"SELECT ?n ?v ?mark WHERE {{ {mark} {lookup(chunk) if chunk else ''} }}"
                 for chunk in list(_node_chunks(sorted(by_node))) or [""]]  # none: the mark
    marks: set[int] = set()
    held = HeldValues(0, {}, {})
    for read in reads:
        seen = -1
        for node, value, at in select_ids(store, read):
            if at is not None:
                seen = int(at)
                continue
            key = by_node.get(str(node))
            if key is None:
                continue  # a scan's node of another series
            if len(key) == 3:
                held.values[key] = int(value)  # type: ignore[index, arg-type]
            else:
                held.highest[key] = int(value)  # type: ignore[index, arg-type]
        marks.add(seen)
    if len(marks) != 1 or -1 in marks:
        return None
    held.mark = marks.pop()
    return held


_SCAN_FROM_NODES = 10_000
"""Fewer nodes than this are always looked up (the usual fold: one feed's series)."""
_SCAN_SHARE = 8
"""A scan reads the whole view when the nodes asked are at least 1/8 of its series."""


def _scan_is_cheaper(store: Store, nodes: int) -> bool:
    """Whether reading every current and highest value of the view costs less than looking
    ``nodes`` nodes up.

    Why: a lookup costs ~38 µs a node at 20k works and ~150 µs at 1M (random reads of a store
    that no longer fits the page cache: the catch-up after a 1M bulk load spent ~18 minutes
    looking up 7M nodes), a scan ~5 µs a row (one ordered read, measured at 20k works).
    Counting the view's series first costs ~25 ms at 20k works, so small folds skip it."""
    if nodes < _SCAN_FROM_NODES:
        return False
    graph = iri(VIEW_GRAPH)
    [(count,)] = list(select_ids(store, f"""SELECT (COUNT(*) AS ?c) WHERE {{
  GRAPH {graph} {{ ?n alm:currentValue ?v }} }}"""))
    return nodes * _SCAN_SHARE >= int(count or 0)


def view_delta(pairs: dict[tuple[str, str], list[Observation]], sequence: int,
               held: Mapping[tuple[str, str], int]) -> tuple[list[str], list[str]]:
    """(lines the view gains, lines it loses) when feed ``sequence`` is folded in: ``pairs``
    holds the stored observations of the feed's (work, metric) pairs that decide the view —
    the whole history, or what a pair's state holds (:mod:`alm_ld.analytics.pair_state`) —
    and the feed's own; ``held`` the pairs the store had before with their ``alm:asOf`` (a
    new pair has no old lines to delete). The old mark is among the lines lost;
    :func:`mark_update` writes them off with the new mark."""
    added: list[str] = []
    removed: list[str] = [mark_line(sequence - 1)]
    for pair, observations in pairs.items():
        new = _pair_lines(observations, sequence)[1]
        if pair not in held:
            added.extend(new)
            continue
        old = set(_pair_lines(observations, sequence - 1, held[pair])[1])
        kept = set(new)
        added.extend(line for line in new if line not in old)
        removed.extend(line for line in old if line not in kept)
    return added, removed


def mark_update(removed: list[str], sequence: int) -> str:
    """The update that completes a fold whose new lines were written with the feed: the lines
    the view loses go, and the mark moves to ``sequence`` — a mark that has not moved tells
    readers (and the next writer, which repairs it) that the fold is incomplete."""
    graph = iri(VIEW_GRAPH)
    gone = "\n".join(removed)
    return (f"DELETE DATA {{ GRAPH {graph} {{\n{gone}\n}} }} ;\n"
            f"INSERT DATA {{ GRAPH {graph} {{ {mark_line(sequence)} }} }}")


def mark_pattern(sequence: int) -> str:
    """A group pattern that holds while the view's mark is ``sequence`` (0: no mark yet): what
    a writer on a shared store conditions its publication on when it derived the feed's view
    lines from the view at that mark (alm_ld.pipeline)."""
    graph = iri(VIEW_GRAPH)
    if sequence <= 0:
        return (f"FILTER NOT EXISTS {{ GRAPH {graph} {{ {graph} <{_A['viewSequence']}> "
                "?anyMark } }")
    return f"GRAPH {graph} {{ {mark_line(sequence)[:-2]} }}"


def refresh_current_view(store: Store) -> int:
    """Fold every feed newer than the view's mark into the view, one feed at a time in
    sequence order (all feeds at once when there is no view yet); return how many (work,
    metric) pair updates were made."""
    with _LOCK:
        mark, top = _marks(store)
        if mark >= top:
            return 0
        if mark == 0 and top > _FOLD_MAX:
            return _rebuild(store, top)
        done, previous = 0, mark
        for feed, sequence in _feeds_after(store, mark, top):
            grouped = by_pair(_feed_observations(store, feed))
            if store.shared:
                _fold_shared(store, sequence, grouped)
            else:
                _fold_owned(store, previous, sequence, grouped)
            done, previous = done + len(grouped), sequence
        return done


def view_is_current(store: Store) -> bool:
    """Whether the view holds every stored feed (what a reader checks; it never writes). Only
    a store from before this version, or a process stopped between a feed's write and its
    mark, leaves it behind; the next writer (or :func:`refresh_current_view`, e.g. at
    ``serve`` start) repairs it, and until then readers use the union-graph rule."""
    mark, top = _marks(store)
    return mark >= top


def ensure_current_view(store: Store) -> int:
    """Deprecated alias kept for callers: the view's mark, WITHOUT catching it up any more
    (readers never write: a GET that repaired a backlog was slow, and failed on a read-only
    store). Ingest writes each feed with its view; a view left behind is repaired by the next
    writer or at ``serve`` start. Use :func:`view_is_current` to choose the fallback."""
    return _marks(store)[0]


# ---------------------------------------------------------------------------------------------
# Reading the view


def current_values(store: Store, work: str) -> list[Entry]:
    """The current values of ``work`` (one lookup in the view; the union-graph rule over the
    work's observations while the view is behind)."""
    if not view_is_current(store):
        found = [o for o in read_observations(store) if o.work == work]
        entries = current_entries(found)
        return sorted(entries, key=lambda e: (e.metric, e.source, e.aggregation))
    rows = select(store, f"""
SELECT ?metric ?source ?agg ?value ?obs WHERE {{
  GRAPH {iri(VIEW_GRAPH)} {{
    ?e alm:forWork {iri(work)} ; alm:forMetric ?metric ; alm:forSource ?source ;
       alm:forAggregation ?agg ; alm:currentValue ?value .
    OPTIONAL {{ ?e alm:currentObservation ?obs }}
  }}
}} ORDER BY ?metric ?source ?agg""")
    return [Entry(work, r["metric"], r["source"], r["agg"], int(r["value"]), r.get("obs"))
            for r in rows]


__all__ = ["VIEW_GRAPH", "Entry", "HeldValues", "by_pair", "current_entries", "current_values",
           "ensure_current_view", "held_pairs", "held_values", "mark_line", "mark_pattern",
           "mark_update", "refresh_current_view", "view_delta", "view_is_current",
           "view_sequence"]
