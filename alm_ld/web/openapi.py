"""The OpenAPI 3.1 description of every endpoint (served at ``/openapi.json``).

Kept as data next to the views it describes; a test checks that every route of the app is
described here and a property-based test drives the API from it looking for 500s.
"""

from __future__ import annotations

from typing import Any

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
RDF_CONTENT = {m: {"schema": {"type": "string"}} for m in (
    "text/turtle", "application/n-triples", "application/rdf+xml", "text/html")}
RDF_CONTENT["application/ld+json"] = {"schema": {"type": "object"}}
RESULTS = {m: {"schema": {"type": "string"}} for m in (
    "application/sparql-results+xml", "text/csv", "text/tab-separated-values", "text/turtle",
    "application/n-triples", "application/rdf+xml")}
RESULTS["application/sparql-results+json"] = {"schema": {"type": "object"}}
RESULTS["application/ld+json"] = {"schema": {"type": "object"}}


def _err(*codes: int) -> dict[str, Any]:
    text = {400: "Bad request", 401: "No token", 403: "Wrong token", 404: "Not found",
            406: "Not acceptable", 409: "Feed id already used with other content",
            413: "Body too large", 415: "Unsupported media type", 422: "Invalid feed",
            503: "Query timed out or store unavailable"}
    return {str(c): {"description": text[c], "content": PROBLEM} for c in codes}


FORMAT_PARAM = {"name": "format", "in": "query", "required": False,
                "description": "Override content negotiation: jsonld, ttl, nt, rdf, html.",
                "schema": {"type": "string", "enum": ["jsonld", "ttl", "nt", "rdf", "html"]}}
GRAPH_PARAMS = [
    {"name": "default-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
    {"name": "named-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
]


def _rdf_get(summary: str, *, errors: tuple[int, ...] = (406,), params: list | None = None,
             content: dict | None = None) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params or [],
                    "responses": {"200": {"description": "The resource",
                                          "content": content or RDF_CONTENT},
                                  "304": {"description": "Not modified (If-None-Match)"},
                                  **_err(*errors)}}}


def openapi_document(base_url: str) -> dict[str, Any]:
    feed_body = {"required": True, "content": {
        "application/ld+json": {"schema": {"$ref": f"{base_url}/schemas/feed-base.schema.json"}},
        "application/json": {"schema": {"type": "object"}}}}
    profile = {"name": "profile", "in": "query", "required": False,
               "schema": {"type": "string", "enum": ["base", "strict"], "default": "base"}}
    sparql_query = {"name": "query", "in": "query", "required": False,
                    "description": "A SPARQL 1.1 query; without it the service description.",
                    "schema": {"type": "string"}}
    paths: dict[str, Any] = {
        "/works/{id}": _rdf_get(
            "One work with its observations, events and provenance",
            errors=(400, 404, 406, 503),
            params=[{"name": "id", "in": "path", "required": True,
                     "description": "DOI as-is or doi:/pmid:/pmcid:/arxiv: prefixed",
                     "schema": {"type": "string"}}, FORMAT_PARAM]),
        "/sparql": {
            "get": {"summary": "SPARQL 1.1 query (or the service description without one)",
                    "parameters": [sparql_query, *GRAPH_PARAMS],
                    "responses": {"200": {"description": "Results", "content": RESULTS},
                                  **_err(400, 406, 503)}},
            "post": {"summary": "SPARQL 1.1 query by POST (form or direct)",
                     "parameters": GRAPH_PARAMS,
                     "requestBody": {"required": True, "content": {
                         "application/x-www-form-urlencoded": {"schema": {
                             "type": "object", "properties": {"query": {"type": "string"}},
                             "required": ["query"]}},
                         "application/sparql-query": {"schema": {"type": "string"}}}},
                     "responses": {"200": {"description": "Results", "content": RESULTS},
                                   **_err(400, 406, 413, 415, 503)}},
        },
        "/validate": {"post": {
            "summary": "Validate a feed; always a report, never an ingest",
            "parameters": [profile], "requestBody": feed_body,
            "responses": {"200": {"description": "Validation report", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}},
                **_err(400, 413, 415)}}},
        "/feeds": {"post": {
            "summary": "Ingest a feed (Authorization: Bearer TOKEN)",
            "parameters": [profile], "requestBody": feed_body,
            "security": [{"bearer": []}],
            "responses": {
                "201": {"description": "Created; Location names the feed",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                "200": {"description": "Identical re-send; nothing changed",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                **_err(400, 401, 403, 409, 413, 415, 422)}}},
        "/feeds/{id}": _rdf_get(
            "What one ingest brought: provider, times, counts, provenance",
            errors=(400, 404, 406),
            params=[{"name": "id", "in": "path", "required": True,
                     "schema": {"type": "string"}}, FORMAT_PARAM]),
        "/contexts/{name}": {"get": {
            "summary": "JSON-LD context", "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "Context", "content": {
                "application/ld+json": {"schema": {"type": "object"}}}}, **_err(404)}}},
        "/schemas": {"get": {"summary": "List of JSON Schemas", "responses": {
            "200": {"description": "Schema URLs",
                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/schemas/{name}": {"get": {
            "summary": "A feed JSON Schema (draft 2020-12)", "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "Schema", "content": {
                "application/schema+json": {"schema": {"type": "object"}}}}, **_err(404)}}},
        "/vocab": _rdf_get("The alm-ld vocabulary", params=[FORMAT_PARAM]),
        "/.well-known/void": _rdf_get("VoID description with statistics",
                                      errors=(406, 503), params=[FORMAT_PARAM]),
        "/openapi.json": {"get": {"summary": "This document", "responses": {
            "200": {"description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/healthz": {"get": {"summary": "Liveness and store check", "responses": {
            "200": {"description": "OK",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
            **_err(503)}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "alm-ld", "version": "1",
                 "description": "Article-level metrics as linked data. Errors are RFC 9457 "
                                "application/problem+json."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status"],
                            "properties": {"type": {"type": "string"},
                                           "title": {"type": "string"},
                                           "status": {"type": "integer"},
                                           "detail": {"type": "string"},
                                           "instance": {"type": "string"}}},
                "Report": {"type": "object", "required": ["valid", "profile", "problems"],
                           "properties": {
                               "valid": {"type": "boolean"}, "profile": {"type": "string"},
                               "problems": {"type": "array", "items": {
                                   "type": "object",
                                   "properties": {"path": {"type": "string"},
                                                  "rule": {"type": "string"},
                                                  "message": {"type": "string"},
                                                  "severity": {"type": "string"}}}}}},
            },
        },
    }


def register_path(doc: dict[str, Any], path: str, item: dict[str, Any]) -> None:
    """For later areas: add their endpoints (call from their blueprint's record hook)."""
    doc["paths"][path] = item
