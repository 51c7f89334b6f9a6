"""What the HTML pages show, read from the store with plain SPARQL strings (docs/MODEL.md).

The pages need more than the numbers (which feed said so, when, and the evidence URL), so they
read the observation nodes themselves and pick the current revision of each key the way the model
defines it: the one from the feed with the highest ``alm:sequence``. Results are plain
dataclasses, so templates never touch rdflib terms.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rdflib import Literal

from alm_ld.analytics.series import newest_per_key
from alm_ld.sparql_text import iri, prefixes
from alm_ld.store.base import Store
from alm_ld.vocab import SOURCES_NS

PREFIXES = prefixes("alm", "prov", "dcterms", "owl", "schema", "skos")


def _py(node: Any) -> Any:
    if node is None:
        return None
    if isinstance(node, Literal):
        value = node.toPython()
        return value if not isinstance(value, Literal) else str(value)
    return str(node)


def iri_ref(text: str) -> str:
    """``<iri>`` for embedding in a query: :func:`alm_ld.sparql_text.iri`, which refuses
    (:class:`~alm_ld.errors.InvalidIdentifier`) anything that is not a valid IRI."""
    return iri(text)


def source_label(source_iri: str | None) -> str:
    """``crossref`` for ``almsrc:crossref``; other IRIs (a provider acting as its own source)
    are shown as they are."""
    if not source_iri:
        return "unknown source"
    return source_iri[len(SOURCES_NS):] if source_iri.startswith(SOURCES_NS) else source_iri


@dataclass
class Observation:
    iri: str
    metric: str
    source: str
    value: int
    aggregation: str
    period_start: date | datetime | None
    period_end: date | datetime
    generated: datetime | None
    evidence: str | None
    feed: str
    sequence: int
    ingested: datetime | None
    provider: str | None
    provider_name: str | None
    revision_of: str | None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.metric, self.source, self.aggregation, str(self.period_start),
                str(self.period_end))

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def cumulative(self) -> bool:
        return not self.aggregation.endswith("interval")


@dataclass
class Event:
    iri: str
    subject: str
    relation: str
    occurred: datetime | date | None
    source: str | None
    license: str | None
    evidence: str | None
    feed: str


@dataclass
class WorkData:
    iri: str
    titles: list[str] = field(default_factory=list)
    issued: str | None = None
    same_as: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    event_total: int = 0
    feeds: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return bool(self.titles or self.observations or self.events or self.same_as)


def select_rows(store: Store, query: str, timeout: float | None) -> list[dict[str, Any]]:
    result = store.query(PREFIXES + query, timeout=timeout)
    return [{k: _py(v) for k, v in row.items()} for row in result.rows]


def work_data(store: Store, work_iri: str, *, event_limit: int = 20,
              timeout: float | None = None) -> WorkData:
    """Everything the work page shows, with the current revision of every observation key."""
    work = iri_ref(work_iri)
    data = WorkData(work_iri)
    for row in select_rows(store, f"""SELECT ?title ?issued ?same WHERE {{
        {{ {work} dcterms:title ?title }} UNION {{ {work} dcterms:issued ?issued }}
        UNION {{ {work} owl:sameAs ?same }} UNION {{ ?same owl:sameAs {work} }} }}""", timeout):
        if row.get("title") and str(row["title"]) not in data.titles:
            data.titles.append(str(row["title"]))
        if row.get("issued"):
            data.issued = str(row["issued"])
        if row.get("same") and row["same"] not in data.same_as and row["same"] != work_iri:
            data.same_as.append(row["same"])
    data.observations = _current(_observations(store, work, timeout))
    data.feeds = sorted({o.feed for o in data.observations})
    data.events = [Event(r["event"], r["subject"], r["relation"], r.get("occurred"),
                         r.get("source"), r.get("license"), r.get("evidence"), r["feed"])
                   for r in select_rows(store, f"""SELECT ?event ?subject ?relation ?occurred
        (SAMPLE(?src) AS ?source) (SAMPLE(?lic) AS ?license) (SAMPLE(?ev) AS ?evidence)
        (SAMPLE(?g) AS ?feed) WHERE {{ GRAPH ?g {{
          ?event alm:object {work} ; alm:subject ?subject ; alm:relation ?relation .
          OPTIONAL {{ ?event alm:occurred ?occurred }} OPTIONAL {{ ?event alm:source ?src }}
          OPTIONAL {{ ?event dcterms:license ?lic }}
          OPTIONAL {{ ?event prov:wasDerivedFrom ?ev }} }} }}
        GROUP BY ?event ?subject ?relation ?occurred
        ORDER BY DESC(?occurred) LIMIT {int(event_limit)}""", timeout)]
    rows = select_rows(store, f"""SELECT (COUNT(DISTINCT ?event) AS ?n) WHERE {{
        ?event alm:object {work} ; alm:relation ?relation }}""", timeout)
    data.event_total = int(rows[0]["n"]) if rows else 0
    return data


def _observations(store: Store, work: str, timeout: float | None) -> list[Observation]:
    rows = select_rows(store, f"""SELECT ?obs ?metric ?source ?value ?agg ?start ?end ?generated
        ?evidence ?feed ?seq ?ingested ?provider ?providerName ?revisionOf WHERE {{
      GRAPH ?feed {{
        ?obs alm:work {work} ; alm:metric ?metric ; alm:value ?value ; alm:periodEnd ?end .
        OPTIONAL {{ ?obs alm:source ?source }} OPTIONAL {{ ?obs alm:aggregation ?agg }}
        OPTIONAL {{ ?obs alm:periodStart ?start }}
        OPTIONAL {{ ?obs prov:generatedAtTime ?generated }}
        OPTIONAL {{ ?obs prov:wasDerivedFrom ?evidence }}
        OPTIONAL {{ ?obs prov:wasRevisionOf ?revisionOf }}
        OPTIONAL {{ ?feed alm:sequence ?seq }} OPTIONAL {{ ?feed alm:ingestedAt ?ingested }}
        OPTIONAL {{ ?feed alm:provider ?provider
                    OPTIONAL {{ ?provider schema:name ?providerName }} }}
      }} }}""", timeout)
    found = []
    for r in rows:
        try:
            value = int(r["value"])
        except (TypeError, ValueError):
            continue
        found.append(Observation(
            iri=r["obs"], metric=r["metric"], source=r.get("source") or r.get("provider") or "",
            value=value, aggregation=r.get("agg") or "cumulative",
            period_start=r.get("start"), period_end=r["end"], generated=r.get("generated"),
            evidence=r.get("evidence"), feed=r["feed"], sequence=int(r.get("seq") or 0),
            ingested=r.get("ingested"), provider=r.get("provider"),
            provider_name=r.get("providerName"), revision_of=r.get("revisionOf")))
    return found


def _current(observations: list[Observation]) -> list[Observation]:
    """One observation per key: the revision from the feed with the highest sequence."""
    current = newest_per_key(observations, key=lambda o: o.key,
                             rank=lambda o: (o.sequence, o.feed))
    return sorted(current, key=lambda o: (o.metric, o.source, str(o.period_end)))


def series_by_metric(observations: list[Observation]) -> dict[str, dict[str, list[Observation]]]:
    """metric IRI → series label (source, plus "per interval" for interval counts) → points."""
    charts: dict[str, dict[str, list[Observation]]] = defaultdict(dict)
    for obs in observations:
        label = obs.source_label if obs.cumulative else f"{obs.source_label} (per interval)"
        charts[obs.metric].setdefault(label, []).append(obs)
    return dict(charts)


@dataclass
class CurrentValue:
    metric: str
    source: str
    value: int
    as_of: date | datetime
    observation: Observation
    interval_total: bool = False

    @property
    def source_label(self) -> str:
        return source_label(self.source)


def current_values(observations: list[Observation]) -> list[CurrentValue]:
    """Per (metric, source): the latest cumulative value, else the sum of interval counts."""
    grouped: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for obs in observations:
        grouped[(obs.metric, obs.source)].append(obs)
    values = []
    for (metric, source), group in sorted(grouped.items()):
        cumulative = [o for o in group if o.cumulative]
        if cumulative:
            latest = max(cumulative, key=lambda o: (str(o.period_end), o.sequence))
            values.append(CurrentValue(metric, source, latest.value, latest.period_end, latest))
        else:
            latest = max(group, key=lambda o: str(o.period_end))
            values.append(CurrentValue(metric, source, sum(o.value for o in group),
                                       latest.period_end, latest, interval_total=True))
    return values


@dataclass
class Stats:
    works: int = 0
    observations: int = 0
    events: int = 0
    feeds: int = 0
    sources: int = 0
    last_ingest: str | None = None


def dataset_stats(store: Store, *, timeout: float | None = None) -> Stats:
    """Headline numbers for the home page (one query each, all aggregates)."""
    def count(where: str, var: str = "?x") -> int:
        rows = select_rows(store, f"SELECT (COUNT(DISTINCT {var}) AS ?n) WHERE {{ {where} }}",
                       timeout)
        return int(rows[0]["n"] or 0) if rows else 0

    stats = Stats(
        works=count("{ ?x a alm:Work } UNION { ?o alm:work ?x } UNION { ?e alm:object ?x }"),
        observations=count("?x a alm:Observation"),
        events=count("?x a alm:Event"),
        feeds=count("?x a alm:Feed"),
        sources=count("?o alm:source ?x"),
    )
    rows = select_rows(store, "SELECT (MAX(?t) AS ?last) WHERE { ?f alm:ingestedAt ?t }", timeout)
    if rows and rows[0].get("last"):
        stats.last_ingest = str(rows[0]["last"])
    return stats


@dataclass
class SourceRow:
    source: str
    works: int
    observations: int
    events: int
    last_seen: str | None

    @property
    def label(self) -> str:
        return source_label(self.source)


def source_overview(store: Store, *, timeout: float | None = None) -> list[SourceRow]:
    """Per source: works covered, observations, events and the newest retrieval time."""
    obs = {r["source"]: r for r in select_rows(store, """SELECT ?source
        (COUNT(DISTINCT ?w) AS ?works) (COUNT(DISTINCT ?o) AS ?obs) (MAX(?t) AS ?last) WHERE {
        ?o a alm:Observation ; alm:source ?source ; alm:work ?w .
        OPTIONAL { ?o prov:generatedAtTime ?t } } GROUP BY ?source""", timeout)}
    events = {r["source"]: r for r in select_rows(store, """SELECT ?source
        (COUNT(DISTINCT ?e) AS ?events) (MAX(?t) AS ?last) WHERE {
        ?e a alm:Event ; alm:source ?source . OPTIONAL { ?e alm:occurred ?t } }
        GROUP BY ?source""", timeout)}
    rows = []
    for source in sorted(set(obs) | set(events), key=source_label):
        o, e = obs.get(source, {}), events.get(source, {})
        last = max((str(v) for v in (o.get("last"), e.get("last")) if v), default=None)
        rows.append(SourceRow(source, int(o.get("works") or 0), int(o.get("obs") or 0),
                              int(e.get("events") or 0), last))
    return rows
