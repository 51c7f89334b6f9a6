"""SPARQL text shared by the analytics queries, and turning result rows into plain Python.

Every analytics query is a plain string (oxrdflib runs strings inside Oxigraph but sends prepared
queries to rdflib's slow engine — see PITFALLS.md), so values from requests are written into the
text here, through :func:`iri` and :func:`literal`, which escape them so a crafted identifier can
never change the query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from alm_ld.vocab import ALM_NS, ID_NS, METRICS_NS, RELATIONS_NS, SOURCES_NS

PROV_NS = "http://www.w3.org/ns/prov#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"

PREFIXES = f"""PREFIX alm: <{ALM_NS}>
PREFIX almm: <{METRICS_NS}>
PREFIX almr: <{RELATIONS_NS}>
PREFIX almsrc: <{SOURCES_NS}>
PREFIX almid: <{ID_NS}>
PREFIX prov: <{PROV_NS}>
PREFIX xsd: <{XSD_NS}>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

_IRI_FORBIDDEN = set('<>"{}|^`\\ ') | {chr(c) for c in range(0x21)}
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def iri(value: str) -> str:
    """``<value>`` with the characters an IRI may not contain percent-encoded."""
    if _IRI_FORBIDDEN.isdisjoint(value):  # the usual case, checked in C (alerts write many)
        return f"<{value}>"
    return "<" + "".join(f"%{ord(c):02X}" if c in _IRI_FORBIDDEN else c for c in value) + ">"


def literal(value: str | int, datatype: str | None = None) -> str:
    """A SPARQL literal; integers are written bare."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = '"' + str(value).translate(_LITERAL_ESCAPES) + '"'
    return f"{text}^^<{datatype}>" if datatype else text


def values_clause(var: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ " + " ".join(iri(v) for v in iris) + " }"


def plain(node: Node | None) -> Any:
    """A result term as Python: IRIs and lexical forms as ``str``, integers as ``int``."""
    if node is None:
        return None
    if isinstance(node, Literal):
        if node.datatype is not None and str(node.datatype) in _INTEGER_TYPES:
            try:
                return int(str(node))
            except ValueError:
                return str(node)
        if node.datatype is not None and str(node.datatype) == XSD_NS + "decimal":
            return float(str(node))
        text = str(node)
        if node.datatype is not None and str(node.datatype) == XSD_NS + "dateTime":
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return text
    if isinstance(node, URIRef):
        return str(node)
    return str(node)


_INTEGER_TYPES = {XSD_NS + t for t in (
    "integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger",
    "unsignedInt", "unsignedLong")}


def select(store: Any, query: str, *, timeout: float | None = None) -> list[dict[str, Any]]:
    """Run a SELECT (with :data:`PREFIXES` prepended) and return rows of plain values."""
    result = store.query(PREFIXES + query, timeout=timeout)
    return [{key: plain(value) for key, value in row.items()} for row in result.rows]


def short(value: str | None, namespace: str) -> str | None:
    """``almm:citations`` → ``citations`` for concepts of our own schemes; other IRIs unchanged.

    The short form is what the alm-ld context's ``@vocab``-typed terms (``metric``, ``source``,
    ``relation``) expand back to the full IRI, so documents stay valid JSON-LD.
    """
    if value and value.startswith(namespace):
        rest = value[len(namespace):]
        if rest and "/" not in rest and ":" not in rest:
            return rest
    return value
