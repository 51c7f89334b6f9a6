"""Provider dashboard data: who sends what, how recently, how reliably, with what disclosure.

One entry per provider (the ``alm:provider`` of feeds), with its latest NISO RP-25 disclosure
(from its most recent feed that has one), the last ingest and the last ``generated`` time of its
feeds, counts of feeds, observations and events, the upstream sources its data name, the failure
rate of its harvests where harvest runs were recorded, and its open alerts.
"""

from __future__ import annotations

from typing import Any

from alm_ld.analytics.sparql import select, short
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, DISCLOSURE_KEYS, SOURCES_NS


def _providers(store: Store) -> dict[str, dict[str, Any]]:
    # The union default graph repeats a triple once per graph holding it (a provider's name is
    # in each of its feeds), so the per-feed numbers are summed in a subquery that only touches
    # the feed nodes, each of which lives in one graph.
    rows = select(store, """
SELECT ?provider (COUNT(?feed) AS ?feeds) (MAX(?at) AS ?last) (MAX(?gen) AS ?lastGen)
       (SUM(?oc) AS ?obs) (SUM(?ec) AS ?ev)
WHERE {
  { SELECT DISTINCT ?feed ?provider ?at ?gen ?oc ?ec WHERE {
      ?feed alm:sequence ?seq ; alm:provider ?provider ; alm:ingestedAt ?at .
      OPTIONAL { ?feed prov:generatedAtTime ?gen }
      OPTIONAL { ?feed alm:observationCount ?oc }
      OPTIONAL { ?feed alm:eventCount ?ec } } }
} GROUP BY ?provider ORDER BY ?provider""")
    names = {row["provider"]: row["name"] for row in select(store, """
SELECT ?provider (SAMPLE(?n) AS ?name) WHERE {
  ?feed alm:sequence ?seq ; alm:provider ?provider . ?provider schema:name ?n .
} GROUP BY ?provider""")}
    return {row["provider"]: {
        "id": row["provider"], "type": "prov:Agent", "name": names.get(row["provider"]),
        "feeds": int(row["feeds"]), "observationCount": int(row.get("obs") or 0),
        "eventCount": int(row.get("ev") or 0), "lastIngested": row.get("last"),
        "lastGenerated": row.get("lastGen"),
    } for row in rows}


def _disclosures(store: Store) -> dict[str, dict[str, str]]:
    rows = select(store, """
SELECT ?provider ?seq ?key ?text WHERE {
  ?feed alm:provider ?provider ; alm:sequence ?seq ; alm:disclosure ?d .
  ?d ?key ?text .
}""")
    latest: dict[str, int] = {}
    for row in rows:
        latest[row["provider"]] = max(latest.get(row["provider"], 0), int(row["seq"]))
    result: dict[str, dict[str, str]] = {}
    for row in rows:
        if int(row["seq"]) != latest[row["provider"]] or not row["key"].startswith(ALM_NS):
            continue
        key = row["key"][len(ALM_NS):]
        if key in DISCLOSURE_KEYS:
            result.setdefault(row["provider"], {})[key] = row["text"]
    return {p: {k: d[k] for k in DISCLOSURE_KEYS if k in d} for p, d in result.items()}


def _sources(store: Store) -> dict[str, list[dict[str, Any]]]:
    rows = select(store, """
SELECT ?provider ?source ?kind (COUNT(DISTINCT ?item) AS ?n) WHERE {
  ?feed alm:provider ?provider ; alm:sequence ?seq .
  GRAPH ?feed { ?item a ?kind ; alm:source ?source .
                VALUES ?kind { alm:Observation alm:Event } }
} GROUP BY ?provider ?source ?kind""")
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        entry = merged.setdefault((row["provider"], row["source"]), {
            "source": short(row["source"], SOURCES_NS), "observationCount": 0, "eventCount": 0})
        field = "observationCount" if row["kind"] == ALM_NS + "Observation" else "eventCount"
        entry[field] = int(row["n"])
    result: dict[str, list[dict[str, Any]]] = {}
    for (provider, _), entry in sorted(merged.items()):
        result.setdefault(provider, []).append(entry)
    return result


def _alert_counts(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    """Open alerts per provider (via the feeds they came from) and per source IRI."""
    by_provider: dict[str, int] = {}
    for row in select(store, """
SELECT ?provider (COUNT(DISTINCT ?a) AS ?n) WHERE {
  { ?a a alm:Alert ; alm:feed ?feed . ?feed alm:provider ?provider }
  UNION { ?a a alm:Alert ; alm:provider ?provider }
} GROUP BY ?provider"""):
        by_provider[row["provider"]] = int(row["n"])
    by_source: dict[str, int] = {}
    for row in select(store, """
SELECT ?source (COUNT(DISTINCT ?a) AS ?n) WHERE {
  ?a a alm:Alert . { ?a alm:source ?source } UNION { ?a alm:otherSource ?source }
} GROUP BY ?source"""):
        by_source[row["source"]] = int(row["n"])
    return by_provider, by_source


def _failure_rates(store: Store) -> dict[str, float]:
    """Share of works that failed in the provider's last recorded harvest run."""
    rates = {}
    for row in select(store, """
SELECT ?provider ?failed ?attempted WHERE {
  ?a alm:alertType alm:HarvestFailed ; alm:provider ?provider ;
     alm:value ?failed ; alm:previousValue ?attempted .
}"""):
        attempted = int(row["attempted"])
        rates[row["provider"]] = round(int(row["failed"]) / attempted, 4) if attempted else 1.0
    return rates


def source_dashboard(store: Store, provider: str | None = None) -> list[dict[str, Any]]:
    providers = _providers(store)
    if provider is not None:
        providers = {k: v for k, v in providers.items() if k == provider}
    disclosures = _disclosures(store)
    sources = _sources(store)
    alert_by_provider, alert_by_source = _alert_counts(store)
    failures = _failure_rates(store)
    result = []
    for key, entry in providers.items():
        if entry["name"] is None:
            del entry["name"]
        entry["disclosure"] = disclosures.get(key, {})
        members = sources.get(key, [])
        for member in members:
            member["openAlerts"] = alert_by_source.get(
                member["source"] if ":" in member["source"] else SOURCES_NS + member["source"],
                0)
        entry["sources"] = members
        if key in failures:
            entry["failureRate"] = failures[key]
        entry["openAlerts"] = alert_by_provider.get(key, 0)
        result.append(entry)
    return result
