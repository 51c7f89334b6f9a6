"""The store as the arbiter of feed sequences when many processes write one shared store.

Why not a conditional update: ``INSERT { claim } WHERE { FILTER NOT EXISTS { claim } }`` is a
test-and-set only on a store that serialises updates. Oxigraph 0.5 runs insert-only updates
concurrently on snapshots without write-conflict checks (measured: 8 such updates at once, 40
rounds, every round had several "winners"), and the SPARQL 1.1 Update spec leaves concurrency to
each implementation. What every SPARQL 1.1 store does give is (a) one update request applied
atomically and (b) a later read seeing every acknowledged update. On that alone this module
builds mutual exclusion per sequence number (claim, check, publish; docs/store.md, "Many
writers"):

1. **claim** ``N`` = (highest published sequence) + 1: insert ``<almid:claim/uuid>`` into the
   claims graph with ``alm:claimedAt NOW()`` (the store's clock, so every writer on every machine
   measures leases on one clock);
2. **check**: read whether any *other* live claim on ``N`` exists, or a feed with sequence ``N``,
   or the feed itself. A writer that sees nothing but its own claim owns ``N``; any other writer
   retracts its claim, waits a random, growing time and starts again. Two writers cannot both
   own ``N``: each wrote before it read, so the later of the two reads sees the earlier claim
   (claims disappear only by being retracted, i.e. losing, or by publication, which the reader
   then sees as a feed with sequence ``N``);
3. **publish**: the feed graph (with ``alm:sequence N``) is inserted and the claim deleted in ONE
   update request, conditioned on the claim still being there and younger than half the lease
   (with the feed's view lines and alerts when the writer derived them: alm_ld.pipeline).
   A feed larger than ``ALM_LD_UPDATE_CHUNK`` triples is first written in chunks to a staging
   graph that no reader sees; the publishing update then copies it (``SparqlStore.publish_where``).

Lease ages are computed by the store from ``NOW()`` with calendar arithmetic (:func:`_seconds`)
rather than ``NOW() - duration``, which Virtuoso 7 does not implement.

A writer that dies holding a claim blocks ``N`` for at most the lease (``ALM_LD_CLAIM_LEASE``):
older claims are ignored by the check and deleted by the next claim. ``N`` is then taken by the
next writer, so a dead writer never leaves a gap in the sequences. A writer that is merely slow
cannot publish after its lease was taken over: the publish condition is evaluated by the store
at the moment it applies the update, and requires the claim to be younger than half the lease
(the other half covers the time the store takes to apply one update).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence

from rdflib import URIRef

from alm_ld.errors import AlmLdError
from alm_ld.sparql_text import XSD_NS, conditional_write, iri, literal, prefixes
from alm_ld.store.base import QueryResult, Store
from alm_ld.vocab import ID_NS

CLAIMS_GRAPH = ID_NS + "claims"
"""Named graph of the live claims (empty when no ingest is in flight)."""
_PREFIXES = prefixes("alm", "prov", "xsd")


def _seconds(term: str) -> str:
    """A SPARQL expression: the date-time ``term`` as seconds on a day count (proleptic
    Gregorian, days_from_civil), from ``YEAR`` … ``SECONDS`` and integer arithmetic only.
    Engine-neutral on purpose: Virtuoso 7 cannot subtract a duration from a date-time
    (``NOW() - "PT120S"^^xsd:dayTimeDuration`` is its error SQ074), and every engine has these
    functions. Both sides of a comparison come from the store's own ``NOW()``, so its time
    zone (Virtuoso writes local time without one) cancels out."""
    y = f"(YEAR({term}) - IF(MONTH({term}) <= 2, 1, 0))"
    m = f"IF(MONTH({term}) > 2, MONTH({term}) - 3, MONTH({term}) + 9)"
    days = (f"(365 * {y} + FLOOR({y} / 4) - FLOOR({y} / 100) + FLOOR({y} / 400)"
            f" + FLOOR((153 * {m} + 2) / 5) + DAY({term}) - 1)")
    return (f"({days} * 86400 + HOURS({term}) * 3600 + MINUTES({term}) * 60"
            f" + SECONDS({term}))")


def _age(variable: str) -> str:
    """Seconds between ``variable`` (a claim's ``NOW()``) and the store's ``NOW()`` now."""
    return f"({_seconds('NOW()')} - {_seconds(variable)})"


def _lease(seconds: float) -> str:
    return literal(f"{max(seconds, 0.001):.3f}", XSD_NS + "decimal")


def _whole(store: Store) -> Callable[[str], QueryResult]:
    """The store's query over everything it holds. A ``sparql:`` store that shows readers only
    alm-ld's graphs lists them first, in a query of its own; a feed published between that
    list and the check would be missed, so the checks here read the whole store instead
    (their patterns are alm-ld's own and cannot match another application's data)."""
    return getattr(store, "query_whole", store.query)


def _sweep(lease: float) -> str:
    """The update that deletes claims older than the lease (their writers are gone)."""
    graph = iri(CLAIMS_GRAPH)
    return f"""DELETE {{ GRAPH {graph} {{ ?old ?p ?o }} }}
WHERE {{ GRAPH {graph} {{ ?old alm:claimedAt ?at ; ?p ?o }}
        FILTER ({_age("?at")} > {_lease(lease)}) }}"""


def new_claim_iri() -> str:
    return f"{ID_NS}claim/{uuid.uuid4()}"


def claim(store: Store, claim_iri: str, sequence: int, feed_id: str, lease: float) -> None:
    """Write the claim (and delete claims older than the lease: their writers are gone)."""
    graph, node = iri(CLAIMS_GRAPH), iri(claim_iri)
    store.update(f"""{_PREFIXES}
{_sweep(lease)} ;
INSERT {{ GRAPH {graph} {{
  {node} a alm:SequenceClaim ; alm:claimedSequence {literal(sequence)} ;
         alm:claimedFeed {iri(feed_id)} ; alm:claimedAt ?now }} }}
WHERE {{ BIND (NOW() AS ?now) }}""")


def alone(store: Store, claim_iri: str, sequence: int, feed_id: str, lease: float) -> bool:
    """True when ``claim_iri`` is the only live claim on ``sequence`` and neither that
    sequence nor the feed is published yet (see the module docstring, step 2)."""
    graph, number = iri(CLAIMS_GRAPH), literal(sequence)
    result = _whole(store)(f"""{_PREFIXES}
SELECT ?why WHERE {{
  {{ GRAPH {graph} {{ {iri(claim_iri)} alm:claimedSequence ?mine }} BIND ("mine" AS ?why) }}
  UNION
  {{ GRAPH {graph} {{ ?other alm:claimedSequence {number} ; alm:claimedAt ?at }}
     FILTER (?other != {iri(claim_iri)} && {_age("?at")} <= {_lease(lease)})
     BIND ("other" AS ?why) }}
  UNION {{ GRAPH ?g {{ ?g alm:sequence {number} }} BIND ("taken" AS ?why) }}
  UNION {{ GRAPH {iri(feed_id)} {{ {iri(feed_id)} alm:contentHash ?h }} BIND ("feed" AS ?why) }}
}}""")
    reasons = {str(row["why"]) for row in result.rows if "why" in row}
    return reasons == {"mine"}


def publish(store: Store, claim_iri: str, sequence: int, graph_name: str, data: bytes,
            lease: float, *, also: Sequence[tuple[str, bytes]] = (),
            removed: Sequence[tuple[str, Sequence[str]]] = (), requires: str = "") -> None:
    """Insert the feed graph and delete the claim in one update request, if the claim is still
    there and younger than half the lease and nobody published ``sequence`` (step 3).

    ``also`` (more graphs, N-Triples) and ``removed`` (ground lines to delete, per graph) are
    written in the same operation, under the same condition plus ``requires`` (a group
    pattern): ingest publishes a feed with its view lines and alerts this way, conditioned on
    the view's mark it derived them from (alm_ld.pipeline)."""
    graph, node = iri(CLAIMS_GRAPH), iri(claim_iri)
    condition = f"""
  GRAPH {graph} {{ {node} alm:claimedAt ?at }}
  FILTER ({_age("?at")} <= {_lease(lease / 2)})
  FILTER NOT EXISTS {{ GRAPH ?g {{ ?g alm:sequence {literal(sequence)} }} }}{requires}"""
    # The claim goes with the publication, and so do claims whose lease ran out meanwhile: a
    # dead writer's claim that expired between our claim and our check would otherwise stay.
    then = f"DELETE WHERE {{ GRAPH {graph} {{ {node} ?p ?o }} }} ;\n{_sweep(lease)}"
    graphs = [(graph_name, data), *also]
    publish_where = getattr(store, "publish_where", None)
    if publish_where is not None:  # sparql: chunks a large feed through staging graphs
        publish_where(graphs, removed=removed, prologue=_PREFIXES, condition=condition,
                      then=then)
        return
    inserts = [(name, part.decode("utf-8").split("\n")) for name, part in graphs]
    store.update(f"{_PREFIXES}{conditional_write(inserts, removed, condition)} ;\n{then}")


def retract(store: Store, claim_iri: str) -> None:
    """Delete the claim; best effort (an unreachable store lets it expire with its lease)."""
    with contextlib.suppress(AlmLdError):
        store.update(f"DELETE WHERE {{ GRAPH {iri(CLAIMS_GRAPH)} {{ {iri(claim_iri)} ?p ?o }} }}")


def published_by(store: Store, feed_id: str, ingest_iri: str) -> bool:
    """Whether the stored feed graph is the one this writer published (its ingest activity)."""
    result = _whole(store)(f"{_PREFIXES}ASK {{ GRAPH {iri(feed_id)} "
                         f"{{ {iri(feed_id)} prov:wasGeneratedBy {iri(ingest_iri)} }} }}")
    return bool(result.boolean)


def live_claims(store: Store) -> list[URIRef]:
    """The claims in the claims graph (for tests and diagnostics)."""
    result = store.query(f"""{_PREFIXES}
SELECT ?c WHERE {{ GRAPH {iri(CLAIMS_GRAPH)} {{ ?c a alm:SequenceClaim }} }}""")
    return [URIRef(row["c"]) for row in result.rows]


__all__ = ["CLAIMS_GRAPH", "alone", "claim", "live_claims", "new_claim_iri", "publish",
           "published_by", "retract"]
