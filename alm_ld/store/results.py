"""SPARQL query results and RDF media types, shared by every backend.

Rows travel between backends and writers as lists of rdflib terms (``None`` = unbound). The
writers here stream the four SPARQL result formats chunk by chunk, so a large result never sits
in memory twice, and they give byte-identical output on every backend (rdflib has no TSV
writer; Oxigraph's native writers are used instead where no row limit applies).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from alm_ld.errors import NotAcceptable
from alm_ld.vocab import XSD_STRING

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
RESULT_TYPES = (JSON, XML, CSV, TSV)

TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"
TRIG = "application/trig"
RDFXML = "application/rdf+xml"
JSONLD = "application/ld+json"
GRAPH_TYPES = (TURTLE, NTRIPLES, RDFXML, JSONLD)

# Short names used by the CLI (--format) and accepted by query_serialized.
SHORT_NAMES = {
    "json": JSON, "xml": XML, "csv": CSV, "tsv": TSV, "turtle": TURTLE, "ttl": TURTLE,
    "ntriples": NTRIPLES, "nt": NTRIPLES, "rdfxml": RDFXML, "jsonld": JSONLD,
}
RDFLIB_FORMATS = {TURTLE: "turtle", NTRIPLES: "nt", RDFXML: "xml", JSONLD: "json-ld",
                  NQUADS: "nquads", TRIG: "trig"}

_STRIP = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def media_type_for(name_or_type: str) -> str:
    media = SHORT_NAMES.get(name_or_type.lower(), name_or_type.split(";")[0].strip().lower())
    if media not in RESULT_TYPES + GRAPH_TYPES:
        raise NotAcceptable(
            f"Cannot write query results as {name_or_type!r}; use one of "
            f"{', '.join(RESULT_TYPES + GRAPH_TYPES)}.")
    return media


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read past the prologue (IRIs, strings and comments
    are blanked first so a keyword inside them does not count). Unknown → SELECT; the
    backend's parser then reports the real error."""
    match = _FORM.search(_STRIP.sub(" ", sparql))
    return match.group(1).upper() if match else "SELECT"


def check_media_for_form(form: str, media: str) -> None:
    tabular = form in ("SELECT", "ASK")
    if tabular and media not in RESULT_TYPES:
        raise NotAcceptable(f"A {form} query gives a result table, not {media}; use one of "
                            f"{', '.join(RESULT_TYPES)}.")
    if not tabular and media not in GRAPH_TYPES:
        raise NotAcceptable(f"A {form} query gives a graph, not {media}; use one of "
                            f"{', '.join(GRAPH_TYPES)}.")


def nt_term(term: Node) -> str:
    """A term in N-Triples syntax (also the syntax of TSV result cells)."""
    if isinstance(term, Literal):
        text = '"' + str(term).replace("\\", "\\\\").replace('"', '\\"').replace(
            "\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype and str(term.datatype) != XSD_STRING:
            return f"{text}^^<{term.datatype}>"
        return text
    if isinstance(term, BNode):
        return f"_:{term}"
    return f"<{term}>"


_COMPACT = (",", ":")  # as Oxigraph writes SPARQL JSON: byte-identical answers on every backend
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TURTLE_SHORT = {
    _XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    _XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    _XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.?[0-9]+)[eE][+-]?[0-9]+"),
    _XSD + "boolean": re.compile(r"true|false"),
}


def tsv_term(term: Node) -> str:
    """A TSV cell as Oxigraph writes it: N-Triples, except numbers and booleans whose lexical
    form Turtle can write bare (so every backend gives the same bytes)."""
    if isinstance(term, Literal) and term.datatype and not term.language:
        pattern = _TURTLE_SHORT.get(str(term.datatype))
        if pattern is not None and pattern.fullmatch(str(term)):
            return str(term)
    return nt_term(term)


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype and str(term.datatype) != XSD_STRING:
            out["datatype"] = str(term.datatype)
        return out
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    return {"type": "uri", "value": str(term)}


def term_from_json(cell: dict[str, str]) -> Node:
    kind = cell.get("type")
    if kind == "uri":
        return URIRef(cell["value"])
    if kind == "bnode":
        return BNode(cell["value"])
    datatype = cell.get("datatype")
    if datatype == XSD_STRING:
        datatype = None
    return Literal(cell["value"], lang=cell.get("xml:lang"),
                   datatype=URIRef(datatype) if datatype else None)


def _xml_term(term: Node) -> str:
    if isinstance(term, Literal):
        attrs = ""
        if term.language:
            attrs = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype and str(term.datatype) != XSD_STRING:
            attrs = f" datatype={quoteattr(str(term.datatype))}"
        return f"<literal{attrs}>{escape(str(term))}</literal>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    return f"<uri>{escape(str(term))}</uri>"


def _csv_cell(term: Node | None) -> str:
    if term is None:
        return ""
    text = f"_:{term}" if isinstance(term, BNode) else str(term)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_rows(media: str, variables: list[str], rows: Iterable[list[Node | None]],
               batch: int = 500) -> Iterator[bytes]:
    """Stream a SELECT result in ``media`` (one of :data:`RESULT_TYPES`)."""
    buffer: list[str] = []

    def flush() -> bytes:
        data = "".join(buffer).encode("utf-8")
        buffer.clear()
        return data

    if media == JSON:
        buffer.append(json.dumps({"head": {"vars": variables}}, separators=_COMPACT)[:-1]
                      + ',"results":{"bindings":[')
        sep = ""
        for row in rows:
            cells = {v: _json_term(t) for v, t in zip(variables, row, strict=False)
                     if t is not None}
            buffer.append(sep + json.dumps(cells, ensure_ascii=False, separators=_COMPACT))
            sep = ","
            if len(buffer) >= batch:
                yield flush()
        buffer.append("]}}")
    elif media == XML:
        buffer.append('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/'
                      'sparql-results#"><head>'
                      + "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
                      + "</head><results>")
        for row in rows:
            buffer.append("<result>" + "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=False) if t is not None) + "</result>")
            if len(buffer) >= batch:
                yield flush()
        buffer.append("</results></sparql>\n")
    elif media == CSV:
        buffer.append(",".join(variables) + "\r\n")
        for row in rows:
            buffer.append(",".join(_csv_cell(t) for t in row) + "\r\n")
            if len(buffer) >= batch:
                yield flush()
    elif media == TSV:
        buffer.append("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            buffer.append("\t".join("" if t is None else tsv_term(t) for t in row) + "\n")
            if len(buffer) >= batch:
                yield flush()
    else:  # pragma: no cover - callers check the media type first
        raise NotAcceptable(f"{media} is not a SPARQL result format.")
    yield flush()


def write_boolean(media: str, value: bool) -> bytes:
    word = "true" if value else "false"
    if media == JSON:
        return json.dumps({"head": {}, "boolean": value}, separators=_COMPACT).encode()
    if media == XML:
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{word}</boolean></sparql>\n").encode()
    header = "_askResult" if media == CSV else "?_askResult"
    return f"{header}\n{word}\n".encode()
