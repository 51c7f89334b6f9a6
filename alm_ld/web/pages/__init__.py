"""HTML pages: the same resources as the linked data, shown to people.

The pages blueprint owns only what has no other representation: the home page (``/``) and the
identifier search (``/search``). Resources that are also data — a work, the sources, the SPARQL
endpoint — keep one URL; their views negotiate and import and call the renderers here for
``text/html``:

* :func:`render_work` — ``/works/{id}`` (called by the works view)
* :func:`render_sources` — ``/sources`` (called by the analytics view)
* :func:`render_sparql_editor` — ``/sparql`` without a query (called by the SPARQL view)

Templates live in ``alm_ld/web/templates``, CSS/JS and the vendored YASGUI in
``alm_ld/web/static``; nothing on any page is fetched from another host.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from flask.blueprints import BlueprintSetupState

from alm_ld.errors import InvalidIdentifier
from alm_ld.identifiers import ACCEPTED_FORMS, parse_work_id
from alm_ld.sparql_text import prefixes
from alm_ld.vocab import CATEGORIES, concept_label
from alm_ld.web.pages.examples import DEFAULT_WORK, examples
from alm_ld.web.pages.links import editor_link, safe_href, short_id, work_path
from alm_ld.web.pages.queries import (
    dataset_stats,
    iri_ref,
    select_rows,
    source_label,
    source_overview,
)
from alm_ld.web.pages.schema_org import metric_label, script_json
from alm_ld.web.pages.work_view import build_work_page
from alm_ld.web.rdf_out import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE
from alm_ld.web.respond import link_header, negotiated_media, rdf_response
from alm_ld.web.state import settings, store
from alm_ld.web.void import catalog_graph
from alm_ld.web.work_document import same_as

blueprint = Blueprint("pages", __name__)

HTML_TYPE = "text/html; charset=utf-8"


def _template_globals() -> dict[str, Any]:
    return {
        "work_path": work_path, "short_id": short_id, "metric_label": metric_label,
        "concept_label": concept_label, "source_label": source_label,
        "editor_link": editor_link, "categories": CATEGORIES, "work_page": _work_page,
        "safe_href": safe_href,
    }


def _work_page(work_iri: str) -> Any:
    """The work page model, for ``work.html`` rendered by the works view with its own context."""
    return build_work_page(store(), work_iri, base_url=settings().base_url,
                           timeout=settings().query_timeout)


@blueprint.app_context_processor
def _inject() -> dict[str, Any]:
    return _template_globals()


@blueprint.app_template_filter("when")
def _when(value: Any) -> str:
    """Dates as ``2026-03-01``, times as ``2026-03-01 06:00 UTC`` (the store keeps full ISO)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.strftime("%Y-%m-%d %H:%M UTC")
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


@blueprint.record_once
def _configure_templates(setup: BlueprintSetupState) -> None:
    """Template settings every page relies on, whichever view renders it."""
    # Escape every template, whatever its name (Flask's default escapes only .html/.xml/…):
    # stored values from provider feeds reach every page. Markup that must not be escaped is
    # marked |safe in the template with the reason next to it.
    setup.app.jinja_env.autoescape = True
    # Macros imported by templates (_macros.html) see only environment globals.
    setup.app.jinja_env.globals["safe_href"] = safe_href


def work_exists(work_iri: str) -> bool:
    """True when the store knows anything about the work (as a work, observed or an event)."""
    work = iri_ref(work_iri)
    result = store().query(
        prefixes("alm") + "ASK { "
        f"{{ {work} a alm:Work }} UNION {{ ?o alm:work {work} }} UNION "
        f"{{ ?e alm:object {work} }} }}", timeout=settings().query_timeout)
    return bool(result.boolean)


def render_work(work_iri: str) -> str:
    """The work page (HTML) for a work the caller has found in the store."""
    return render_template("work.html", page=_work_page(work_iri), work_iri=work_iri)


def render_sources(providers: list[dict[str, Any]] | None = None) -> str:
    """The provider dashboard. ``providers`` are the analytics layer's records
    (``alm_ld.analytics.source_dashboard``, as the ``/sources`` view passes them); the page adds
    its own per-source overview (works covered, last seen) from the store."""
    overview = source_overview(store(), timeout=settings().query_timeout)
    return render_template("sources.html", overview=overview, providers=providers or [])


def render_sparql_editor(query: str | None = None) -> str:
    """The SPARQL editor page (YASGUI, served from this service's own static files), holding
    ``query`` when given (``/sparql?query=…`` asked for as HTML), else the first example."""
    sample = _any_work() or DEFAULT_WORK
    config = {"endpoint": "/sparql", "query": query,
              "examples": [vars(e) for e in examples(sample)]}
    return render_template("sparql.html", examples=examples(sample),
                           config_json=script_json(config, indent=None))


def _any_work() -> str | None:
    rows = select_rows(store(), "SELECT ?w WHERE { ?o alm:work ?w } LIMIT 1",
                       settings().query_timeout)
    return rows[0]["w"] if rows else None


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, content_type=HTML_TYPE)
    response.vary.add("Accept")
    return response


HOME_OFFERS = (HTML, JSONLD, TURTLE, NTRIPLES, RDFXML)
"""The home page is also the catalog as data (:func:`alm_ld.web.void.catalog_graph`); HTML
first, so clients that accept anything get the page."""


@blueprint.get("/")
def home() -> Response:
    media = negotiated_media(HOME_OFFERS)
    if media != HTML:
        return rdf_response(catalog_graph(store(), settings()), path="/",
                            offers=HOME_OFFERS[1:])
    response = _html(_render_home())
    response.headers["Link"] = link_header("/", HOME_OFFERS, HTML)
    return response


def _render_home(message: str | None = None, query: str = "") -> str:
    return render_template("home.html", stats=dataset_stats(store(),
                                                            timeout=settings().query_timeout),
                           message=message, query=query, accepted=ACCEPTED_FORMS,
                           example_work=_any_work())


@blueprint.get("/search")
def search() -> Response:
    """Find a work by any accepted identifier spelling and go to its page (303)."""
    text = (request.args.get("id") or "").strip()
    if not text:
        return _html(_render_home("Type an identifier to look up a work.", text), 400)
    try:
        work = parse_work_id(text)
    except InvalidIdentifier as error:
        return _html(_render_home(error.detail, text), 400)
    if not work_exists(work.iri):
        canonical = same_as(store(), work.iri, timeout=settings().query_timeout)
        if canonical:  # an alternate identifier (a PMID of a DOI-keyed work, say)
            return redirect(work_path(canonical), code=303)  # type: ignore[return-value]
        return _html(_render_home(
            f"No metrics are stored for {work.curie} ({work.iri}) yet. Check the identifier, "
            "or send a feed about it to POST /feeds.", text), 404)
    return redirect(work_path(work.iri), code=303)  # type: ignore[return-value]


__all__ = ["blueprint", "render_sources", "render_sparql_editor", "render_work", "work_exists"]
