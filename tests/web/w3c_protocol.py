"""A runner for the W3C SPARQL 1.1 Protocol tests encoded in ``tests/fixtures/w3c-protocol``.

``tests.json`` (derived from w3c/rdf-tests, see its ``SOURCES.md``) gives every manifest entry
as a concrete HTTP request and the expected response. :func:`run_case` sends the request byte
for byte to a served endpoint and returns the list of ways the answer departs from the
expectation (empty = passed), so a failing test names all of them at once.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import requests
from rdflib import Graph, Literal, URIRef

SUITE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "w3c-protocol"
SUITE = json.loads((SUITE_DIR / "tests.json").read_text(encoding="utf-8"))
DATASET = SUITE_DIR / "dataset.nq"
QUERY_CASES = [case for case in SUITE["tests"] if case["kind"] == "query"]
FORM_VARIANTS = [case for case in SUITE["form_variants"] if case["id"].startswith("query_")]
SRX_NS = "{http://www.w3.org/2005/sparql-results#}"
RDF_FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml",
               "application/n-triples": "nt", "application/ld+json": "json-ld",
               "text/n3": "n3", "application/n-quads": "nquads", "application/trig": "trig"}


def send(endpoint: str, request: dict[str, Any]) -> requests.Response:
    """Send the encoded request to ``endpoint`` (the suite's ``/sparql/`` placeholder)."""
    url = endpoint + (f"?{request['raw_query_string']}" if request["raw_query_string"] else "")
    body = request["body"]
    data = None if body is None else body.encode(request["body_charset"] or "utf-8")
    headers = {name: value for name, value in request["headers"]}
    return requests.request(request["method"], url, data=data, headers=headers, timeout=30,
                            allow_redirects=False)


def run_case(endpoint: str, case: dict[str, Any]) -> list[str]:
    """Every departure of the endpoint's answer from ``case["expect"]``; empty when it passes."""
    response = send(endpoint, case["request"])
    expect = case["expect"]
    status_class = f"{response.status_code // 100}xx"
    if status_class not in expect["status_class"]:
        return [f"status {response.status_code} not in {expect['status_class']}: "
                f"{response.text[:300]}"]
    if "format" not in expect:
        return []
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media not in expect["content_types"]:
        return [f"Content-Type {media!r} not one of {expect['content_types']}"]
    failures: list[str] = []
    if expect["format"] == "boolean":
        value = _boolean(media, response.content)
        if "boolean" in expect and value is not expect["boolean"]:
            failures.append(f"boolean {value!r}, expected {expect['boolean']!r}")
    elif expect["format"] == "tabular":
        failures += _check_table(media, response.content, expect.get("result_shape"))
    else:
        failures += _check_graph(media, response.content, expect.get("result_shape"))
    return failures


def _boolean(media: str, body: bytes) -> bool | None:
    if media == "application/sparql-results+json":
        return json.loads(body).get("boolean")
    found = ET.fromstring(body).find(f"{SRX_NS}boolean")
    return None if found is None else found.text == "true"


def _rows(media: str, body: bytes) -> tuple[list[str], list[dict[str, dict[str, str]]]]:
    """Variables and rows as SPARQL JSON bindings, whatever the tabular format."""
    if media == "application/sparql-results+json":
        doc = json.loads(body)
        return doc["head"]["vars"], doc["results"]["bindings"]
    if media == "application/sparql-results+xml":
        root = ET.fromstring(body)
        names = [v.get("name") for v in root.iter(f"{SRX_NS}variable")]
        rows = []
        for result in root.iter(f"{SRX_NS}result"):
            row = {}
            for binding in result.iter(f"{SRX_NS}binding"):
                term = binding[0]
                kind = term.tag.removeprefix(SRX_NS)
                cell = {"type": kind, "value": term.text or ""}
                if term.get("datatype"):
                    cell["datatype"] = term.get("datatype")
                row[binding.get("name")] = cell
            rows.append(row)
        return names, rows
    text = body.decode("utf-8")
    if media == "text/csv":  # CSV loses term types: compare values only
        table = list(csv.reader(io.StringIO(text)))
        return table[0], [{n: {"value": v} for n, v in zip(table[0], r, strict=True)}
                          for r in table[1:]]
    lines = [line.split("\t") for line in text.splitlines()]
    names = [n.removeprefix("?") for n in lines[0]]
    rows = []
    for line in lines[1:]:
        row = {}
        for name, cell in zip(names, line, strict=True):
            if cell:
                literal = Graph().parse(data=f"<urn:s> <urn:p> {cell} .", format="nt")
                obj = next(iter(literal.objects()))
                row[name] = {"type": "literal", "value": str(obj),
                             "datatype": str(obj.datatype)} if isinstance(obj, Literal) else {
                    "type": "uri", "value": str(obj)}
        rows.append(row)
    return names, rows


def _check_table(media: str, body: bytes, shape: dict[str, Any] | None) -> list[str]:
    names, rows = _rows(media, body)
    if not shape:
        return []
    failures = []
    missing = set(shape.get("variables_include", ())) - set(names)
    if missing:
        failures.append(f"variables {names} lack {sorted(missing)}")
    if "rows" in shape and len(rows) != shape["rows"]:
        failures.append(f"{len(rows)} rows, expected {shape['rows']}")
    for name, want in (shape.get("row0") or {}).items():
        got = rows[0].get(name, {}) if rows else {}
        for key in ("value", "datatype", "type"):
            if key in got and got[key] != want[key]:
                failures.append(f"row 0 ?{name} {key} {got[key]!r}, expected {want[key]!r}")
        if "value" not in got:
            failures.append(f"row 0 has no ?{name}")
    return failures


def _check_graph(media: str, body: bytes, shape: dict[str, Any] | None) -> list[str]:
    try:
        graph = Graph().parse(data=body.decode("utf-8"), format=RDF_FORMATS[media])
    except Exception as error:  # noqa: BLE001 - any parse failure is the finding
        return [f"the {media} answer does not parse: {error}"]
    if not shape:
        return []
    failures = []
    if "triples" in shape and len(graph) != shape["triples"]:
        failures.append(f"{len(graph)} triples, expected {shape['triples']}")
    for subject, _, obj in graph:
        want = shape.get("object")
        if want and not (isinstance(obj, Literal) and str(obj) == want["value"]
                         and str(obj.datatype) == want["datatype"]):
            failures.append(f"object {obj!r}, expected {want}")
        if shape.get("subject_is_absolute_iri") and not (
                isinstance(subject, URIRef) and "://" in str(subject)):
            failures.append(f"subject {subject!r} is not an absolute IRI")
    return failures
