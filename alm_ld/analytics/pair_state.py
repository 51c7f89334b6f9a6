"""What ingest needs to know of one (work, metric) pair's stored history, kept as ONE literal on
the pair's node of the current-value view (``alm:pairState``), so that a feed about a pair the
store already holds costs a lookup instead of a read of the pair's whole history.

Why a literal and not more triples: ingest looks up each pair's node anyway
(:func:`alm_ld.analytics.current_view.held_pairs`); one more value on that node comes with the
same lookup. Reading the same facts through the view's series and observation nodes was tried:
exact, but Oxigraph's joins cost more than the history rows they saved (docs/performance.md).
And why not read the history: every earlier harvest adds rows to it, so an ingest got slower
with every day a provider had been harvested (~0.45 ms per item per earlier harvest).

What it holds, per (source, aggregation) series of the pair, as of the view's mark:

* cumulative: the series' two latest current observations (the view's value comes from the
  latest; a revision of the latest period is checked against the one before it);
* interval: every current period (what the sum is made of), up to the latest
  :data:`MAX_PERIODS`; the older ones as one *rest*: their sum, latest end and newest sequence
  (a daily interval series — page views — passes 64 periods in two months; listing them all
  would grow the literal, reading their history would grow the ingest, with every harvest).

The text starts with the pair's ``alm:asOf`` (so that ingest's lookup is one triple pattern:
with the ``alm:asOf`` triple OPTIONAL beside it, Oxigraph's left join cost 4× the lookup).
Each observation is written as ``ref start end value seqs``: ``ref`` the 32 hex digits of a
``almid:obs/`` IRI (or the whole IRI), ``start`` ``-`` when absent, ``seqs`` the sequences of
the feeds holding it (up to the mark), comma-separated. A series' count is ``n``, or
``n~sum~end~seq`` with a rest; decoded, the rest is one stand-in :class:`Observation` (start
:data:`REST`, in no feed) that the view sums like a period and no rule reads otherwise.
Tokens never hold a space (stored IRIs, dates and integers have none). The grammar is internal
to ingest: readers of the view use its documented predicates, never this.

When it is enough (:func:`observations_if_enough`): for every count of the feed, either the
count's period is new to its series (a cumulative period after the latest, an interval period
not yet held that ends after the rest) or it is a held current period (for a cumulative
series, the latest) and the count is that same observation or a revision whose node is not
stored yet (a revision back to an earlier value is the earlier node, with feeds the state does
not list: the caller looks those IRIs up). Then the observations above are all that ingest's
rules read — revisions (per period the current one), the view (a cumulative series' latest
value, an interval series' sum), the alerts (the steps next to the feed's counts, each
source's latest) — and ingest gives the same result as from the whole
history (tests/analytics/test_pair_state.py compares both, feed by feed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from alm_ld.analytics.observation_rows import Observation
from alm_ld.mapping import FeedCount
from alm_ld.vocab import ALM_NS, CUMULATIVE, ID_NS

MAX_PERIODS = 64
"""Interval periods listed per series; older ones are summed into the rest (the literal is
rewritten at every ingest touching the pair, so it must stay small)."""
REST = "rest"
"""The ``start`` of the stand-in observation of a series' rest (never a date)."""
_OBS = ID_NS + "obs/"
_REST_IRI = ID_NS + "pair-state-rest/"
_TOO_MANY = "*"  # written by the first version instead of a rest: read the history once


def _ref(obs_iri: str) -> str:
    return obs_iri[len(_OBS):] if obs_iri.startswith(_OBS) else obs_iri


def _iri(ref: str) -> str:
    return ref if ":" in ref else _OBS + ref


def encode(series: Mapping[tuple[str, str], list[Observation]], cutoff: int,
           as_of: int) -> str:
    """The state of one pair whose ``alm:asOf`` is ``as_of``, from its current revisions per
    (source, aggregation), each list ordered by (period end, sequence, IRI) as the view orders
    them, as of feed ``cutoff``."""
    tokens: list[str] = [str(as_of)]
    for (source, aggregation), members in sorted(series.items()):
        if aggregation == CUMULATIVE:
            kept, count = members[-2:], str(len(members[-2:]))
        else:
            kept, count = _interval_part(members, cutoff)
        tokens += [source, aggregation, count]
        for obs in kept:
            tokens += [_ref(obs.iri), obs.start or "-", obs.end, str(obs.value),
                       ",".join(map(str, _seqs(obs, cutoff)))]
    return " ".join(tokens)


def _seqs(obs: Observation, cutoff: int) -> list[int]:
    return sorted(s for s in (obs.seqs or (obs.sequence,)) if s <= cutoff)


def _interval_part(members: list[Observation], cutoff: int) -> tuple[list[Observation], str]:
    """(the periods listed, the count token) of an interval series: the latest
    :data:`MAX_PERIODS` periods, the others (and a rest decoded before) summed into the rest.

    The same whether ``members`` is the whole history or a state plus a feed: a rest is a
    prefix of the series in the view's order, and a feed adds only periods ending after it."""
    real = [obs for obs in members if obs.start != REST]
    older = [obs for obs in members if obs.start == REST] + real[:-MAX_PERIODS]
    kept = real[-MAX_PERIODS:]
    if not older:
        return kept, str(len(kept))
    total = sum(obs.value for obs in older)
    end = max(obs.end for obs in older)
    newest = max(max(_seqs(obs, cutoff), default=0) for obs in older)
    return kept, f"{len(kept)}~{total}~{end}~{newest}"


_Held = tuple[str, str, str, int, tuple[int, ...]]
"""One listed observation as written: (ref, start, end, value, the feeds' sequences)."""
_Rest = tuple[int, str, int]
"""A series' rest as written: (sum, latest end, newest sequence)."""


def _parse(text: str) -> list[tuple[str, str, _Rest | None, list[_Held]]] | None:
    """The series a state lists, as written (the one reader of the grammar); None when a
    series has too many periods listed (the first version) or the text is not a state this
    version writes."""
    tokens = text.split(" ")
    found: list[tuple[str, str, _Rest | None, list[_Held]]] = []
    at = 1  # after the pair's asOf (see as_of_of)
    try:
        while at < len(tokens):
            source, aggregation, count = tokens[at:at + 3]
            at += 3
            if count == _TOO_MANY:
                return None
            rest = None
            if "~" in count:
                count, total, end, newest = count.split("~")
                rest = (int(total), end, int(newest))
            held: list[_Held] = []
            for _ in range(int(count)):
                ref, start, end, value, seqs = tokens[at:at + 5]
                at += 5
                held.append((ref, start, end, int(value), tuple(int(s) for s in seqs.split(","))))
            found.append((source, aggregation, rest, held))
    except ValueError:
        return None  # unpacking a short tail, a non-integer
    return found


def decode(text: str, work: str, metric: str,
           feeds: Mapping[int, str]) -> dict[tuple[str, str], list[Observation]] | None:
    """The observations a state holds per (source, aggregation), as :class:`Observation` with
    their feeds (``feeds``: sequence → feed IRI); None when :func:`_parse` is, or a feed is
    no longer stored."""
    parsed = _parse(text)
    if parsed is None:
        return None
    found: dict[tuple[str, str], list[Observation]] = {}
    try:
        for source, aggregation, rest, held in parsed:
            members = found.setdefault((source, aggregation), [])
            if rest is not None:
                total, end, newest = rest
                members.append(Observation(
                    f"{_REST_IRI}{work}|{metric}|{source}|{aggregation}", work, metric,
                    source, aggregation, total, REST, end, newest, (newest,), []))
            for ref, start, end, value, seqs in held:
                members.append(Observation(
                    _iri(ref), work, metric, source, aggregation, value,
                    None if start == "-" else start, end, seqs[-1], seqs,
                    [feeds[s] for s in seqs]))
    except KeyError:
        return None
    return found


def sequences_of(text: str | None) -> set[int]:
    """The feed sequences a state names (what :func:`decode` needs ``feeds`` for); empty for
    no state or one this version cannot read."""
    parsed = _parse(text) if text else None
    return {seq for _, _, _, held in parsed or () for *_, seqs in held for seq in seqs}


def as_of_of(text: str) -> int | None:
    """The pair's ``alm:asOf`` a state starts with (None: not a state this version writes)."""
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _fits(count: FeedCount, held: list[Observation] | None,
          aggregation: str) -> tuple[bool, str | None]:
    """(whether the state is enough for ``count``, the count's IRI when that depends on the
    node not being stored yet)."""
    if not held:
        return True, None  # a series new to the pair: nothing of it is stored
    period = (count.start, count.end)
    if aggregation == CUMULATIVE:
        latest = held[-1]
        if (latest.start, latest.end) == period:  # the step before it is held too
            return True, (None if latest.iri == count.iri else count.iri)
        return count.end > latest.end, None  # only a period after the latest is surely new
    same = next((o for o in held if (o.start, o.end) == period), None)
    if same is not None:
        return True, (None if same.iri == count.iri else count.iri)
    rest = next((o for o in held if o.start == REST), None)
    # Every period ending after the rest is listed: one of those not held is new. One ending
    # with it or before may be in the rest (its history is read).
    return rest is None or count.end > rest.end, None


def observations_if_enough(counts: Iterable[FeedCount], state: str | None, work: str,
                           metric: str, feeds: Mapping[int, str]
                           ) -> tuple[list[Observation], set[str]] | None:
    """(the stored observations ingest needs for these counts of one pair, the IRIs of revising
    counts that must not be stored nodes already), or None when only the pair's whole history
    will do (no state, a series with too many periods, a cumulative count for a period before
    the latest: a backfill)."""
    if state is None:
        return None
    series = decode(state, work, metric, feeds)
    if series is None:
        return None
    to_check: set[str] = set()
    for count in counts:
        aggregation = ALM_NS + count.aggregation
        fits, check = _fits(count, series.get((count.source, aggregation)), aggregation)
        if not fits:
            return None
        if check:
            to_check.add(check)
    return [obs for members in series.values() for obs in members], to_check


__all__ = ["MAX_PERIODS", "REST", "as_of_of", "decode", "encode", "observations_if_enough",
           "sequences_of"]
