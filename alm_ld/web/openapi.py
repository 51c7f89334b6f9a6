"""The OpenAPI 3.1 description of every route (served at ``/openapi.json``).

Kept as data next to the views it describes, and checked against the routes Flask actually
registered: :func:`undocumented_routes` lists every (method, path) of ``app.url_map`` missing
here (a test fails on any), and schemathesis drives the real served process from this document
(``tests/security/test_schemathesis.py``), so a promised media type, status code or response
shape that the service does not keep is a test failure, not a surprise for a client.

Media types are exactly what each view negotiates (its ``offers``): text/html only where a view
renders HTML. Every error is ``application/problem+json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from alm_ld.analytics.alerts import ALERT_TYPES
from alm_ld.analytics.changes import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from alm_ld.analytics.timeutil import GRANULARITIES
from alm_ld.web.conneg import FORMAT_NAMES

JSONLD, JSON, HTML = "application/ld+json", "application/json", "text/html"
TURTLE, NTRIPLES, RDFXML = "text/turtle", "application/n-triples", "application/rdf+xml"
CSV, TSV = "text/csv", "text/tab-separated-values"
SRJ, SRX = "application/sparql-results+json", "application/sparql-results+xml"
ACTIVITY = "application/activity+json"
RDF_TYPES = (JSONLD, TURTLE, NTRIPLES, RDFXML)
"""What every RDF resource is served as (JSON-LD first: the default)."""

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
           # the same problem as a page, only for clients that rank text/html above JSON
           "text/html": {"schema": {"type": "string"}}}
_ERRORS = {400: "Bad request (the problem's detail says which parameter)",
           401: "No bearer token", 403: "Token not accepted", 404: "Not found",
           406: "None of the acceptable media types is served here (member available)",
           409: "Feed id already used with other content", 413: "Body over ALM_LD_MAX_BODY",
           415: "Unsupported Content-Type", 422: "Invalid feed (member problems)",
           429: "Too many change streams from this address (Retry-After)",
           503: "Query timed out or store unavailable"}
OBJECT = {"type": "object"}
TEXT = {"type": "string"}
FRESHNESS = {"as_of_sequence": {"type": "integer", "minimum": 0,
                                "description": "The highest feed sequence the answer includes"},
             "feeds_pending": {"type": "integer", "minimum": 0,
                               "description": "Feeds stored but not yet in the works index "
                                              "when the answer was read (0 when current)"}}

WORKS_INDEX_ROUTES = ("/works", "/works/batch", "/institutions/{ror}", "/journals/{issn}",
                      "/funders/{id}", "/authors/{orcid}", "/api/works")
"""The routes answered from the works index (alm_ld.analytics.works_index): while it is being
built for the first time past the request's timeout they answer 503 ``index-building``; while
it is only catching up they answer from its last fold (``meta.feeds_pending``)."""
INDEX_BUILDING = {
    "description": "Query timed out or store unavailable; or the works index is being built "
                   "and holds nothing to answer from yet (problem type …/index-building, with "
                   "feedsFolded of feedsTotal): try again after Retry-After seconds",
    "headers": {"Retry-After": {"description": "Seconds to wait before asking again (sent "
                                               "with index-building)",
                                "schema": {"type": "integer", "minimum": 0}}},
    "content": PROBLEM}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": _ERRORS[c], "content": PROBLEM} for c in codes}


def _content(types: Iterable[str], json_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """One entry per served media type; JSON types get ``json_schema`` (else any object)."""
    return {t: {"schema": (json_schema or OBJECT) if "json" in t else TEXT} for t in types}


def _short_names(types: Sequence[str]) -> list[str]:
    names = []
    for media in types:
        names.extend(n for n, m in FORMAT_NAMES.items() if m == media)
    return names


def _format(types: Sequence[str]) -> dict[str, Any]:
    return {"name": "format", "in": "query", "required": False,
            "description": "Overrides Accept: a short name (or a media type) of "
                           + ", ".join(types) + ".",
            "schema": {"type": "string", "enum": _short_names(types)}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None,
           **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or TEXT, **extra}


def _path_param(name: str, description: str, example: str | None = None) -> dict[str, Any]:
    param = {"name": name, "in": "path", "required": True, "description": description,
             "schema": TEXT}
    if example:
        param["example"] = example
    return param


def _get(summary: str, types: Sequence[str], *, errors: Sequence[int] = (),
         params: Sequence[dict[str, Any]] = (), negotiated: bool = True,
         json_schema: dict[str, Any] | None = None,
         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A GET operation answering 200 in ``types`` (and 406 when it negotiates)."""
    parameters = list(params) + ([_format(types)] if negotiated and len(types) > 1 else [])
    codes = sorted({*errors, *((406,) if negotiated else ())})
    redirect = MERGED_SLASHES if any(p["in"] == "path" for p in params) else {}
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": {"description": "OK",
                                          "content": _content(types, json_schema)},
                                  **(extra or {}), **redirect, **_errors(*codes)}}}


NOT_MODIFIED = {"304": {"description": "Not modified (If-None-Match matched the ETag)"}}
SEE_OTHER = {"303": {"description": "See the canonical resource (Location)"}}
MERGED_SLASHES = {"308": {"description": "The path held '//' (e.g. a parameter starting with "
                                         "'/'): the same URL with single slashes (Location)"}}

WORK_ID = _path_param("id", "DOI as-is, or doi:/pmid:/pmcid:/arxiv: prefixed, or a "
                            "https://doi.org/… URL; case-insensitive", "10.7717/peerj.4375")

_ARRAY = {"type": "array"}
SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "required": ["type", "title", "status"],
                "properties": {"type": TEXT, "title": TEXT, "status": {"type": "integer"},
                               "detail": TEXT, "instance": TEXT}},
    "Report": {"type": "object", "required": ["valid", "profile", "problems"],
               "properties": {
                   "valid": {"type": "boolean"}, "profile": TEXT,
                   "problems": {"type": "array", "items": {
                       "type": "object",
                       "properties": {"path": TEXT, "rule": TEXT, "message": TEXT,
                                      "severity": TEXT}}}}},
    "IngestResult": {"type": "object", "required": ["id", "status"],
                     "properties": {"id": TEXT, "status": {"enum": ["created", "unchanged"]},
                                    "items": {"type": "integer"},
                                    "observations": {"type": "integer"},
                                    "events": {"type": "integer"}}},
    "Health": {"type": "object", "required": ["status", "store"],
               "properties": {"status": {"const": "ok"}, "store": TEXT,
                              "checks": {"type": "object", "properties": {
                                  "unionDefaultGraph": {"enum": ["vocabulary", "sample",
                                                                 "empty"]},
                                  "writable": {"type": "boolean"}}}}},
    "SchemaIndex": {"type": "object", "required": ["schemas"],
                    "properties": {"schemas": {"type": "array", "items": TEXT}}},
    "Alerts": {"type": "object", "required": ["alertTypes", "alerts"],
               "properties": {"alertTypes": _ARRAY, "alerts": _ARRAY}},
    "Sources": {"type": "object", "required": ["sources"], "properties": {"sources": _ARRAY}},
    "WorkBatch": {"type": "object", "required": ["meta", "results"],
                  "properties": {"meta": {"type": "object", "required": ["count", "found"],
                                          "properties": FRESHNESS},
                                 "results": {"type": "array", "items": {
                                     "type": "object", "required": ["input"]}}}},
    "WorkGroups": {"type": "object", "required": ["meta", "group_by"],
                   "properties": {
                       "meta": {"type": "object", "required": ["count", "groups_count"],
                                "properties": FRESHNESS},
                       "group_by": {"type": "array", "items": {
                           "type": "object",
                           "required": ["key", "key_display_name", "count", "sum"],
                           "properties": {"key": {"type": ["string", "null"]},
                                          "key_display_name": {"type": ["string", "null"]},
                                          "count": {"type": "integer", "minimum": 0},
                                          "sum": OBJECT}}}}},
    "Works": {"type": "object", "required": ["meta", "results"],
              "properties": {
                  "meta": {"type": "object", "required": ["count", "per_page", "next_cursor"],
                           "properties": {"count": {"type": "integer", "minimum": 0},
                                          "per_page": {"type": "integer"},
                                          "next_cursor": {"type": ["string", "null"]},
                                          **FRESHNESS}},
                  "results": {"type": "array", "items": {
                      "type": "object", "required": ["id", "metrics"],
                      "properties": {"id": TEXT, "title": {"type": ["string", "null"]},
                                     "issued": {"type": ["string", "null"]},
                                     "metrics": OBJECT, "metricsBySource": OBJECT}}}}},
    "Related": {"type": "object", "required": ["work", "subjectCount", "related"],
                "properties": {"work": TEXT, "subjectCount": {"type": "integer"},
                               "related": _ARRAY}},
    "Changes": {"oneOf": [
        {"type": "object", "required": ["type", "orderedItems", "partOf"],
         "properties": {"type": {"const": "OrderedCollectionPage"}, "orderedItems": _ARRAY,
                        "partOf": TEXT, "next": TEXT}},
        {"type": "object", "required": ["type", "totalItems", "first", "last"],
         "properties": {"type": {"const": "OrderedCollection"},
                        "totalItems": {"type": "integer", "minimum": 0},
                        "first": TEXT, "last": TEXT}}]},
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _analytics_paths() -> dict[str, Any]:
    limit = {"type": "integer", "minimum": 1}
    return {
        "/works/{id}/metrics": _get(
            "One work's time series (Data Cube JSON-LD, or CSV)", (JSONLD, JSON, CSV),
            errors=(400, 404, 503), params=[
                WORK_ID,
                _query("metric", "a metric id (citations, …) or an absolute IRI"),
                _query("source", "a source id (crossref, …) or an absolute IRI"),
                _query("from", "first day (YYYY-MM-DD)", {"type": "string", "format": "date"}),
                _query("to", "last day (YYYY-MM-DD)", {"type": "string", "format": "date"}),
                _query("granularity", "bucket size",
                       {"type": "string", "enum": list(GRANULARITIES), "default": "day"}),
                _query("increments", "also give the increase per bucket",
                       {"type": "boolean", "default": False}),
                _query("fill", "zero: every period of the range; unreported periods filled "
                       "(obsStatus L, zero activity) and reported ones marked obsStatus A",
                       {"type": "string", "enum": ["zero"]}),
                _query("as_of", "the series as known then: only feeds ingested at or before "
                       "it (a date: the end of that UTC day)",
                       {"type": "string", "format": "date-time"})]),
        "/works": _get(
            "Sets of works, OpenAlex-style: filter on each work's current metadata, sort, "
            "cursor paging, group_by; a metric's value is the highest current cumulative "
            "value among the selected sources (docs/api.md)", (JSONLD, JSON, CSV),
            errors=(400, 503),
            json_schema={"oneOf": [_ref("Works"), _ref("WorkGroups")]}, params=[
                _query("filter", "comma-separated key:value (AND), '|' between values (OR); "
                       "keys ror, orcid, issn, funder, publisher, type, issued_year (2020 or "
                       "2018-2021), source, has_metric (has_metric:a|b requires both)"),
                _query("sort", "issued or a metric id, ':asc' or ':desc' (default desc)",
                       {"type": "string", "pattern": "^[A-Za-z0-9:/._-]+$"}),
                _query("per_page", "works per page", {**limit, "maximum": 200, "default": 25}),
                _query("cursor", "'*' for the first page, then meta.next_cursor"),
                _query("select", "metrics_by_source adds the value of every source",
                       {"type": "string", "enum": ["metrics_by_source"]}),
                _query("group_by", "group the selected works: count and metric sums per key",
                       {"type": "string", "enum": ["ror", "issn", "funder", "orcid",
                                                   "publisher", "type", "issued_year",
                                                   "source"]})]),
        "/works/{id}/related": _get(
            "Co-cited and co-mentioned works with score and evidence", (JSONLD, JSON),
            errors=(400, 404, 503), json_schema=_ref("Related"), params=[
                WORK_ID, _query("limit", "most related works",
                                {**limit, "maximum": 100, "default": 10})]),
        "/changes": _get(
            "The change feed: without cursor/since the Activity Streams 2.0 OrderedCollection "
            "(totalItems, first, last), else one OrderedCollectionPage (no next when empty: "
            "caught up, poll its id later)",
            (JSONLD, ACTIVITY, JSON), errors=(400, 503), json_schema=_ref("Changes"),
            params=[
                _query("since", "changes ingested at or after this time (RFC 3339)",
                       {"type": "string", "format": "date-time"}),
                _query("cursor", "the opaque position of a previous page's next link"),
                _query("limit", "items per page",
                       {**limit, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE})]),
        "/changes/stream": _get(
            "Server-Sent Events: one 'ingest' event per committed feed (never ends)",
            ("text/event-stream",), negotiated=False, errors=(400, 429, 503), params=[
                _query("after", "start after this feed sequence number",
                       {"type": "integer", "minimum": 0}),
                _query("since", "start at this time (RFC 3339)",
                       {"type": "string", "format": "date-time"}),
                {"name": "Last-Event-ID", "in": "header", "required": False,
                 "description": "sequence to resume after (sent by browsers on reconnect)",
                 "schema": {"type": "string", "pattern": "^[0-9]+$"}}]),
        "/alerts": _get(
            "Stored data-quality alerts", (JSONLD, JSON), errors=(400, 503),
            json_schema=_ref("Alerts"), params=[
                _query("type", "alert type", {"type": "string", "enum": list(ALERT_TYPES)}),
                _query("work", "a work id (any accepted form)"),
                _query("source", "a source id or an absolute IRI"),
                _query("limit", "most alerts", {**limit, "maximum": 10000, "default": 1000})]),
        "/sources": _get(
            "The providers: NISO disclosure, counts, last ingest, alerts",
            (JSONLD, JSON, TURTLE, NTRIPLES, RDFXML, HTML), errors=(503,),
            json_schema=_ref("Sources")),
    }


def _dumps_paths() -> dict[str, Any]:
    """/dumps (issue 17; alm_ld/web/dumps.py, docs/api.md "Dumps")."""
    ranged = {"206": {"description": "The requested byte range (Range, If-Range)",
                      "content": {"application/gzip": {"schema": TEXT}}},
              **NOT_MODIFIED,
              "416": {"description": "Range not satisfiable (Content-Range: bytes */size)",
                      "content": PROBLEM}}
    return {
        "/dumps": _get("Manifest of the snapshots and deltas: JSON, or a DCAT catalogue in "
                       "Turtle", (JSON, TURTLE), extra=NOT_MODIFIED),
        "/dumps/index.json": _get("The manifest as JSON: each file with its sequence range, "
                                  "size, sha256, record counts and licences per source",
                                  (JSON,), negotiated=False, extra=NOT_MODIFIED),
        "/dumps/index.ttl": _get("The manifest as a DCAT catalogue (Turtle)", (TURTLE,),
                                 negotiated=False, extra=NOT_MODIFIED),
        "/dumps/live": _get(  # N-Quads: only here, so named here
            "N-Quads of the feeds after a sequence, up to the /changes watermark (first line "
            "'# alm-ld feeds FIRST..LAST'; empty when nothing is newer)", ("application/n-quads",),
            negotiated=False, errors=(400, 503), params=[
                _query("after", "the last feed sequence the client holds",
                       {"type": "integer", "minimum": 0, "default": 0}),
                _query("limit", "most feeds in this answer",
                       {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000})]),
        "/dumps/{name}": _get(
            "A file the manifest lists (gzip); ETag = its sha256; byte ranges resume "
            "downloads", ("application/gzip",), negotiated=False, errors=(404,),
            extra=ranged, params=[_path_param("name", "file name from the manifest",
                                              "snapshot-000009.nq.gz")]),
    }


def _compat_paths() -> dict[str, Any]:
    """Compatibility shapes of retired APIs and the NISO self-reports (issue 17;
    alm_ld/web/compat.py, alm_ld/web/analytics/niso_views.py, docs/compat.md)."""
    day = {"type": "string", "format": "date"}
    events = _get(
        "Crossref Event Data Query API shape: stored events in ingest order, cursor-paged "
        "({status, message-type: event-list, message: {next-cursor, total-results, "
        "items-per-page, events}}); next-cursor is null on the last page",
        (JSON,), negotiated=False, errors=(400, 503), params=[
            _query("obj-id", "events about this work (any accepted id spelling)"),
            _query("obj-id.prefix", "events about works under this DOI prefix (10.5555)"),
            _query("subj-id", "events whose subject is this work or IRI"),
            _query("subj-id.prefix", "events whose subject is a DOI under this prefix"),
            _query("source", "Event Data source id (crossref, wikipedia, …)",
                   {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"}),
            _query("from-occurred-date", "first day the event occurred", day),
            _query("until-occurred-date", "last day the event occurred", day),
            _query("from-collected-date", "first day alm-ld stored the event", day),
            _query("until-collected-date", "last day alm-ld stored the event", day),
            _query("scholix", "only DOI-to-DOI events", {"type": "boolean", "default": False}),
            _query("rows", "events per page (0: count only)",
                   {"type": "integer", "minimum": 0, "maximum": 10000, "default": 1000}),
            _query("cursor", "message.next-cursor of the previous page"),
            _query("mailto", "accepted and ignored (Event Data's polite pool)")])
    ids = _query("ids", "comma-separated work ids (DOIs, PMIDs, PMCIDs, URLs), 1 to 1000")
    works = _get(
        "Lagotto works shape ({total, total_pages, page, error, data}); per work and source "
        "metrics, by_day, by_month, by_year; Lagotto source names from the vocabulary's "
        "crosswalk; unknown ids listed in missing. Without ids: every work, page by page",
        (JSON,), negotiated=False, errors=(400, 503), params=[
            ids, _query("page", "without ids: the page of works",
                        {"type": "integer", "minimum": 1, "default": 1}),
            _query("per_page", "without ids: works per page",
                   {"type": "integer", "minimum": 1, "maximum": 50, "default": 50})])
    post = {"summary": "As GET /api/works, ids in a form field or a JSON body",
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["ids"], "properties": {"ids": TEXT}}},
                JSON: {"schema": {"type": "object", "required": ["ids"], "properties": {
                    "ids": {"oneOf": [TEXT, {"type": "array", "items": TEXT,
                                             "minItems": 1, "maxItems": 1000}]}}}}}},
            "responses": {"200": {"description": "OK", "content": _content((JSON,))},
                          **_errors(400, 413, 415, 503)}}
    niso = _get(
        "The provider's NISO RP-25-2016 self-reporting table: its latest disclosure per "
        "reporting item next to what alm-ld observed, and the disclosure's change log",
        (JSONLD, JSON, CSV, HTML), errors=(404, 503), params=[_path_param(
            "provider", "the provider IRI, percent-encoded (the nisoUrl of /sources)",
            "https%3A%2F%2Fror.org%2F02twcfp32")])
    return {"/v1/events": events, "/api/works": {**works, "post": post},
            "/sources/{provider}/niso": niso}


def _sets_paths() -> dict[str, Any]:
    """One set of works per institution, journal, funder and author (issue 16;
    alm_ld/web/analytics/sets_views.py, docs/api.md "Sets")."""
    kinds = {
        "/institutions/{ror}": ("ror", "a ROR id: 03vek6s52, ror:…, https://ror.org/…",
                                "00cvxb145", "an author affiliated with the institution"),
        "/journals/{issn}": ("issn", "an ISSN: 1932-6203, 19326203, urn:issn:…, the ISSN "
                             "portal IRI", "1932-6203", "a container with the ISSN"),
        "/funders/{id}": ("id", "a Crossref Funder Registry DOI (10.13039/100000001, "
                          "https://doi.org/…) or a ROR id", "10.13039/100000001",
                          "the funder"),
        "/authors/{orcid}": ("orcid", "an ORCID iD: 0000-0002-1825-0097, 16 characters, "
                             "https://orcid.org/…", "0000-0003-1419-2405", "the author"),
    }
    return {path: _get(
        f"The works whose current description names {what}: totals (per metric the sum of "
        "each work's highest value among sources), sums by year of issue, top works, "
        "sources; HTML or RDF (schema.org, alm:metric counters). 400 names the failed "
        "check digit; 404 when no work names it",
        (*RDF_TYPES, HTML), errors=(400, 404, 503),
        params=[_path_param(name, description, example)])
        for path, (name, description, example, what) in kinds.items()}


def openapi_document(base_url: str) -> dict[str, Any]:
    feed_body = {"required": True, "description": "A feed; its JSON Schema is "
                 f"{base_url}/schemas/feed-base.schema.json (strict: feed-strict)",
                 "content": {JSONLD: {"schema": OBJECT}, JSON: {"schema": OBJECT}}}
    profile = _query("profile", "validation profile",
                     {"type": "string", "enum": ["base", "strict"], "default": "base"})
    graphs = [_query(name, "dataset graph (absolute IRI; repeatable)",
                     {"type": "array", "items": TEXT}, explode=True)
              for name in ("default-graph-uri", "named-graph-uri")]
    sparql_types = (SRJ, SRX, CSV, TSV, TURTLE, JSONLD, NTRIPLES, RDFXML)
    sparql_200 = {"200": {"description": "Results (SELECT/ASK: SPARQL results; CONSTRUCT/"
                                         "DESCRIBE: RDF; no query: the service description)",
                          "content": _content(sparql_types)}}
    paths: dict[str, Any] = {
        "/": _get("Home page: search box and dataset statistics; as RDF, the dcat:Catalog "
                  "and its void:Dataset", (HTML, *RDF_TYPES), errors=(503,)),
        "/search": {"get": {
            "summary": "Find a work by any identifier spelling; 303 to its page",
            "parameters": [{**_query("id", "DOI, PMID, PMCID, arXiv id or URL"),
                            "example": "doi:10.7717/peerj.4375"}],
            "responses": {**SEE_OTHER,
                          "400": {"description": "No or malformed identifier (HTML page)",
                                  "content": _content((HTML,))},
                          "404": {"description": "Nothing stored about it (HTML page)",
                                  "content": _content((HTML,))},
                          **_errors(503)}}},
        "/works/{id}": _get(
            "One work with its observations, events and provenance",
            (*RDF_TYPES, HTML), errors=(400, 404, 503), params=[WORK_ID],
            extra={**SEE_OTHER, **NOT_MODIFIED}),
        **_analytics_paths(),
        "/sparql": {
            "get": {"summary": "SPARQL 1.1 query (the service description without one; the "
                               "query editor for browsers)",
                    "parameters": [_query("query", "a SPARQL 1.1 query"), *graphs],
                    "responses": {"200": {
                        "description": sparql_200["200"]["description"] + "; text/html: the "
                                       "query editor",
                        "content": _content((*sparql_types, HTML))},
                        **NOT_MODIFIED, **_errors(400, 406, 503)}},
            "post": {"summary": "SPARQL 1.1 query by POST (form or direct)",
                     "parameters": graphs,
                     "requestBody": {"required": True, "content": {
                         "application/x-www-form-urlencoded": {"schema": {
                             "type": "object", "properties": {"query": TEXT},
                             "required": ["query"]}},
                         "application/sparql-query": {"schema": TEXT}}},
                     "responses": {**sparql_200, **_errors(400, 406, 413, 415, 503)}},
        },
        "/validate": {"post": {
            "summary": "Validate a feed; always a report (also for a body that is not JSON). "
                       "A feed as RDF (Turtle, N-Triples, RDF/XML, JSON-LD with another "
                       "context) is checked against the SHACL shapes of /shapes",
            "parameters": [profile], "requestBody": {
                **feed_body, "content": {**feed_body["content"],
                                         **{media: {"schema": TEXT} for media in (
                                             TURTLE, NTRIPLES, RDFXML)}}},
            "responses": {"200": {"description": "Validation report", "content": {
                JSON: {"schema": _ref("Report")}}}, **_errors(400, 413, 415, 503)}}},
        "/works/batch": {"post": {
            "summary": "Up to 1,000 works by id in one call, in request order; an invalid or "
                       "unknown id is reported in its place (docs/api.md)",
            "requestBody": {"required": True, "content": {JSON: {"schema": {
                "type": "object", "required": ["ids"], "additionalProperties": False,
                "properties": {"ids": {"type": "array", "minItems": 1, "maxItems": 1000,
                                       "items": TEXT}}}}}},
            "responses": {"200": {"description": "One result per id", "content": _content(
                (JSONLD, JSON), _ref("WorkBatch"))}, **_errors(400, 406, 413, 503)}}},
        "/feeds": {"post": {
            "summary": "Ingest a feed (Authorization: Bearer TOKEN)",
            "parameters": [profile], "requestBody": feed_body,
            "security": [{"bearer": []}],
            "responses": {
                "201": {"description": "Created; Location names the feed",
                        "content": {JSON: {"schema": _ref("IngestResult")}}},
                "200": {"description": "Identical re-send; nothing changed",
                        "content": {JSON: {"schema": _ref("IngestResult")}}},
                **_errors(400, 401, 403, 409, 413, 415, 422, 503)}}},
        "/feeds/{id}": _get(
            "What one ingest brought: provider, times, counts, provenance", RDF_TYPES,
            errors=(400, 404, 503), extra=NOT_MODIFIED,
            params=[_path_param("id", "the feed id (an absolute IRI such as urn:uuid:…)")]),
        "/contexts/{name}": _get(
            "A JSON-LD context", (JSONLD,), negotiated=False, errors=(404,), extra=NOT_MODIFIED,
            params=[_path_param("name", "context file name", "v1.jsonld")]),
        "/schemas": _get("The feed JSON Schemas", (JSON,), negotiated=False,
                         json_schema=_ref("SchemaIndex"), extra=NOT_MODIFIED),
        "/schemas/": _get("The feed JSON Schemas (same as /schemas)", (JSON,), negotiated=False,
                          json_schema=_ref("SchemaIndex"), extra=NOT_MODIFIED),
        "/schemas/{name}": {"get": {
            "summary": "A feed JSON Schema (draft 2020-12)",
            "parameters": [_path_param("name", "schema file name", "feed-base.schema.json")],
            "responses": {"200": {"description": "Schema", "content": {
                "application/schema+json": {"schema": OBJECT}}}, **NOT_MODIFIED,
                **MERGED_SLASHES, **_errors(404)}}},
        "/shapes": _get("SHACL shapes of the feed format (docs/feed-format.md)",
                        (TURTLE, JSONLD, NTRIPLES, RDFXML), errors=(400,), extra=NOT_MODIFIED,
                        params=[profile]),
        "/vocab": _get("The alm-ld vocabulary", (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML),
                       extra=NOT_MODIFIED),
        "/.well-known/void": _get("VoID description with live statistics",
                                  (TURTLE, JSONLD, NTRIPLES, RDFXML), errors=(503,),
                                  extra=NOT_MODIFIED),
        "/openapi.json": _get("This document", (JSON,), negotiated=False, extra=NOT_MODIFIED),
        "/healthz": _get("Liveness and store check", (JSON,), negotiated=False, errors=(503,),
                         json_schema=_ref("Health")),
        "/favicon.ico": _get("The site icon (SVG, for clients that ask the conventional path)",
                             ("image/svg+xml",), negotiated=False, extra=NOT_MODIFIED),
        "/static/{filename}": _get(
            "The pages' own CSS, JavaScript and images (nothing is loaded from elsewhere)",
            ("*/*",), negotiated=False, errors=(404,), extra=NOT_MODIFIED,
            params=[_path_param("filename", "file under the static folder", "css/site.css")]),
    }
    paths.update(_dumps_paths())
    paths.update(_compat_paths())
    paths.update(_sets_paths())
    for route in WORKS_INDEX_ROUTES:
        for operation in paths[route].values():
            operation["responses"]["503"] = INDEX_BUILDING
    return {
        "openapi": "3.1.0",
        "info": {"title": "alm-ld", "version": "1",
                 "description": "Article-level metrics as linked data. Errors are RFC 9457 "
                                "application/problem+json. Any request body over "
                                "ALM_LD_MAX_BODY is 413; a store that fails or stalls is 503 "
                                "within ALM_LD_QUERY_TIMEOUT (docs/security.md)."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": SCHEMAS},
    }


def _shape(path: str) -> str:
    """``/works/<path:identifier>`` and ``/works/{id}`` both become ``/works/{}``."""
    return re.sub(r"\{[^}]*\}", "{}", re.sub(r"<(?:[^:>]*:)?[^>]*>", "{}", path))


def undocumented_routes(app: Any, doc: dict[str, Any]) -> list[str]:
    """``METHOD /path`` of every registered route the document does not describe."""
    described = {(method.upper(), _shape(path))
                 for path, item in doc["paths"].items() for method in item}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (method, _shape(rule.rule)) not in described:
                missing.append(f"{method} {rule.rule}")
    return missing
