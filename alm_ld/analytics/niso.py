"""A provider's NISO RP-25-2016 self-reporting table, with what alm-ld observed next to it.

The NISO Altmetrics Data Quality Code of Conduct (RP-25-2016) asks data providers and
aggregators to answer 13 reporting items publicly; feeds carry those answers as ``disclosure``
(docs/feed-format.md, one key per item, in the table's order: :data:`alm_ld.vocab.DISCLOSURE_KEYS`).
Providers write these tables by hand; here the table is built from the provider's latest
disclosure, and where alm-ld can check a claim from what it received, the observation is shown
next to it:

=====  =========================  ===========================================================
item   declared                   observed by alm-ld
=====  =========================  ===========================================================
1      dataSources                the sources its observations and events name
2      metricDefinitions          the metrics (counts) and relations (events) it sent
5      changeLog                  how often the disclosure itself changed across its feeds
7      updateFrequency            the median interval between its ingests (and the declared
                                  interval, when it reads as a duration or a word such as
                                  "daily")
11     qualityMonitoring          open data-quality alerts on its data, by type
12     independentVerification    how many of its observations and events link the response
                                  they were read from (evidence)
13     correctionProcess          corrections seen: stored values revised by a later feed
                                  (``prov:wasRevisionOf``)
=====  =========================  ===========================================================

The **change log** lists, per feed that carried a disclosure, the items that appeared, changed
or disappeared compared with the provider's previous disclosure.

Item wording is Crossref's reproduction of the RP-25 table; the recommendation codes (T1…A3)
follow Crossref's and Overton's self-reports (see /work/shared/standards/FACTS.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from typing import Any

from alm_ld.analytics.sources import source_dashboard
from alm_ld.analytics.sparql import iri, select, short
from alm_ld.analytics.timeutil import moment_of, parse_frequency
from alm_ld.store.base import Store
from alm_ld.vocab import ALM_NS, DISCLOSURE_KEYS, METRICS_NS, RELATIONS_NS

STANDARD = "NISO RP-25-2016 Altmetrics Data Quality Code of Conduct"


@dataclass(frozen=True)
class Item:
    number: int
    key: str
    requirement: str
    codes: str


ITEMS = tuple(Item(n, key, text, codes) for n, (key, text, codes) in enumerate((
    ("dataSources", "List all available data and metrics (providers and aggregators) and "
     "altmetric data providers from which data are collected (aggregators).", "T1"),
    ("metricDefinitions", "Provide a clear definition of each metric.", "A1"),
    ("collectionMethod", "Describe the method(s) by which data are generated or collected and "
     "how data are maintained over time.", "T1, T2, R1"),
    ("limitations", "Describe all known limitations of the data.", "A3"),
    ("changeLog", "Provide a documented audit trail of how and when data generation and "
     "collection methods change over time and list all known effects of these changes.",
     "R1, R2, R3"),
    ("aggregationMethod", "Describe how data are aggregated.", "T2"),
    ("updateFrequency", "Detail how often data are updated.", "T3"),
    ("accessMethod", "Describe how data can be accessed.", "T4"),
    ("consistencyAcrossClients", "Confirm that data provided to different data aggregators and "
     "users at the same time are identical and, if not, how and why they differ.", "R4"),
    ("consistencyAcrossMethods", "Confirm that all retrieval methods lead to the same data and, "
     "if not, how and why they differ.", ""),
    ("qualityMonitoring", "Describe the data-quality monitoring process.", "T5, A2"),
    ("independentVerification", "Provide a process by which data can be independently "
     "verified.", "R5"),
    ("correctionProcess", "Provide a process for reporting and correcting data or metrics that "
     "are suspected to be inaccurate.", "A2"),
), start=1))
assert tuple(i.key for i in ITEMS) == DISCLOSURE_KEYS


def _feeds(store: Store, provider: str) -> list[dict[str, Any]]:
    return select(store, f"""
SELECT DISTINCT ?feed ?seq ?at ?gen WHERE {{
  ?feed alm:provider {iri(provider)} ; alm:sequence ?seq ; alm:ingestedAt ?at .
  OPTIONAL {{ ?feed prov:generatedAtTime ?gen }}
}} ORDER BY ?seq""")


def _disclosure_history(store: Store, provider: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """(feed row, disclosure) per feed of the provider that carried a disclosure, in order."""
    rows = select(store, f"""
SELECT ?feed ?seq ?at ?key ?text WHERE {{
  ?feed alm:provider {iri(provider)} ; alm:sequence ?seq ; alm:ingestedAt ?at ;
        alm:disclosure ?d .
  ?d ?key ?text .
}}""")
    per_feed: dict[int, tuple[dict[str, Any], dict[str, str]]] = {}
    for row in rows:
        if not str(row["key"]).startswith(ALM_NS):
            continue
        key = str(row["key"])[len(ALM_NS):]
        if key not in DISCLOSURE_KEYS:
            continue
        entry = per_feed.setdefault(int(row["seq"]), (
            {"feed": row["feed"], "sequence": int(row["seq"]), "ingested": row["at"]}, {}))
        entry[1][key] = str(row["text"])
    return [per_feed[s] for s in sorted(per_feed)]


def change_log(history: list[tuple[dict[str, Any], dict[str, str]]]) -> list[dict[str, Any]]:
    """One entry per feed whose disclosure differs from the previous one (the first counts)."""
    entries = []
    previous: dict[str, str] = {}
    for feed, disclosure in history:
        changes = []
        for item in ITEMS:
            before, after = previous.get(item.key), disclosure.get(item.key)
            if before == after:
                continue
            kind = "added" if before is None else "removed" if after is None else "changed"
            change: dict[str, Any] = {"item": item.number, "key": item.key, "change": kind}
            if after is not None:
                change["text"] = after
            if before is not None:
                change["previous"] = before
            changes.append(change)
        if changes:
            entries.append({**feed, "changes": changes})
        previous = disclosure
    return entries


def _seen(store: Store, provider: str) -> dict[str, dict[str, int]]:
    """Metrics (observations) and relations (events) in the provider's feeds, with counts."""
    rows = select(store, f"""
SELECT ?kind ?concept (COUNT(DISTINCT ?item) AS ?n) WHERE {{
  ?feed alm:provider {iri(provider)} ; alm:sequence ?seq .
  GRAPH ?feed {{
    {{ ?item a alm:Observation ; alm:metric ?concept . BIND("metric" AS ?kind) }}
    UNION {{ ?item a alm:Event ; alm:relation ?concept . BIND("relation" AS ?kind) }}
  }}
}} GROUP BY ?kind ?concept""")
    seen: dict[str, dict[str, int]] = {"metrics": {}, "relations": {}}
    for row in rows:
        if row["kind"] == "metric":
            seen["metrics"][short(row["concept"], METRICS_NS) or row["concept"]] = int(row["n"])
        else:
            seen["relations"][short(row["concept"], RELATIONS_NS) or row["concept"]] = \
                int(row["n"])
    return {k: dict(sorted(v.items())) for k, v in seen.items()}


def _revisions(store: Store, provider: str) -> int:
    rows = select(store, f"""
SELECT (COUNT(DISTINCT ?obs) AS ?n) WHERE {{
  ?feed alm:provider {iri(provider)} ; alm:sequence ?seq .
  GRAPH ?feed {{ ?obs prov:wasRevisionOf ?earlier }}
}}""")
    return int(rows[0]["n"]) if rows and rows[0].get("n") is not None else 0


def _evidence(store: Store, provider: str) -> dict[str, int]:
    """How many of the provider's observations and events link the response they were read
    from (``prov:wasDerivedFrom``): what an independent check can start from."""
    rows = select(store, f"""
SELECT (COUNT(DISTINCT ?item) AS ?all) (COUNT(DISTINCT ?linked) AS ?withEvidence) WHERE {{
  ?feed alm:provider {iri(provider)} ; alm:sequence ?seq .
  GRAPH ?feed {{ ?item a ?kind . VALUES ?kind {{ alm:Observation alm:Event }}
                 OPTIONAL {{ ?item prov:wasDerivedFrom ?e . BIND(?item AS ?linked) }} }}
}}""")
    row = rows[0] if rows else {}
    return {"items": int(row.get("all") or 0), "withEvidence": int(row.get("withEvidence") or 0)}


def _alerts_by_type(store: Store, provider: str) -> dict[str, int]:
    target = iri(provider)
    rows = select(store, f"""
SELECT ?type (COUNT(DISTINCT ?a) AS ?n) WHERE {{
  {{ ?a a alm:Alert ; alm:feed ?feed . ?feed alm:provider {target} }}
  UNION {{ ?a a alm:Alert ; alm:provider {target} }}
  ?a alm:alertType ?type .
}} GROUP BY ?type""")
    return dict(sorted((short(r["type"], ALM_NS) or r["type"], int(r["n"])) for r in rows))


def _span_text(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def _frequency(declared: str | None, feeds: list[dict[str, Any]]) -> dict[str, Any]:
    moments = sorted(moment_of(str(f["at"])) for f in feeds)
    gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
    observed: dict[str, Any] = {"ingests": len(moments)}
    if moments:
        observed["firstIngested"] = feeds[0]["at"]
        observed["lastIngested"] = feeds[-1]["at"]
    if gaps:
        middle = median(gaps)
        observed["medianIntervalSeconds"] = int(middle.total_seconds())
        observed["medianInterval"] = _span_text(middle)
    span = parse_frequency(declared)
    if span is not None:
        observed["declaredIntervalSeconds"] = int(span.total_seconds())
        if gaps:
            ratio = median(gaps) / span
            observed["agreesWithDeclared"] = 0.5 <= ratio <= 2.0
    return observed


def _observed_text(key: str, observed: dict[str, Any]) -> str:
    """A one-line reading of ``observed`` for the HTML and CSV tables."""
    if key == "dataSources":
        return "Sources seen: " + (", ".join(
            f"{s['source']} ({s['observationCount']} observations, {s['eventCount']} events)"
            for s in observed["sources"]) or "none")
    if key == "metricDefinitions":
        parts = [f"{k} ({v})" for k, v in observed["metrics"].items()]
        parts += [f"{k} events ({v})" for k, v in observed["relations"].items()]
        return "Seen: " + (", ".join(parts) or "nothing")
    if key == "changeLog":
        return (f"{observed['disclosureChanges']} disclosure change(s) over "
                f"{observed['feedsWithDisclosure']} feed(s) with a disclosure")
    if key == "updateFrequency":
        text = f"{observed['ingests']} ingest(s)"
        if "medianInterval" in observed:
            text += f", median interval {observed['medianInterval']}"
        if "agreesWithDeclared" in observed:
            text += (", consistent with the declared frequency" if observed["agreesWithDeclared"]
                     else ", NOT consistent with the declared frequency")
        elif "medianInterval" in observed:
            text += "; the declared frequency is not a duration alm-ld can compare"
        return text
    if key == "qualityMonitoring":
        alerts = observed["openAlertsByType"]
        return f"{observed['openAlerts']} open alert(s)" + (
            ": " + ", ".join(f"{k} {v}" for k, v in alerts.items()) if alerts else "")
    if key == "independentVerification":
        return (f"{observed['withEvidence']} of {observed['items']} observations and events "
                "link the response they were read from")
    if key == "correctionProcess":
        return f"{observed['revisions']} stored value(s) revised by a later feed"
    return ""


def niso_report(store: Store, provider: str) -> dict[str, Any] | None:
    """The self-reporting table of ``provider`` (its IRI); ``None`` if it sent no feed."""
    dashboard = source_dashboard(store, provider)
    if not dashboard:
        return None
    entry = dashboard[0]
    declared = entry.get("disclosure") or {}
    feeds = _feeds(store, provider)
    history = _disclosure_history(store, provider)
    log = change_log(history)
    seen = _seen(store, provider)
    by_type = _alerts_by_type(store, provider)
    observed: dict[str, dict[str, Any]] = {
        "dataSources": {"sources": [{k: s[k] for k in ("source", "observationCount",
                                                       "eventCount")}
                                    for s in entry.get("sources", [])]},
        "metricDefinitions": seen,
        "changeLog": {"feedsWithDisclosure": len(history),
                      "disclosureChanges": max(len(log) - 1, 0)},
        "updateFrequency": _frequency(declared.get("updateFrequency"), feeds),
        "qualityMonitoring": {"openAlerts": entry.get("openAlerts", 0),
                              "openAlertsByType": by_type},
        "independentVerification": _evidence(store, provider),
        "correctionProcess": {"revisions": _revisions(store, provider)},
    }
    if "failureRate" in entry:
        observed["qualityMonitoring"]["lastHarvestFailureRate"] = entry["failureRate"]
    rows = []
    for item in ITEMS:
        row: dict[str, Any] = {"item": item.number, "key": item.key,
                               "requirement": item.requirement, "codes": item.codes,
                               "declared": declared.get(item.key)}
        if item.key in observed:
            row["observed"] = observed[item.key]
            row["observedText"] = _observed_text(item.key, observed[item.key])
        rows.append(row)
    return {
        "provider": {"id": provider, "name": entry.get("name")},
        "standard": STANDARD,
        "feeds": entry.get("feeds", 0),
        "declaredItems": sum(1 for item in ITEMS if declared.get(item.key)),
        "items": rows,
        "changeLog": log,
    }

