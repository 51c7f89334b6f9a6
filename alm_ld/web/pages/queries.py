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

from alm_ld.analytics.observation_rows import Observation
from alm_ld.analytics.series import current_revisions, fetch_counts
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


def _temporal(lexical: str) -> date | datetime:
    """A stored ``xsd:date`` / ``xsd:dateTime`` lexical form as the ``when`` filter prints it."""
    if len(lexical) == 10:
        return date.fromisoformat(lexical)
    return datetime.fromisoformat(lexical.replace("Z", "+00:00"))


@dataclass(frozen=True)
class ShownObservation:
    """A current observation as the work page prints it: the one read model's record
    (:class:`alm_ld.analytics.observation_rows.Observation`, loaded by
    :func:`alm_ld.analytics.series.fetch_counts`) plus where the page says it came from — the
    newest feed holding it, that feed's provider and ingest time, and the provider's own
    retrieval time (``prov:generatedAtTime``), which only the page shows."""

    observation: Observation
    feed: str
    ingested: date | datetime | None = None
    provider: str | None = None
    provider_name: str | None = None
    generated: date | datetime | None = None

    @property
    def iri(self) -> str:
        return self.observation.iri

    @property
    def metric(self) -> str:
        return self.observation.metric

    @property
    def source(self) -> str:
        return self.observation.source

    @property
    def value(self) -> int:
        return self.observation.value

    @property
    def sequence(self) -> int:
        return self.observation.sequence

    @property
    def period_end(self) -> date | datetime:
        return _temporal(self.observation.end)

    @property
    def evidence(self) -> str | None:
        return self.observation.evidence[0] if self.observation.evidence else None

    @property
    def revision_of(self) -> str | None:
        return self.observation.revision_of

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def cumulative(self) -> bool:
        return not self.observation.aggregation.endswith("interval")


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
    observations: list[ShownObservation] = field(default_factory=list)
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
    data.observations = _current(store, work_iri, timeout)
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


def _current(store: Store, work_iri: str, timeout: float | None) -> list[ShownObservation]:
    """The current revision of every observation key of the work (the one rule,
    :func:`alm_ld.analytics.series.current_revisions`), each with its provenance."""
    current = current_revisions(fetch_counts(store, work_iri, timeout=timeout))
    if not current:
        return []
    # Provenance the read model does not carry, per (observation, feed holding it); the page
    # names the newest of those feeds, as the current revision's own.
    best: dict[str, dict[str, Any]] = {}
    for row in select_rows(store, f"""SELECT ?obs ?feed ?seq ?generated ?revisionOf ?ingested
        ?provider ?providerName WHERE {{ GRAPH ?feed {{
        ?obs alm:work {iri_ref(work_iri)} . ?feed alm:sequence ?seq .
        OPTIONAL {{ ?obs prov:generatedAtTime ?generated }}
        OPTIONAL {{ ?obs prov:wasRevisionOf ?revisionOf }}
        OPTIONAL {{ ?feed alm:ingestedAt ?ingested }}
        OPTIONAL {{ ?feed alm:provider ?provider
                    OPTIONAL {{ ?provider schema:name ?providerName }} }} }} }}""", timeout):
        seen = best.get(row["obs"])
        if seen is None or (int(row["seq"]), row["feed"]) > (int(seen["seq"]), seen["feed"]):
            best[row["obs"]] = row
    shown = []
    for obs in current:
        row = best.get(obs.iri, {})
        if row.get("revisionOf"):
            obs.revision_of = row["revisionOf"]
        shown.append(ShownObservation(
            obs, feed=row.get("feed") or max(obs.feeds), ingested=row.get("ingested"),
            provider=row.get("provider"), provider_name=row.get("providerName"),
            generated=row.get("generated")))
    return sorted(shown, key=lambda o: (o.metric, o.source, o.observation.end))


def series_by_metric(
        observations: list[ShownObservation]) -> dict[str, dict[str, list[ShownObservation]]]:
    """metric IRI → series label (source, plus "per interval" for interval counts) → points."""
    charts: dict[str, dict[str, list[ShownObservation]]] = defaultdict(dict)
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
    observation: ShownObservation
    interval_total: bool = False

    @property
    def source_label(self) -> str:
        return source_label(self.source)


def current_values(observations: list[ShownObservation]) -> list[CurrentValue]:
    """Per (metric, source): the latest cumulative value, else the sum of interval counts."""
    grouped: dict[tuple[str, str], list[ShownObservation]] = defaultdict(list)
    for obs in observations:
        grouped[(obs.metric, obs.source)].append(obs)
    values = []
    for (metric, source), group in sorted(grouped.items()):
        cumulative = [o for o in group if o.cumulative]
        if cumulative:
            latest = max(cumulative, key=lambda o: (o.observation.end, o.sequence))
            values.append(CurrentValue(metric, source, latest.value, latest.period_end, latest))
        else:
            latest = max(group, key=lambda o: o.observation.end)
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
