"""The one read model of stored observations (:class:`Observation`, :func:`read_observations`)
and its packed-row query, shared by the alerts (one feed's
(work, metric) pairs, per ingest) and the current-value view (every observation, on a rebuild).

Shaped for speed (profiled on generated feeds, docs/performance.md): each row comes back as ONE
packed string (converting nine terms per row cost more than running the query), and feed
sequences are read once for all feeds (:func:`feed_sequences`) instead of joined per row. With
a feed, the keys come from a subquery over that ONE named graph, which Oxigraph evaluates first
(a long VALUES list is joined by looping; with the feed left a variable it scanned every
observation, 8 s at 10k works).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from alm_ld.analytics.sparql import iri, iri_rows, select
from alm_ld.store.base import Store

SEP = " "  # stored IRIs, dates and integers never contain a space (iri() refuses it)

FEED_SEQUENCES = "SELECT ?g ?seq WHERE { GRAPH ?g { ?g alm:sequence ?seq } }"


class ObservationRow(NamedTuple):
    """One (observation, graph holding it) pair as stored; ``start`` is "" when absent and
    ``value`` the lexical integer (callers convert only the rows they keep)."""

    iri: str
    graph: str
    work: str
    metric: str
    source: str
    aggregation: str
    value: str
    end: str
    start: str


_PAIRS_PER_QUERY = 1000


def observation_rows(store: Store, feed: str | None = None, *,
                     pairs: Iterable[tuple[str, str]] | None = None) -> list[ObservationRow]:
    """Every stored observation with the graph holding it; with ``feed``, only those of the
    (work, metric) pairs that ``feed`` has observations of (in any graph); with ``pairs``,
    only those of these (work, metric) pairs (a VALUES list with the work first: Oxigraph
    then looks each work up; with the metric first it scanned every observation)."""
    if pairs is not None:
        found: list[ObservationRow] = []
        for chunk in iri_rows(sorted(set(pairs)), _PAIRS_PER_QUERY):
            found += _rows(store, f"\n  VALUES (?work ?metric) {{ {chunk} }}")
        return found
    keys = "" if feed is None else f"""
  {{ SELECT DISTINCT ?work ?metric WHERE {{
      GRAPH {iri(feed)} {{ ?o alm:work ?work ; alm:metric ?metric }} }} }}"""
    return _rows(store, keys)


def _rows(store: Store, keys: str) -> list[ObservationRow]:
    rows = select(store, f"""
SELECT ?row WHERE {{{keys}
  GRAPH ?feed {{
    ?obs alm:work ?work ; alm:metric ?metric ; alm:source ?source ; alm:aggregation ?agg ;
         alm:value ?value ; alm:periodEnd ?end .
    OPTIONAL {{ ?obs alm:periodStart ?start }}
  }}
  BIND(CONCAT(STR(?obs), "{SEP}", STR(?feed), "{SEP}", STR(?work), "{SEP}", STR(?metric),
              "{SEP}", STR(?source), "{SEP}", STR(?agg), "{SEP}", STR(?value), "{SEP}",
              STR(?end), "{SEP}", COALESCE(STR(?start), "")) AS ?row)
}}""")
    return [ObservationRow(*row["row"].split(SEP)) for row in rows]


def stored_nodes(store: Store, iris: Iterable[str]) -> set[str]:
    """Those of the observation ``iris`` some graph holds (one lookup per node)."""
    found: set[str] = set()
    for chunk in iri_rows(sorted({(i,) for i in iris}), _PAIRS_PER_QUERY):
        found.update(r["o"] for r in select(store, f"""SELECT DISTINCT ?o WHERE {{
  VALUES ?o {{ {chunk} }} GRAPH ?g {{ ?o alm:value ?v }} }}"""))
    return found


def feed_sequences(store: Store) -> dict[str, int]:
    """Feed graph IRI → its sequence (a graph without one is not a feed). Every feed: for a
    whole read; a step of ingest asks :func:`feeds_of` or :func:`feeds_between` instead."""
    return {r["g"]: int(r["seq"]) for r in select(store, FEED_SEQUENCES)}


_SEQUENCES_PER_QUERY = 1000


def _looked_up(store: Store, var: str, terms: list[str]) -> list[tuple[str, int]]:
    """(feed IRI, sequence) of the feeds whose ``?var`` (``g`` or ``seq``) is one of
    ``terms`` (SPARQL terms), one index lookup each: what a step of ingest needs instead of
    :func:`feed_sequences`, every feed's row (260 ms at 20,000 feeds; ~1 ms this way)."""
    found: list[tuple[str, int]] = []
    for start in range(0, len(terms), _SEQUENCES_PER_QUERY):
        listed = " ".join(terms[start:start + _SEQUENCES_PER_QUERY])
        found += [(row["g"], int(row["seq"])) for row in select(
            store, f"SELECT ?g ?seq WHERE {{ VALUES ?{var} {{ {listed} }} "
                   "GRAPH ?g { ?g alm:sequence ?seq } }")]
    return found


def feeds_of(store: Store, sequences: Iterable[int]) -> dict[int, str]:
    """Sequence → feed IRI, for ``sequences`` only (the feeds a pair state names)."""
    wanted = [str(seq) for seq in sorted({int(seq) for seq in sequences})]
    return {seq: graph for graph, seq in _looked_up(store, "seq", wanted)}


def _sequences_of(store: Store, graphs: set[str]) -> dict[str, int]:
    """Graph → sequence of the feeds among ``graphs`` (a graph without one is not a feed):
    looked up one by one when they are few (a pair's history), all read at once when they
    are many (a rebuild)."""
    if len(graphs) > _SEQUENCES_PER_QUERY:
        return feed_sequences(store)
    return dict(_looked_up(store, "g", [iri(graph) for graph in sorted(graphs)]))


def feeds_between(store: Store, after: int, upto: int) -> list[tuple[str, int]]:
    """(feed IRI, sequence) of the feeds with ``after < sequence <= upto``, in sequence order
    (what a fold catching up reads: 7 ms for 10 of 20,000 feeds, against 260 ms for all)."""
    rows = select(store, "SELECT ?g ?seq WHERE { GRAPH ?g { ?g alm:sequence ?seq } "
                         f"FILTER (?seq > {int(after)} && ?seq <= {int(upto)}) }}")
    return sorted(((row["g"], int(row["seq"])) for row in rows), key=lambda kv: kv[1])


@dataclass
class Observation:
    """One stored observation node with every feed holding it (the same count sent twice is
    one node): the record the alert rules and the current-value view both read.

    ``sequence`` is the highest sequence of those feeds (what "current" ranks by, see
    :func:`alm_ld.analytics.series.newest_per_key`), ``seqs`` all of them (so the state as of an
    earlier feed can be computed), ``revision_of`` the observation it revises (set by the
    alerts, which read it from the checked feed only), ``evidence`` its ``prov:wasDerivedFrom``
    (read by the series of one work, :func:`alm_ld.analytics.series.fetch_counts`)."""

    iri: str
    work: str
    metric: str
    source: str
    aggregation: str
    value: int
    start: str | None
    end: str
    sequence: int
    seqs: tuple[int, ...] = ()
    feeds: list[str] = field(default_factory=list)
    revision_of: str | None = None
    evidence: list[str] = field(default_factory=list)


def read_observations(store: Store, feed: str | None = None, *, upto: int | None = None,
                      pairs: Iterable[tuple[str, str]] | None = None,
                      sequences: dict[str, int] | None = None) -> list[Observation]:
    """The observations of :func:`observation_rows` (``feed`` or ``pairs``: only those (work,
    metric) pairs), one per node, held by feeds with a sequence (``upto``: at most that one;
    ``sequences``: the feed sequences when the caller has read them already)."""
    rows = observation_rows(store, feed, pairs=pairs)
    if not rows:
        return []
    if sequences is None:
        sequences = _sequences_of(store, {row.graph for row in rows})
    found: dict[str, Observation] = {}
    for obs_iri, graph, work, metric, source, agg, value, end, start in rows:
        seq = sequences.get(graph)
        if seq is None or (upto is not None and seq > upto):
            continue  # not a feed (the original join), or newer than the caller's mark
        obs = found.get(obs_iri)
        if obs is None:
            found[obs_iri] = Observation(obs_iri, work, metric, source, agg, int(value),
                                         start or None, end, seq, (seq,), [graph])
            continue
        if seq not in obs.seqs:
            obs.seqs = tuple(sorted((*obs.seqs, seq)))
            obs.sequence = obs.seqs[-1]
        if graph not in obs.feeds:
            obs.feeds.append(graph)
    for obs in found.values():
        if len(obs.feeds) > 1:  # in feed order, whatever order the store answered in
            obs.feeds.sort(key=lambda feed: (sequences.get(feed, 0), feed))
    return list(found.values())


__all__ = ["FEED_SEQUENCES", "SEP", "Observation", "ObservationRow", "feed_sequences",
           "feeds_between", "feeds_of", "observation_rows", "read_observations",
           "stored_nodes"]
