"""The work page's content, assembled from the store into what the template shows.

Kept apart from Flask so it can be built and checked without a request: numbers grouped under
the five PLOS categories, one chart per metric, events, related works, provenance and links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from alm_ld.analytics import Related, related_works
from alm_ld.analytics.work_metadata import WorkMetadata, current_metadata_graph, work_metadata
from alm_ld.store.base import Store
from alm_ld.vocab import CATEGORIES, CATEGORIES_NS, category_of, concept_label
from alm_ld.web.pages.charts import Point, legend_entries, line_chart_svg
from alm_ld.web.pages.examples import work_series_query
from alm_ld.web.pages.links import editor_link, short_id, work_path
from alm_ld.web.pages.queries import (
    CurrentValue,
    Event,
    ShownObservation,
    WorkData,
    current_values,
    series_by_metric,
    work_data,
)
from alm_ld.web.pages.schema_org import metric_label, scholarly_article, script_json

OTHER = "other"


@dataclass
class Chart:
    metric: str
    label: str
    svg: str
    legend: list[dict[str, str]]
    series: dict[str, list[ShownObservation]]

    @property
    def dom_id(self) -> str:
        return "chart-" + "".join(ch if ch.isalnum() else "-" for ch in self.label.lower())


@dataclass
class CategoryBlock:
    slug: str
    label: str
    values: list[CurrentValue] = field(default_factory=list)


@dataclass
class WorkPage:
    data: WorkData
    title: str
    short_id: str
    categories: list[CategoryBlock]
    charts: list[Chart]
    events: list[Event]
    related: list[Related]
    sparql_link: str
    json_ld: str
    formats: list[tuple[str, str, str]]
    metadata: WorkMetadata = field(default_factory=WorkMetadata)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def build_work_page(store: Store, work_iri: str, *, base_url: str,
                    timeout: float | None = None) -> WorkPage:
    data = work_data(store, work_iri, timeout=timeout)
    metadata = work_metadata(current_metadata_graph(store, work_iri, timeout=timeout), work_iri)
    values = current_values(data.observations)
    blocks = {slug: CategoryBlock(slug, concept_label(CATEGORIES_NS + slug) or slug.title())
              for slug in CATEGORIES}
    blocks[OTHER] = CategoryBlock(OTHER, "Other metrics")
    for value in values:
        blocks[category_of(value.metric) or OTHER].values.append(value)
    categories = [b for slug, b in blocks.items() if slug != OTHER or b.values]

    charts = []
    for metric, series in sorted(series_by_metric(data.observations).items(),
                                 key=lambda item: metric_label(item[0]).lower()):
        label = metric_label(metric)
        chart = Chart(metric, label, "", legend_entries(list(series)), series)
        chart.svg = line_chart_svg(
            chart.dom_id, f"{label} over time by source",
            {name: [Point(_day(o.period_end), o.value) for o in pts]
             for name, pts in series.items()})
        charts.append(chart)

    path = work_path(work_iri)
    page_url = base_url + path
    return WorkPage(
        data=data,
        title=metadata.title or (data.titles[0] if data.titles else short_id(work_iri)),
        short_id=short_id(work_iri),
        categories=categories,
        charts=charts,
        events=data.events,
        related=related_works(store, work_iri, timeout=timeout),
        sparql_link=editor_link(work_series_query(work_iri)),
        json_ld=script_json(scholarly_article(work_iri, page_url, data.titles, data.same_as,
                                              values)),
        formats=[("JSON-LD", "application/ld+json", path + "?format=jsonld"),
                 ("Turtle", "text/turtle", path + "?format=ttl"),
                 ("N-Triples", "application/n-triples", path + "?format=nt"),
                 ("RDF/XML", "application/rdf+xml", path + "?format=rdf"),
                 ("Time series", "application/ld+json", path + "/metrics"),
                 ("Related works", "application/ld+json", path + "/related")],
        metadata=metadata,
    )
