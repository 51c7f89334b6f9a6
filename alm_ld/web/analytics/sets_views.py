"""``/institutions/{ror}``, ``/journals/{issn}``, ``/funders/{id}``, ``/authors/{orcid}``: one
set of works as an HTML page and as linked data (JSON-LD, Turtle, N-Triples, RDF/XML).

The numbers are :func:`alm_ld.analytics.sets.set_summary`'s; this module negotiates, draws
the by-year charts with the work page's chart code and writes the RDF. Ids are accepted in
every form the feed format accepts; a bad id is a 400 problem naming the failed check, a set
no work's current description names is a 404 problem.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Response, render_template
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from alm_ld.analytics.sets import KINDS, SetSummary, path_for, set_path, set_summary
from alm_ld.vocab import ALM_NS, DCTERMS, METRICS_NS, SCHEMA
from alm_ld.web.analytics import blueprint
from alm_ld.web.pages.charts import Point, legend_entries, line_chart_svg
from alm_ld.web.respond import RDF_OFFERS, negotiated_media, rdf_response
from alm_ld.web.state import settings, store

# What links a work to its set in the set's RDF: the schema.org property of the relation the
# feed describes (an author's affiliation is the organisation the work was made for).
_WORK_TO_SET = {"institutions": SCHEMA.sourceOrganization, "journals": SCHEMA.isPartOf,
                "funders": SCHEMA.funder, "authors": SCHEMA.author}


@blueprint.app_context_processor
def _set_links() -> dict[str, Any]:
    """``set_link(key, value)`` for templates (the work page links its authors, affiliations,
    journal and funders to their set pages)."""
    return {"set_link": path_for}


def set_graph(summary: SetSummary, page_url: str) -> Graph:
    """The set as RDF: its type and name, the page about it, one ``schema:interactionStatistic``
    per metric (``alm:metric`` + the sum as ``schema:userInteractionCount``) and its top
    works linked to it."""
    graph = Graph()
    node = URIRef(summary.iri)
    graph.add((node, RDF.type, SCHEMA[KINDS[summary.kind].schema_type]))
    if summary.name:
        graph.add((node, SCHEMA.name, Literal(summary.name)))
    graph.add((node, SCHEMA.identifier, Literal(summary.id)))
    graph.add((node, SCHEMA.url, URIRef(page_url)))
    for metric, total in summary.totals.items():
        counter = BNode()
        graph.add((node, SCHEMA.interactionStatistic, counter))
        graph.add((counter, RDF.type, SCHEMA.InteractionCounter))
        graph.add((counter, URIRef(ALM_NS + "metric"), URIRef(METRICS_NS + metric)))
        graph.add((counter, SCHEMA.name, Literal(metric)))
        graph.add((counter, SCHEMA.userInteractionCount, Literal(total, datatype=XSD.integer)))
    for work in summary.top_works:
        graph.add((URIRef(work["id"]), _WORK_TO_SET[summary.kind], node))
        if work.get("title"):
            graph.add((URIRef(work["id"]), DCTERMS.title, Literal(work["title"])))
    return graph


def _charts(summary: SetSummary) -> list[dict[str, Any]]:
    metrics = sorted({m for year in summary.by_year for m in year["sum"]})
    charts = []
    for metric in metrics:
        points = [Point(date(int(y["year"]), 1, 1), y["sum"][metric])
                  for y in summary.by_year if metric in y["sum"] and y["year"].isdigit()]
        if not points:
            continue
        label = "works issued that year"
        dom_id = "chart-" + "".join(ch if ch.isalnum() else "-" for ch in metric)
        charts.append({"metric": metric, "label": metric, "dom_id": dom_id,
                       "legend": legend_entries([label]), "points": points,
                       "svg": line_chart_svg(dom_id, f"{metric} of the works by year of issue",
                                             {label: points})})
    return charts


def _answer(kind: str, raw_id: str) -> Response:
    negotiated_media(RDF_OFFERS)  # an unservable Accept is a 406 before any store read
    summary = set_summary(store(), kind, raw_id, timeout=settings().query_timeout)
    path = set_path(kind, summary.id)
    page_url = settings().base_url + path

    def html() -> str:
        return render_template("set.html", summary=summary, kind=KINDS[kind], path=path,
                               charts=_charts(summary), works_link="/works?filter="
                               + quote(summary.filter, safe=":/"))

    return rdf_response(set_graph(summary, page_url), path=path, first=URIRef(summary.iri),
                        offers=RDF_OFFERS, html=html,
                        links=[f'<{page_url}>; rel="canonical"'])


# One rule per kind of set (``/institutions/<id>``, ``/journals/<id>``, …): the kinds differ
# only in their data (analytics.sets.KINDS), so one view serves them all; the kind is a rule
# default, never read from the URL, so an unknown segment stays a plain 404.
for _kind in KINDS:
    blueprint.add_url_rule(f"/{_kind}/<path:raw_id>", endpoint=f"set_{_kind}",
                           view_func=_answer, defaults={"kind": _kind}, methods=["GET"])
